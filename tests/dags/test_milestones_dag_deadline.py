"""``pipeline_deadline()`` under the real scheduler: a run that misses its deadline is recorded by the triggerer.

``dag.test()`` cannot run a DAG with a DeadlineAlert in Airflow 3.3.2, so the test places a small DAG in the
DAG folder only for its duration, triggers it through the REST API, and waits for the miss to reach the
catalogue. The DAG imports sohoa inside a function, the way the pipeline DAGs attach it (policy: nothing heavy
at module level).
"""
from __future__ import annotations

import asyncio
import json
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sohoa"))
from test_milestones_alerts import _free_port, _smtp_connection, _webhook_connection, smtp_sink, webhook  # noqa: E402,F401

DAGS = Path(__file__).resolve().parents[2] / "dags"
TEST_DAG = '''"""Temporary DAG of tests/dags/test_milestones_dag_deadline.py: misses a 3-second deadline."""
from datetime import timedelta
import time

import pendulum
from airflow.sdk import dag, task


def _deadline():
    from sohoa.alerts.deadline import pipeline_deadline

    return pipeline_deadline(timedelta(seconds=3))


@dag(dag_id="{dag_id}", schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False,
     deadline=_deadline(), tags=["sohoa", "test"], default_args={{"owner": "sohoa-test", "retries": 2}})
def slow():
    @task
    def take_too_long():
        time.sleep(25)

    take_too_long()


slow()
'''

pytestmark = [pytest.mark.stack]


def _context(dag_id: str) -> dict:
    return {"dag_run": {"dag_id": dag_id, "dag_run_id": "manual__2026-11-24T01:00:00+00:00"},
            "deadline": {"id": "x", "deadline_time": "2026-11-24T01:00:03+00:00"}}


def _misses(catalogue, dag_id: str) -> list[tuple]:
    with catalogue, catalogue.cursor() as cur:
        cur.execute("SELECT run_id FROM pipeline_deadline_miss WHERE dag_id = %s", (dag_id,))
        return cur.fetchall()


@pytest.fixture()
def late_dag_id(stack, catalogue):
    from sohoa.catalogue.migrate import upgrade

    upgrade()
    dag_id = f"sohoa_test_late_{uuid.uuid4().hex[:8]}"
    yield dag_id
    with catalogue, catalogue.cursor() as cur:
        cur.execute("DELETE FROM pipeline_deadline_miss WHERE dag_id = %s", (dag_id,))


def test_deadline_callback_records_the_miss_and_alerts_both_channels(
        catalogue, late_dag_id, smtp_sink, webhook, monkeypatch):
    from sohoa.alerts.deadline import on_pipeline_deadline_missed

    _smtp_connection(monkeypatch, smtp_sink.port, "sohoa_smtp")
    _webhook_connection(monkeypatch, webhook.server_port, "sohoa_alert_webhook")
    asyncio.run(on_pipeline_deadline_missed(_context(late_dag_id)))
    assert _misses(catalogue, late_dag_id) == [("manual__2026-11-24T01:00:00+00:00",)]
    assert smtp_sink.messages[0]["subject"] == f"[Số hóa] Lượt chạy quá hạn – {late_dag_id}"
    assert webhook.received[0]["condition"] == "pipeline_deadline_missed"


def test_deadline_callback_with_channels_down_still_records_and_then_fails_loudly(
        catalogue, late_dag_id, monkeypatch):
    from sohoa.alerts.deadline import on_pipeline_deadline_missed
    from sohoa.alerts.errors import AlertDeliveryError

    _smtp_connection(monkeypatch, _free_port(), "sohoa_smtp")
    _webhook_connection(monkeypatch, _free_port(), "sohoa_alert_webhook")
    with pytest.raises(AlertDeliveryError, match=r"recorded, but not delivered: e-mail alert .*; webhook alert"):
        asyncio.run(on_pipeline_deadline_missed(_context(late_dag_id)))
    assert len(_misses(catalogue, late_dag_id)) == 1


def _api(stack, method: str, path: str, token: str | None = None, body: dict | None = None) -> dict:
    request = urllib.request.Request(f"{stack.airflow_url}{path}", method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json",
                                              **({"Authorization": f"Bearer {token}"} if token else {})})
    with urllib.request.urlopen(request, timeout=10) as response:
        text = response.read()
    return json.loads(text) if text else {}


def _wait(what: str, check, timeout: float):
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(2)


@pytest.mark.slow
def test_a_pipeline_run_that_misses_its_deadline_is_recorded_in_the_catalogue(stack, catalogue):
    from sohoa.catalogue.migrate import upgrade

    upgrade()
    dag_id = f"sohoa_test_deadline_{uuid.uuid4().hex[:8]}"
    path = DAGS / f"{dag_id}.py"
    token = _api(stack, "POST", "/auth/token", body={"username": stack.airflow_admin_user,
                                                     "password": stack.airflow_admin_password})["access_token"]

    def dag_known():
        try:
            return _api(stack, "GET", f"/api/v2/dags/{dag_id}", token)
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return None
            raise

    def miss():
        return _misses(catalogue, dag_id)

    path.write_text(TEST_DAG.format(dag_id=dag_id), encoding="utf-8")
    run = None
    try:
        _wait("the dag-processor to parse the test DAG", dag_known, 120)
        run = _api(stack, "POST", f"/api/v2/dags/{dag_id}/dagRuns", token, {"logical_date": None})
        rows = _wait("the deadline miss in the catalogue", miss, 120)
        assert rows == [(run["dag_run_id"],)]
    finally:
        path.unlink(missing_ok=True)
        with catalogue, catalogue.cursor() as cur:
            cur.execute("DELETE FROM pipeline_deadline_miss WHERE dag_id = %s", (dag_id,))
        if run:  # stop the slow run so the DAG can be deleted at once
            _api(stack, "PATCH", f"/api/v2/dags/{dag_id}/dagRuns/{run['dag_run_id']}", token, {"state": "failed"})
        if dag_known():
            _api(stack, "DELETE", f"/api/v2/dags/{dag_id}", token)
