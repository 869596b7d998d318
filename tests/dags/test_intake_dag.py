"""The sohoa_intake DAG: imports cleanly and lightly, follows the policy, and runs a batch end to end."""
from __future__ import annotations

import subprocess
import sys
import uuid

import pytest

from sohoa import storage
from sohoa.config import REPO_ROOT
from sohoa.intake.samples import make_batch
from sohoa.vendor_tool.upload import upload_batch

DAG_FILE = REPO_ROOT / "dags" / "sohoa_intake.py"


@pytest.fixture(scope="module")
def dag(stack):
    from airflow.models.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAG_FILE))
    assert not bag.import_errors, bag.import_errors
    return bag.get_dag("sohoa_intake")


def test_the_dag_follows_the_policy(dag):
    assert set(dag.tags) >= {"sohoa", "intake"}
    assert dag.max_active_runs == 1
    for task in dag.tasks:
        assert task.owner not in (None, "", "airflow") and task.retries >= 2, task.task_id
    assert {t.task_id for t in dag.tasks} == {"migrate_catalogue", "wait_for_complete_batches", "intake_batch"}
    assert [outlet.uri for outlet in dag.get_task("intake_batch").outlets] == ["s3://masters/"]


def test_parsing_the_dag_file_loads_no_heavy_library_beyond_what_airflow_loads():
    heavy = ("PIL", "boto3", "psycopg2", "jsonschema", "openpyxl", "numpy", "alembic", "sqlalchemy", "cv2",
             "sohoa.intake", "sohoa.catalogue", "sohoa.storage")
    probe = ("import runpy, sys, airflow.sdk; airflow.sdk.Asset('s3://masters/'); "  # the s3 asset loads boto3
             f"before = set(sys.modules); runpy.run_path({str(DAG_FILE)!r}); "
             f"print(sorted(m for m in {heavy!r} if m in set(sys.modules) - before))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def dag_test_beside_the_live_scheduler(dag, conf: dict, attempts: int = 3):
    """``dag.test`` while the stack's own scheduler runs the same DAG: their updates of ``dag_run`` can
    deadlock in the metadata database (PostgreSQL aborts one side); that is retried, like Airflow does."""
    from sqlalchemy.exc import OperationalError

    for attempt in range(1, attempts + 1):
        try:
            return dag.test(run_conf=conf)
        except OperationalError as exc:
            if "deadlock detected" not in str(exc) or attempt == attempts:
                raise


def test_a_run_with_conf_takes_the_named_batch_to_its_verdict(dag, tmp_path, stack):
    batch_id = f"t{uuid.uuid4().hex[:12]}"
    make_batch(tmp_path / batch_id, "vendor-demo", batch_id, 1, 2)
    upload_batch(tmp_path / batch_id, vendor="vendor-demo", progress=False, complete=False)
    run = dag_test_beside_the_live_scheduler(dag, {"vendor": "vendor-demo", "batch_id": batch_id})
    assert run.state == "success"
    s3 = storage.client()
    report = s3.get_object(Bucket=storage.INBOX, Key=f"vendor-demo/{batch_id}/_REPORT.txt")["Body"].read()
    assert "Kết luận: CHẤP NHẬN" in report.decode()
    [intake] = [ti for ti in run.get_task_instances() if ti.task_id == "intake_batch"]
    assert intake.rendered_map_index == f"vendor-demo/{batch_id}"  # not intake_batch[0]


def test_the_asset_event_of_a_batch_names_its_vendor_and_batch(dag, tmp_path, stack):
    from airflow.models.asset import AssetEvent
    from airflow.utils.session import create_session

    batch_id = f"t{uuid.uuid4().hex[:12]}"
    make_batch(tmp_path / batch_id, "vendor-demo", batch_id, 1, 1)
    upload_batch(tmp_path / batch_id, vendor="vendor-demo", progress=False, complete=False)
    run = dag_test_beside_the_live_scheduler(dag, {"vendor": "vendor-demo", "batch_id": batch_id})
    with create_session() as session:
        extras = [e.extra for e in session.query(AssetEvent).filter_by(source_dag_id="sohoa_intake",
                                                                          source_run_id=run.run_id)]
    assert extras == [{"vendor": "vendor-demo", "batch_id": batch_id}]  # shown on the sohoa_process run it starts


def test_the_trigger_serialises_to_an_importable_class_and_fires_on_a_marker(stack, tmp_path):
    import asyncio
    import importlib

    from sohoa.intake.orchestration import CompleteBatchTrigger

    classpath, kwargs = CompleteBatchTrigger(poll_interval=0.5).serialize()
    module, _, name = classpath.rpartition(".")
    trigger = getattr(importlib.import_module(module), name)(**kwargs)
    batch_id = f"t{uuid.uuid4().hex[:12]}"
    make_batch(tmp_path / batch_id, "vendor-demo", batch_id, 1, 1)
    upload_batch(tmp_path / batch_id, vendor="vendor-demo", progress=False)

    async def first_event():
        return await asyncio.wait_for(anext(trigger.run()), timeout=30)

    event = asyncio.run(first_event())
    assert all(set(batch) == {"vendor", "batch_id"} for batch in event.payload["batches"])
    assert event.payload["batches"]


def test_a_batch_intake_gives_up_on_is_held_and_the_operators_get_one_alert(stack, tmp_path):
    import json

    from sohoa.catalogue.db import connect, transaction
    from sohoa.catalogue.events import Event, record_events
    from sohoa.intake import orchestration
    from sohoa.intake.process import MAX_FAILED_RUNS

    batch_id = f"t{uuid.uuid4().hex[:12]}"
    make_batch(tmp_path / batch_id, "vendor-demo", batch_id, 1, 1)
    upload_batch(tmp_path / batch_id, vendor="vendor-demo", progress=False, complete=False)
    conn = connect()
    try:
        with transaction(conn) as cur:  # as many failed runs as intake allows (their cause does not matter here)
            record_events(cur, [Event("ingestion", "batch", f"vendor-demo/{batch_id}", "test", "failure",
                                      {"error": "ConnectionError: injected"})] * MAX_FAILED_RUNS)
    finally:
        conn.close()
    alerts = stack.state_dir / "alerts"
    before = set(alerts.glob("*"))
    assert orchestration.intake("vendor-demo", batch_id)["verdict"] == "held"
    sent = set(alerts.glob("*")) - before
    webhook = [json.loads(p.read_text())["body"] for p in sent if p.suffix == ".json"]
    mail = [p.read_text(errors="replace") for p in sent if p.suffix == ".eml"]
    assert [w["key"] for w in webhook] == [f"intake-held:vendor-demo/{batch_id}:{MAX_FAILED_RUNS}"]
    assert len(mail) == 1 and batch_id in mail[0]
    assert orchestration.intake("vendor-demo", batch_id)["verdict"] == "accepted"  # the operator's rerun
