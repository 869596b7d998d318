"""OCR of accepted pages: masters → ocr_engine → derivatives (text, ALTO, words) → catalogue and search.

A chunk is a list of ``trang`` ids. :func:`ocr_chunk` is idempotent: pages already ``done`` are skipped, so
a retried task only redoes what is left. A page that fails is marked ``failed`` with its error and retried
on the next attempt; after :data:`MAX_ATTEMPTS` it is ``parked`` (kept, listed for review) — never dropped.
A fault of one page — the engine raising on it, its results failing to store — is that page's failure, never
its chunk's; only the services going away (S3, the catalogue, the disk) fail the task, to be retried.
"""
from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import botocore.exceptions
import psycopg2
import psycopg2.extras

from ocr_engine import pipeline
from ocr_engine.engines import get_engine
from ocr_engine.model import PageText

from .. import storage
from ..catalogue.db import transaction
from ..catalogue.events import Event, record_event
from ..search import index_page
from . import keys, words
from .errors import OcrIncomplete
from .fetch import download_verified
from .review import flag_page

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
# Faults of the services, not of a page: the task fails and Airflow retries it when they are back.
INFRASTRUCTURE = (psycopg2.OperationalError, psycopg2.InterfaceError, botocore.exceptions.BotoCoreError,
                  botocore.exceptions.ClientError, storage.StorageError, OSError)
LOW_CONFIDENCE = 0.80
AGENT = "sohoa.processing.ocr"


@dataclass
class PageRef:
    trang_id: int
    ma_ho_so: str
    so_trang: int
    sha256: str
    master_key: str
    master_version_id: str | None
    attempts: int


@dataclass
class ChunkReport:
    done: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    parked: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    seconds_ocr: float = 0.0

    def as_dict(self) -> dict:
        return {"done": len(self.done), "failed": len(self.failed), "parked": len(self.parked),
                "skipped": len(self.skipped), "seconds_ocr": round(self.seconds_ocr, 2)}


def pending_pages(cur, trang_ids: list[int]) -> list[PageRef]:
    """The pages of ``trang_ids`` that still need OCR, in hồ sơ and page order."""
    cur.execute(
        """SELECT t.id, h.ma_ho_so, t.so_trang, t.sha256, t.master_key, t.master_version_id, t.ocr_attempts
           FROM trang t JOIN ho_so h ON h.id = t.ho_so_id
           WHERE t.id = ANY(%s) AND t.ocr_status IN ('pending', 'failed')
           ORDER BY h.ma_ho_so, t.so_trang""", (trang_ids,))
    return [PageRef(*row) for row in cur.fetchall()]


def ocr_chunk(conn, s3, trang_ids: list[int], *, engine: str, jobs: int = 1) -> ChunkReport:
    """OCR the pages of ``trang_ids`` that are not done yet; store results; return what happened.

    Raises OcrIncomplete when a page failed but may still be retried (after the other pages were stored).
    """
    with transaction(conn) as cur:
        pages = pending_pages(cur, trang_ids)
    report = ChunkReport(skipped=sorted(set(trang_ids) - {p.trang_id for p in pages}))
    if not pages:
        return report
    ocr = get_engine(engine, jobs=jobs)
    with tempfile.TemporaryDirectory(prefix="sohoa-ocr-") as tmp:
        workdir = Path(tmp)
        by_id: dict[str, PageRef] = {}
        handled: set[int] = set()

        def fetch(page: PageRef) -> Path | None:
            path = workdir / f"{page.trang_id}{Path(page.master_key).suffix}"
            try:
                download_verified(s3, storage.MASTERS, page.master_key, path, page.sha256,
                                  version_id=page.master_version_id)
            except storage.StorageError as exc:
                handled.add(page.trang_id)
                _fail(conn, page, f"master unreadable: {exc}", report)
                return None
            by_id[str(page.trang_id)] = page
            return path

        def masters():
            """Download lazily, so the next pages arrive while earlier ones are being recognised."""
            for page in pages:
                path = fetch(page)
                if path is not None:
                    yield path

        try:
            for outcome in pipeline.run(masters(), ocr, jobs=jobs):
                page = by_id[outcome.page_id]
                handled.add(page.trang_id)
                _take(conn, s3, page, outcome, ocr, report)
        except INFRASTRUCTURE:
            raise
        except Exception as exc:  # one page's fault escaped the engine: the rest are read one at a time
            log.warning("OCR of a chunk stopped on %r; reading its %d remaining page(s) one by one", exc,
                        len(pages) - len(handled))
            for page in pages:
                if page.trang_id not in handled:
                    _read_alone(conn, s3, page, fetch, ocr, report)
                    handled.add(page.trang_id)
    if report.failed:
        raise OcrIncomplete(f"{len(report.failed)} page(s) failed OCR and will be retried: trang {report.failed}")
    return report


def _take(conn, s3, page: PageRef, outcome: pipeline.PageOutcome, ocr, report: ChunkReport) -> None:
    """Store one page's outcome, or count its failure: a failed reading, or results that cannot be stored."""
    if outcome.text is None and outcome.status in ("failed", "rejected"):
        _fail(conn, page, "; ".join(p.message for p in outcome.problems) or "no text", report)
        return
    text = outcome.text or PageText(outcome.page_id, [], ocr.name, ocr.version(), 0.0)
    try:
        _store(conn, s3, page, outcome, text)
    except INFRASTRUCTURE:
        raise
    except Exception as exc:
        conn.rollback()
        log.exception("storing the OCR results of trang %s failed", page.trang_id)
        _fail(conn, page, f"storing the OCR results failed: {exc!r}", report)
        return
    report.done.append(page.trang_id)
    report.seconds_ocr += text.seconds


def _read_alone(conn, s3, page: PageRef, fetch, ocr, report: ChunkReport) -> None:
    """OCR one page by itself; whatever it raises (the services apart) is its failure."""
    path = fetch(page)
    if path is None:
        return
    try:
        [outcome] = list(pipeline.run([path], ocr, jobs=1))
    except INFRASTRUCTURE:
        raise
    except Exception as exc:
        log.exception("OCR of trang %s raised", page.trang_id)
        _fail(conn, page, f"OCR raised {exc!r}", report)
        return
    _take(conn, s3, page, outcome, ocr, report)


def _store(conn, s3, page: PageRef, outcome: pipeline.PageOutcome, text: PageText) -> None:
    """Upload text, ALTO, the outcome and words; then, in one transaction, update the page (its reading quality
    and the way of reading that won go to ``reading_quality`` and ``ocr_path`` as well as ``qc_metrics``), index
    it, record events and queue its problems for review."""
    rotate = outcome.report.orientation_deg if outcome.report else 0
    outputs = {output.kind: output.data for output in pipeline.page_outputs(outcome)}
    outputs["words.json"] = words.dumps(text, outcome.to_source, rotate)
    stored = {}
    for kind, data in outputs.items():
        put = storage.put_bytes(s3, storage.DERIVATIVES, keys.derivative(page.ma_ho_so, page.so_trang, kind),
                                data, content_type=keys.CONTENT_TYPES[kind])
        stored[kind] = {"key": put.key, "sha256": put.sha256}
    problems = [vars(p) for p in outcome.problems]
    confidence = text.mean_confidence
    reading = outcome.report.reading if outcome.report else None  # None for a page with no words to judge
    score = reading["score"] if reading else None
    ocr_path = outcome.report.path if outcome.report else None
    with transaction(conn) as cur:
        cur.execute(
            """UPDATE trang SET ocr_status = 'done', ocr_text = %s, ocr_confidence = %s, ocr_engine = %s,
                      ocr_engine_version = %s, ocr_seconds = %s, ocr_error = NULL, ocr_updated_at = now(),
                      alto_key = %s, derivative_keys = %s, qc_metrics = %s, reading_quality = %s, ocr_path = %s,
                      qc_flags = (SELECT coalesce(jsonb_agg(DISTINCT f), '[]')
                                  FROM jsonb_array_elements(qc_flags || %s) AS f)
               WHERE id = %s""",
            (text.text, confidence, text.engine, text.engine_version, text.seconds,
             stored["alto.xml"]["key"], psycopg2.extras.Json(stored),
             psycopg2.extras.Json(outcome.report.to_dict() if outcome.report else {}),
             score, ocr_path,
             psycopg2.extras.Json([p["code"] for p in problems]), page.trang_id))
        index_page(cur.connection, page.trang_id, text.text)
        record_event(cur, Event("character recognition", "trang", str(page.trang_id), AGENT, "success", {
            "engine": text.engine, "version": text.engine_version, "confidence": confidence,
            "seconds": round(text.seconds, 3), "reading_quality": score, "path": ocr_path,
            "derivatives": stored}))
        if problems:
            flag_page(cur, page.trang_id, "qc_flag", {"problems": problems})
        if confidence is not None and confidence < LOW_CONFIDENCE:
            flag_page(cur, page.trang_id, "low_confidence", {"confidence": round(confidence, 4)})


def _fail(conn, page: PageRef, error: str, report: ChunkReport) -> None:
    """Count a failed attempt; park the page after MAX_ATTEMPTS. Its error is kept either way."""
    attempts = page.attempts + 1
    status = "parked" if attempts >= MAX_ATTEMPTS else "failed"
    log.warning("OCR of trang %s (%s p.%s) failed, attempt %s/%s: %s", page.trang_id, page.ma_ho_so,
                page.so_trang, attempts, MAX_ATTEMPTS, error)
    with transaction(conn) as cur:
        cur.execute("""UPDATE trang SET ocr_status = %s, ocr_attempts = %s, ocr_error = %s, ocr_updated_at = now()
                       WHERE id = %s""", (status, attempts, error[:2000], page.trang_id))
        record_event(cur, Event("character recognition", "trang", str(page.trang_id), AGENT, "failure",
                                {"attempt": attempts, "error": error[:2000], "status": status}))
        if status == "parked":
            flag_page(cur, page.trang_id, "ocr_parked", {"error": error[:2000], "attempts": attempts})
    (report.parked if status == "parked" else report.failed).append(page.trang_id)
