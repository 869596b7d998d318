"""The CeleryExecutor profile: real batches through the real scheduler, Redis and two Celery workers.

OCR goes to the ``gpu`` queue (on this machine without a GPU its worker runs the CPU engine), everything else
to ``default``; a worker killed in the middle of OCR loses nothing: its task is retried on another worker; tasks
waiting in a queue that no worker consumes raise an alert and run once a worker is back; a broker restarted in
the middle of a run only delays it, and one that cannot start stops the profile with a clear error.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import signal
import time

import pytest

from ocr_engine import pipeline
from ocr_engine.engines import get_engine
from sohoa import storage
from sohoa.catalogue.db import connect, transaction
from sohoa.errors import StackError
from sohoa.localstack import celery
from sohoa.localstack.airflow import Airflow
from sohoa.localstack.celery import CeleryWorkers, Redis, broker_url
from sohoa.processing.fetch import download_verified
from sohoa.queuewatch import sohoa_queues, stranded_queues

from scaleout_helpers import ocr_queue, task_instances_since, upload, wait_processed, wait_quiet

pytestmark = pytest.mark.stack


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat()


def _worker(ti: dict) -> str:
    """The stack's worker that ran a task instance (``hostname_callable`` appends it to the host name)."""
    return (ti.get("hostname") or "").rpartition("/")[2]


def test_a_batch_runs_through_intake_and_processing_on_both_workers(celery_stack, airflow, tmp_path):
    wait_quiet(airflow)
    since = _now()
    batch_id = upload(tmp_path, n_ho_so=2, pages=3)
    pages = wait_processed(batch_id)
    assert len(pages) == 6
    intake = [ti for ti in task_instances_since(airflow, "sohoa_intake", since) if ti["task_id"] == "intake_batch"]
    process = task_instances_since(airflow, "sohoa_process", since)
    ocr = [ti for ti in process if ti["task_id"] == "ocr" and ti["state"] == "success"]
    others = [ti for ti in process if ti["task_id"] in ("plan_chunks", "assemble") and ti["state"] == "success"]
    assert ocr and {_worker(ti) for ti in ocr} == {f"worker-{ocr_queue()}"} == {"worker-gpu"}  # no GPU in CI
    assert {ti["queue"] for ti in ocr} == {"gpu"}
    assert others and {_worker(ti) for ti in others} == {"worker-default"}
    assert intake and {_worker(ti) for ti in intake if ti["state"] == "success"} == {"worker-default"}


def _one_success_event_per_page(trang_ids: list[int]) -> dict[str, int]:
    conn = connect()
    try:
        with transaction(conn) as cur:
            cur.execute("""SELECT object_id, count(*) FROM event WHERE event_type = 'character recognition'
                           AND object_type = 'trang' AND outcome = 'success' AND object_id = ANY(%s)
                           GROUP BY 1""", ([str(i) for i in trang_ids],))
            return dict(cur.fetchall())
    finally:
        conn.close()


def _clean_run_texts(pages: list[dict], tmp_path) -> dict[int, str]:
    """What OCR of the very same master files gives in one clean, in-process run."""
    conn, s3 = connect(), storage.client()
    try:
        with transaction(conn) as cur:
            cur.execute("SELECT id, master_key, sha256, master_version_id FROM trang WHERE id = ANY(%s)",
                        ([p["id"] for p in pages],))
            masters = {row[0]: row[1:] for row in cur.fetchall()}
    finally:
        conn.close()
    files = [download_verified(s3, "masters", key, tmp_path / f"{tid}.jpg", sha, version_id=version)
             for tid, (key, sha, version) in masters.items()]
    return {int(o.page_id): o.text.text for o in pipeline.run(files, get_engine("tesseract", jobs=2), jobs=2)}


def test_a_worker_killed_during_ocr_loses_nothing_and_its_task_is_retried_on_another(
        celery_stack, airflow, tmp_path):
    cfg = celery_stack
    stack_airflow = Airflow(cfg)
    workers = stack_airflow.celery_workers()
    spare = CeleryWorkers.worker(cfg, stack_airflow.env, stack_airflow.airflow, cfg.ocr_gpu_queue, "worker-gpu-2")
    by_name = {s.name.removeprefix("celery-"): s for s in [*workers.services, spare]}
    spare.start()
    killed: list[dict] = []
    try:
        deadline = time.monotonic() + 120
        while "worker-gpu-2" not in workers.answering() and time.monotonic() < deadline:
            time.sleep(1)
        since = _now()
        batch_id = upload(tmp_path, n_ho_so=2, pages=8)

        def kill_a_worker_running_ocr() -> None:
            if killed:
                return
            for ti in task_instances_since(airflow, "sohoa_process", since):
                if ti["task_id"] == "ocr" and ti["state"] == "running" and _worker(ti) in by_name:
                    os.killpg(by_name[_worker(ti)].pid(), signal.SIGKILL)  # the worker and its tasks, at once
                    killed.append(ti)
                    return

        pages = wait_processed(batch_id, timeout=900, on_poll=kill_a_worker_running_ocr)
        assert killed, "no OCR task was seen running, so no worker was killed"
        [victim] = killed
        retried = [ti for ti in task_instances_since(airflow, "sohoa_process", since)
                   if ti["task_id"] == "ocr" and ti["map_index"] == victim["map_index"]
                   and ti["dag_run_id"] == victim["dag_run_id"]]
        assert retried[0]["state"] == "success" and retried[0]["try_number"] > victim["try_number"]
        assert _worker(retried[0]) not in ("", _worker(victim))

        assert len(pages) == 16 and all(p["ocr_status"] == "done" for p in pages)
        assert set(_one_success_event_per_page([p["id"] for p in pages]).values()) == {1}  # none twice
        s3 = storage.client()
        for page in pages:
            for stored in page["derivative_keys"].values():
                body = s3.get_object(Bucket="derivatives", Key=stored["key"])["Body"].read()
                assert hashlib.sha256(body).hexdigest() == stored["sha256"]
        conn = connect()
        with transaction(conn) as cur:
            cur.execute("SELECT id, ocr_text FROM trang WHERE id = ANY(%s)", ([p["id"] for p in pages],))
            texts = dict(cur.fetchall())
        conn.close()
        assert texts == _clean_run_texts(pages, tmp_path)
    finally:
        spare.stop()
        for service in workers.services:  # the killed worker comes back for the tests after this one
            service.start()


def test_tasks_waiting_in_a_queue_no_worker_consumes_raise_an_alert(celery_stack, airflow, tmp_path):
    cfg = celery_stack
    workers = Airflow(cfg).celery_workers()
    gpu_worker = next(s for s in workers.services if s.name == f"celery-worker-{cfg.ocr_gpu_queue}")
    broker, queues = broker_url(cfg), sohoa_queues(cfg)
    alerts = cfg.state_dir / "alerts"
    airflow.wait_for_dag("sohoa_queue_watch")
    all_clear = airflow.trigger("sohoa_queue_watch")  # also forgets any alert sent before this test
    assert airflow.wait("sohoa_queue_watch", all_clear, timeout=300) == "success"
    before = set(alerts.glob("*.json"))
    gpu_worker.stop()
    try:
        batch_id = upload(tmp_path, n_ho_so=1, pages=2)
        deadline = time.monotonic() + 300
        while not stranded_queues(broker, queues) and time.monotonic() < deadline:
            time.sleep(3)
        assert stranded_queues(broker, queues).keys() == {cfg.ocr_gpu_queue}
        run_id = airflow.trigger("sohoa_queue_watch")
        assert airflow.wait("sohoa_queue_watch", run_id, timeout=300) == "failed"  # fails at once, visibly
        sent = [json.loads(p.read_text()) for p in set(alerts.glob("*.json")) - before]
        assert any(f"hàng đợi «{cfg.ocr_gpu_queue}»" in json.dumps(a, ensure_ascii=False) for a in sent), sent
        after_first = set(alerts.glob("*.json"))
        run_id = airflow.trigger("sohoa_queue_watch")
        assert airflow.wait("sohoa_queue_watch", run_id, timeout=300) == "failed"  # still visible in the UI ...
        assert set(alerts.glob("*.json")) == after_first  # ... but the same stranding is not alerted again
    finally:
        gpu_worker.start()  # the batch below finishing is the proof that it is back
    assert all(p["ocr_status"] == "done" for p in wait_processed(batch_id))  # the waiting tasks were not lost
    assert stranded_queues(broker, queues) == {}
    all_clear = airflow.trigger("sohoa_queue_watch")  # forgets the alert, so the next stranding alerts at once
    assert airflow.wait("sohoa_queue_watch", all_clear, timeout=300) == "success"


def test_a_broker_restarted_mid_run_delays_the_batch_and_loses_nothing(celery_stack, airflow, tmp_path):
    broker = Redis(celery_stack)
    since = _now()
    batch_id = upload(tmp_path, n_ho_so=1, pages=8)
    restarted = []

    def restart_broker_once_processing_runs() -> None:
        if not restarted and any(ti["state"] == "running"
                                 for ti in task_instances_since(airflow, "sohoa_process", since)):
            broker.stop()
            time.sleep(20)  # workers and scheduler lose the broker for a while
            broker.start()
            restarted.append(True)

    pages = wait_processed(batch_id, timeout=900, on_poll=restart_broker_once_processing_runs)
    assert restarted, "processing was never seen running, so the broker was not restarted"
    assert len(pages) == 8 and all(p["ocr_status"] == "done" for p in pages)
    assert set(_one_success_event_per_page([p["id"] for p in pages]).values()) == {1}


def test_a_broker_that_cannot_start_stops_the_profile_with_a_clear_error(stack, monkeypatch):
    monkeypatch.setattr(celery.shutil, "which", lambda name: None)  # as on a machine without redis-server
    with pytest.raises(StackError, match="redis-server is not installed.*scripts/setup.sh"):
        Redis(stack).start()
