"""The DAGs ``sohoa_milestones`` and ``sohoa_annual_report`` run end to end (``dag.test()``, real stack).

Alert channels point at a local SMTP sink and a local webhook server; alert rows the runs add to the shared
catalogue are removed afterwards so a later demo run still sends its own alerts.
"""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pendulum
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sohoa"))
from test_milestones_alerts import (_free_port, _smtp_connection, _webhook_connection, smtp_sink,  # noqa: E402,F401
                                    webhook)

DAGS = Path(__file__).resolve().parents[2] / "dags"
RUN_AFTER = pendulum.datetime(2026, 11, 24, 1, 0, tz="UTC")  # 08:00 in Việt Nam


def _dag(stack, dag_id: str):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS / f"{dag_id}.py"))
    assert not bag.import_errors, bag.import_errors
    dag = bag.dags[dag_id]
    for task in dag.tasks:  # dag.test() would sleep through the retry delay; a failure must show at once here
        task.retries = 0
    return dag


@pytest.fixture()
def clean_alert_state(catalogue):
    """Start from no alert state and put the shared catalogue's state back afterwards: the config's milestones
    are real, and the live scheduler's own sohoa_milestones run may already have raised (and remembered) them."""
    from sohoa.catalogue import migrate

    migrate.upgrade()
    with catalogue, catalogue.cursor() as cur:
        cur.execute("CREATE TEMP TABLE saved_alerts ON COMMIT PRESERVE ROWS AS SELECT * FROM milestone_alert")
        cur.execute("DELETE FROM milestone_alert")
    yield
    with catalogue, catalogue.cursor() as cur:
        cur.execute("DELETE FROM milestone_alert")
        cur.execute("INSERT INTO milestone_alert SELECT * FROM saved_alerts")
        cur.execute("DROP TABLE saved_alerts")


def _states(run) -> dict[str, str]:
    return {ti.task_id: str(ti.state) for ti in run.get_task_instances()}


def _alert_connections(monkeypatch, smtp_port: int, webhook_port: int) -> None:
    """Point the configured channels (config/alerts.toml) at local servers."""
    _smtp_connection(monkeypatch, smtp_port, "sohoa_smtp")
    _webhook_connection(monkeypatch, webhook_port, "sohoa_alert_webhook")


def test_milestones_dag_records_progress_and_alerts_phase_1_once(
        stack, catalogue, clean_alert_state, smtp_sink, webhook, monkeypatch):
    _alert_connections(monkeypatch, smtp_sink.port, webhook.server_port)
    dag = _dag(stack, "sohoa_milestones")
    run = dag.test(run_after=RUN_AFTER, logical_date=RUN_AFTER)
    assert _states(run) == {"record_progress": "success", "send_alerts": "success"}
    phase_1 = [m for m in smtp_sink.messages if "giai đoạn 1" in m["subject"]]
    assert any(m["subject"].startswith("[Số hóa] Sắp đến hạn") for m in phase_1)
    assert {p["milestone"] for p in webhook.received} >= {"sngv-hp-gd1"}
    with catalogue, catalogue.cursor() as cur:
        cur.execute("SELECT count(*) FROM milestone_progress WHERE milestone_id = 'sngv-hp-gd1' AND day = %s",
                    (dt.date(2026, 11, 24),))
        assert cur.fetchone() == (6,)

    sent_before = len(smtp_sink.messages)
    again = dag.test(run_after=RUN_AFTER.add(days=1), logical_date=RUN_AFTER.add(days=1))
    assert _states(again) == {"record_progress": "success", "send_alerts": "success"}
    assert len(smtp_sink.messages) == sent_before  # unchanged conditions are not repeated


def test_milestones_dag_fails_visibly_when_smtp_is_down(stack, clean_alert_state, webhook, monkeypatch):
    _alert_connections(monkeypatch, _free_port(), webhook.server_port)
    run = _dag(stack, "sohoa_milestones").test(run_after=RUN_AFTER, logical_date=RUN_AFTER)
    assert _states(run) == {"record_progress": "success", "send_alerts": "failed"}
    assert str(run.state) == "failed"


def test_annual_report_dag_stores_docx_and_xlsx_in_exports(stack, s3_admin):
    started = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    run = _dag(stack, "sohoa_annual_report").test(run_after=RUN_AFTER, logical_date=RUN_AFTER,
                                                  run_conf={"year": 2026})
    assert _states(run) == {"build_and_publish": "success"}
    stored = {o["Key"]: o["LastModified"] for o in s3_admin.list_objects_v2(
        Bucket="exports", Prefix="bao-cao-nam/2026/SNGV-HP/").get("Contents", [])}
    assert set(stored) == {"bao-cao-nam/2026/SNGV-HP/bao-cao-so-hoa-2026.docx",
                           "bao-cao-nam/2026/SNGV-HP/bao-cao-so-hoa-2026.xlsx"}
    assert all(when >= started for when in stored.values())  # written by this run
