"""Helpers of the celery-profile tests: a batch uploaded as the vendor, followed through the real scheduler."""
from __future__ import annotations

import time
import uuid
from pathlib import Path

from ocr_engine.synth import render_page
from sohoa import storage
from sohoa.airflow_api import AirflowClient
from sohoa.catalogue.db import connect, transaction
from sohoa.dagkit import ocr_routing
from sohoa.demo import wait_for_verdict
from sohoa.intake.samples import make_batch
from sohoa.localstack.celery import DEFAULT_QUEUE
from sohoa.vendor_tool.upload import upload_batch

VENDOR = "vendor-demo"


def ocr_queue() -> str:
    """The queue OCR tasks go to in the current profile (``gpu`` on a machine without a GPU)."""
    return ocr_routing().get("queue", DEFAULT_QUEUE)


def upload(tmp_path: Path, n_ho_so: int, pages: int) -> str:
    """Render and upload a complete batch as the vendor (the scheduler's intake picks it up); its id."""
    batch_id = f"cel-{uuid.uuid4().hex[:8]}"
    seed = uuid.uuid4().int % 10**9
    make_batch(tmp_path / batch_id, VENDOR, batch_id, n_ho_so=n_ho_so, pages_per_ho_so=pages, with_van_ban=False,
               page_image=lambda ma, n: render_page(seed + int(ma[-3:]) * 100 + n, dpi=200)[0].convert("RGB"),
               dpi=200)
    upload_batch(tmp_path / batch_id, vendor=VENDOR, s3=storage.client(identity=VENDOR), progress=False)
    return batch_id


def batch_pages(batch_id: str) -> list[dict]:
    """Every page of a batch with its OCR status, hồ sơ PDFs and stored derivative keys."""
    conn = connect()
    try:
        with transaction(conn) as cur:
            cur.execute("""SELECT h.ma_ho_so, t.so_trang, t.id, t.ocr_status, h.pdf_keys, t.derivative_keys
                           FROM trang t JOIN ho_so h ON h.id = t.ho_so_id JOIN batch b ON b.id = h.batch_id
                           WHERE b.vendor = %s AND b.batch_id = %s ORDER BY 1, 2""", (VENDOR, batch_id))
            names = [c.name for c in cur.description]
            return [dict(zip(names, row)) for row in cur.fetchall()]
    finally:
        conn.close()


def wait_processed(batch_id: str, timeout: float = 900, on_poll=None) -> list[dict]:
    """Wait for intake's verdict, then until every page is OCR'd and every hồ sơ has its PDF/A (whichever run of
    ``sohoa_process`` does it: the one the asset triggers takes every waiting page)."""
    deadline = time.monotonic() + timeout
    wait_for_verdict(batch_id, timeout, vendor=VENDOR)
    while time.monotonic() < deadline:
        pages = batch_pages(batch_id)
        if pages and all(p["ocr_status"] == "done" and p["pdf_keys"] for p in pages):
            return pages
        if on_poll:
            on_poll()
        time.sleep(2)
    raise AssertionError(f"batch {batch_id} not processed after {timeout:.0f}s: {batch_pages(batch_id)}")


def task_instances_since(airflow: AirflowClient, dag_id: str, since: str) -> list[dict]:
    """Task instances of ``dag_id`` that started at or after the ISO time ``since`` (their run may have started
    before: the continuous intake run waits, deferred, for the next batch)."""
    return [ti for run in airflow.runs(dag_id, limit=20) if (run.get("end_date") or "9999") >= since
            for ti in airflow.task_instances(dag_id, run["dag_run_id"]) if (ti.get("start_date") or "") >= since]


def wait_quiet(airflow: AirflowClient, dag_id: str = "sohoa_process", timeout: float = 600) -> None:
    """Wait until no run of ``dag_id`` is queued or running (one started before a profile switch may still be
    finishing on the new workers), so the runs a test looks at afterwards are its own."""
    deadline = time.monotonic() + timeout
    while any(run["state"] in ("queued", "running") for run in airflow.runs(dag_id, limit=10)):
        if time.monotonic() > deadline:
            raise AssertionError(f"{dag_id} still has active runs after {timeout:.0f}s")
        time.sleep(3)
