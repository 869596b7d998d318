"""The page "Lô số hóa": every vendor batch, and one page per batch, inside Airflow's UI.

Mounted by the Airflow plugin at ``/sohoa/lo`` (see :mod:`sohoa.web`); also a tab of every ``sohoa_intake`` and
``sohoa_process`` run (``/sohoa/lo/theo-luot?dag_id=…&run_id=…``, Airflow's ``dag_run`` external view), which
finds the batch(es) the run handled: from its conf, its run id (``manual__<vendor>__<batch>__…``), the asset
events that started it, or the labels of its mapped ``intake_batch`` tasks.

A batch's page: the verdict as the vendor received it (``_REPORT.txt``, :func:`sohoa.intake.report.report_text`),
files accepted and rejected with their reasons, and per catalogued page its OCR status, attempts, confidence,
reading quality and last error. Pages that failed or were parked have a retry button (archivists only, with a
confirmation): :func:`sohoa.processing.retry.retry_pages` sends them back to the OCR queue and a
``sohoa_process`` run is started for the batch. A user who is not an archivist sees no page of a hồ sơ above
public access and cannot retry (403).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from fastapi import Depends, FastAPI, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..catalogue.db import open_catalogue, transaction
from ..glossary import VERDICT
from ..processing.errors import ReviewError
from .forms import environment, install_error_pages, is_archivist, levels_of, require_archivist, \
    require_same_origin, user_dependency, user_name

log = logging.getLogger(__name__)

PROCESS_DAG = "sohoa_process"
INTAKE_TASK = "intake_batch"  # sohoa_intake's mapped task, labelled "<vendor>/<batch_id>"
LIST_LIMIT = 200  # batches listed, newest first
ROW_LIMIT = 1000  # pages, and files, shown on a batch's page (worst first): a 5,000-page batch stays a light page
BATCH_STATUS = {"received": "Đã nhận", "validated": "Đã kiểm tra", "stored": "Đã lưu", "done": "Xong"}
OCR_STATUS = {"pending": "Chờ nhận dạng", "done": "Đã nhận dạng", "failed": "Lỗi, sẽ thử lại",
              "parked": "Dừng sau nhiều lần lỗi"}

# The newest batches first, then the OCR states of their pages only: one pass over ho_so (no index on batch_id)
# and the pages of the chosen batches by trang's (ho_so_id, so_trang) index, not an aggregate of every page.
BATCHES_SQL = """
WITH chosen AS (
    SELECT id, vendor, batch_id, received_at, status, verdict, item_count, accepted_count, rejected_count
      FROM batch
     WHERE (%(vendor)s::text IS NULL OR vendor = %(vendor)s) AND (%(verdict)s::text IS NULL OR verdict = %(verdict)s)
     ORDER BY received_at DESC, id DESC LIMIT %(limit)s),
pages AS (
    SELECT h.batch_id, count(*) FILTER (WHERE t.ocr_status = 'done') AS done,
           count(*) FILTER (WHERE t.ocr_status = 'pending') AS pending,
           count(*) FILTER (WHERE t.ocr_status = 'failed') AS failed,
           count(*) FILTER (WHERE t.ocr_status = 'parked') AS parked
      FROM ho_so h JOIN trang t ON t.ho_so_id = h.id
     WHERE h.batch_id IN (SELECT id FROM chosen)
     GROUP BY h.batch_id)
SELECT c.vendor, c.batch_id, c.received_at, c.status, c.verdict, c.item_count, c.accepted_count, c.rejected_count,
       coalesce(p.done, 0), coalesce(p.pending, 0), coalesce(p.failed, 0), coalesce(p.parked, 0)
  FROM chosen c LEFT JOIN pages p ON p.batch_id = c.id
 ORDER BY c.received_at DESC, c.id DESC
"""

BATCH_SQL = """
SELECT id, vendor, batch_id, status, verdict, received_at, validated_at, finished_at, item_count, accepted_count,
       rejected_count, (SELECT d.vendor || '/' || d.batch_id FROM batch d WHERE d.id = b.duplicate_of)
  FROM batch b WHERE vendor = %s AND batch_id = %s
"""

# Catalogued pages of the batch's hồ sơ the user may see, worst first: parked, failed, pending, then by quality.
PAGES_SQL = """
SELECT t.id, h.ma_ho_so, t.so_trang, t.ocr_status, t.ocr_attempts, t.ocr_error, t.ocr_confidence,
       t.reading_quality, h.muc_do_tiep_can
  FROM trang t JOIN ho_so h ON h.id = t.ho_so_id
 WHERE h.batch_id = %(batch)s AND h.muc_do_tiep_can = ANY(%(levels)s)
 ORDER BY array_position(ARRAY['parked', 'failed', 'pending', 'done'], t.ocr_status), t.reading_quality NULLS LAST,
          h.ma_ho_so, t.so_trang
 LIMIT %(limit)s
"""

# Files of the batch, rejected first; a file of a catalogued hồ sơ the user may not see is left out.
ITEMS_SQL = """
SELECT i.name, i.kind, i.status, i.reasons, i.flags, i.ma_ho_so, i.so_trang
  FROM batch_item i LEFT JOIN ho_so h ON h.ma_ho_so = i.ma_ho_so
 WHERE i.batch_id = %(batch)s AND (h.id IS NULL OR h.muc_do_tiep_can = ANY(%(levels)s))
 ORDER BY i.status DESC, i.ma_ho_so NULLS FIRST, i.so_trang, i.name
 LIMIT %(limit)s
"""


@dataclass(frozen=True)
class BatchRow:
    vendor: str
    batch_id: str
    received_at: object
    status: str
    verdict: str | None
    item_count: int | None
    accepted_count: int | None
    rejected_count: int | None
    ocr_done: int
    ocr_pending: int
    ocr_failed: int
    ocr_parked: int


@dataclass(frozen=True)
class PageRow:
    trang_id: int
    ma_ho_so: str
    so_trang: int
    ocr_status: str
    attempts: int
    error: str | None
    confidence: float | None
    reading_quality: float | None
    muc_do_tiep_can: str

    @property
    def retryable(self) -> bool:
        return self.ocr_status in ("failed", "parked")


def list_batches(cur, *, vendor: str | None = None, verdict: str | None = None,
                 limit: int = LIST_LIMIT) -> list[BatchRow]:
    """The newest batches with their verdict counts and their catalogued pages' OCR states."""
    cur.execute(BATCHES_SQL, {"vendor": vendor, "verdict": verdict, "limit": limit})
    return [BatchRow(*row) for row in cur.fetchall()]


def batch_detail(cur, vendor: str, batch_id: str, levels: tuple[str, ...]) -> dict | None:
    """One batch: its row, files (rejected first) and pages (parked, failed, pending, then worst read first), at
    most ROW_LIMIT of each, and the vendor's report; None if unknown."""
    from ..catalogue.batches import items_of
    from ..intake.report import report_text

    cur.execute(BATCH_SQL, (vendor, batch_id))
    row = cur.fetchone()
    if row is None:
        return None
    keys = ("pk", "vendor", "batch_id", "status", "verdict", "received_at", "validated_at", "finished_at",
            "item_count", "accepted_count", "rejected_count", "duplicate_of")
    batch = dict(zip(keys, row))
    cur.execute(PAGES_SQL, {"batch": batch["pk"], "levels": list(levels), "limit": ROW_LIMIT})
    pages = [PageRow(*r) for r in cur.fetchall()]
    cur.execute(ITEMS_SQL, {"batch": batch["pk"], "levels": list(levels), "limit": ROW_LIMIT})
    items = [dict(zip(("name", "kind", "status", "reasons", "flags", "ma_ho_so", "so_trang"), r))
             for r in cur.fetchall()]
    report = report_text(vendor, batch_id, batch["verdict"], items_of(cur, batch["pk"])) if batch["verdict"] else None
    return {"batch": batch, "pages": pages, "items": items, "report": report, "row_limit": ROW_LIMIT}


def batches_of_run(dag_id: str, run_id: str) -> list[tuple[str, str]]:
    """(vendor, batch_id) of the batches an Airflow run of ``dag_id`` handled, in the order found; none for a
    run that names no batch (a backlog run of sohoa_process, another DAG's run)."""
    from airflow.models.dagrun import DagRun
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from sqlalchemy import select

    found: list[tuple[str, str]] = []

    def add(vendor, batch_id) -> None:
        if isinstance(vendor, str) and isinstance(batch_id, str) and vendor and batch_id \
                and (vendor, batch_id) not in found:
            found.append((vendor, batch_id))

    parts = run_id.split("__")
    if len(parts) == 4 and parts[0] == "manual":  # sohoa.airflow_api.batch_run_id
        add(parts[1], parts[2])
    with create_session() as session:
        run = session.scalar(select(DagRun).where(DagRun.dag_id == dag_id, DagRun.run_id == run_id))
        if run is None:
            return found
        conf = run.conf or {}
        add(conf.get("vendor"), conf.get("batch_id"))
        for event in run.consumed_asset_events:
            extra = event.extra or {}
            add(extra.get("vendor"), extra.get("batch_id"))
        labels = session.scalars(select(TaskInstance._rendered_map_index).where(
            TaskInstance.dag_id == dag_id, TaskInstance.run_id == run_id, TaskInstance.task_id == INTAKE_TASK))
        for label in labels:
            if label and label.count("/") == 1:
                add(*label.split("/"))
    return found


def start_processing(vendor: str, batch_id: str, user) -> str:
    """Start a ``sohoa_process`` run for one batch, as Airflow's trigger button would; return its run id."""
    from airflow.api.common.trigger_dag import trigger_dag
    from airflow.utils.types import DagRunTriggeredByType

    from ..airflow_api import batch_run_id

    conf = {"vendor": vendor, "batch_id": batch_id}
    run = trigger_dag(PROCESS_DAG, triggered_by=DagRunTriggeredByType.UI, run_id=batch_run_id(PROCESS_DAG, conf),
                      conf=conf, note=f"Lô {batch_id} của nhà thầu {vendor}: chạy lại trang lỗi",
                      triggering_user_name=getattr(user, "username", None))
    return run.run_id if run else ""


def create_app() -> FastAPI:
    """The batch pages; every route requires an Airflow user."""
    app = FastAPI(title="Lô số hóa", docs_url=None, redoc_url=None, openapi_url=None)
    get_user = user_dependency()
    install_error_pages(app)
    env = environment()
    env.globals.update(verdict_label=VERDICT, batch_status=BATCH_STATUS, ocr_status=OCR_STATUS)

    @app.get("/", response_class=HTMLResponse)
    def batches(user=Depends(get_user), vendor: str = Query("", max_length=100),
                verdict: str = Query("", max_length=20)) -> Response:
        conn = open_catalogue()
        try:
            with transaction(conn) as cur:
                rows = list_batches(cur, vendor=vendor.strip() or None,
                                    verdict=verdict if verdict in VERDICT else None)
        finally:
            conn.close()
        return HTMLResponse(env.get_template("batches.html").render(
            rows=rows, vendor=vendor, verdict=verdict, limit=LIST_LIMIT))

    @app.get("/theo-luot", response_class=HTMLResponse)
    def of_run(user=Depends(get_user), dag_id: str = Query(..., max_length=250),
               run_id: str = Query(..., max_length=250)) -> Response:
        found = batches_of_run(dag_id, run_id)
        if len(found) == 1:
            vendor, batch_id = found[0]
            return RedirectResponse(f"{vendor}/{batch_id}", status_code=303)
        return HTMLResponse(env.get_template("batches_of_run.html").render(
            dag_id=dag_id, run_id=run_id, found=found))

    @app.get("/{vendor}/{batch_id}", response_class=HTMLResponse)
    def batch(vendor: str, batch_id: str, user=Depends(get_user), thong_bao: str = Query("", max_length=500),
              loi: str = Query("", max_length=500)) -> Response:
        conn = open_catalogue()
        try:
            with transaction(conn) as cur:
                detail = batch_detail(cur, vendor, batch_id, levels_of(user))
        finally:
            conn.close()
        if detail is None:
            raise HTTPException(status_code=404, detail=f"Không có lô {batch_id} của nhà thầu {vendor}.")
        archivist = is_archivist(user)
        if not archivist:
            detail["report"] = None  # it names every hồ sơ of the batch, whatever its access level
        return HTMLResponse(env.get_template("batch.html").render(**detail, archivist=archivist, notice=thong_bao,
                                                                  error=loi))

    @app.post("/{vendor}/{batch_id}/chay-lai")
    def retry(vendor: str, batch_id: str, request: Request, user=Depends(get_user),
              trang: list[int] = Form(...)) -> Response:
        """Send failed/parked pages of this batch back to OCR and start sohoa_process for the batch."""
        from urllib.parse import urlencode

        from airflow.exceptions import AirflowException

        from ..processing.retry import retry_pages

        require_same_origin(request)
        require_archivist(user)
        conn = open_catalogue()
        try:
            with transaction(conn) as cur:
                pages = retry_pages(cur, trang, requested_by=user_name(user))
                strangers = [p for p in pages if (p.vendor, p.batch_id) != (vendor, batch_id)]
                if strangers:
                    raise ReviewError(f"{strangers[0].ma_ho_so} trang {strangers[0].so_trang} không thuộc lô này.")
        except ReviewError as exc:
            return RedirectResponse(f"../{batch_id}?{urlencode({'loi': str(exc)})}", status_code=303)
        finally:
            conn.close()
        names = ", ".join(f"{p.ma_ho_so} tr. {p.so_trang}" for p in pages)
        notice = f"Đã gửi lại nhận dạng: {names}."
        try:
            run_id = start_processing(vendor, batch_id, user)
        except AirflowException as exc:  # the pages are pending: any later sohoa_process run takes them
            log.error("%s sent %d page(s) of %s/%s back to OCR, but starting sohoa_process failed: %s",
                      user_name(user), len(pages), vendor, batch_id, exc)
            notice += (" Chưa khởi động được lượt xử lý sohoa_process cho lô này; các trang sẽ được nhận dạng ở "
                       "lượt chạy kế tiếp, hoặc bấm Trigger trên DAG sohoa_process.")
        else:
            log.info("%s sent %d page(s) of %s/%s back to OCR; run %s", user_name(user), len(pages), vendor,
                     batch_id, run_id)
        return RedirectResponse(f"../{batch_id}?{urlencode({'thong_bao': notice})}", status_code=303)

    return app
