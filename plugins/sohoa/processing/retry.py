"""Send pages whose OCR failed or was parked back to the OCR queue, at an archivist's request.

A parked page (:data:`sohoa.processing.ocr.MAX_ATTEMPTS` failed attempts) is never taken again by
``sohoa_process`` on its own; :func:`retry_pages` makes it ``pending`` with a fresh count of attempts, keeps
its last error in an event, and closes its ``ocr_parked`` review item as ``rescan`` under the archivist's name.
Should the page fail :data:`~sohoa.processing.ocr.MAX_ATTEMPTS` times again, it is parked again and its review
item reopened (:func:`sohoa.processing.review.flag_page`). Starting the OCR run is the caller's business (the
batch page starts ``sohoa_process`` for the batch); this module only changes the catalogue.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..catalogue.events import Event, record_event
from .errors import ReviewError

RETRYABLE = ("parked", "failed")


@dataclass(frozen=True)
class RetriedPage:
    trang_id: int
    ma_ho_so: str
    so_trang: int
    vendor: str | None  # the batch the page came in with (None: catalogued without a batch)
    batch_id: str | None
    previous_status: str
    previous_error: str | None


def retry_pages(cur, trang_ids: list[int], *, requested_by: str) -> list[RetriedPage]:
    """Make the ``parked`` or ``failed`` pages of ``trang_ids`` ``pending`` again (attempts reset, error
    cleared), in the caller's transaction; record an event per page and close its open ``ocr_parked`` item.

    Raises :class:`ReviewError` (Vietnamese) when a page does not exist or is not waiting for a retry (already
    OCR'd, or already pending) — nothing is changed then.
    """
    cur.execute(
        """SELECT t.id, h.ma_ho_so, t.so_trang, b.vendor, b.batch_id, t.ocr_status, t.ocr_error
             FROM trang t JOIN ho_so h ON h.id = t.ho_so_id LEFT JOIN batch b ON b.id = h.batch_id
            WHERE t.id = ANY(%s) ORDER BY h.ma_ho_so, t.so_trang FOR UPDATE OF t""", (list(trang_ids),))
    pages = [RetriedPage(*row) for row in cur.fetchall()]
    missing = sorted(set(trang_ids) - {p.trang_id for p in pages})
    if missing:
        raise ReviewError(f"Không có trang số {', '.join(map(str, missing))} trong CSDL.")
    for page in pages:
        if page.previous_status not in RETRYABLE:
            state = "đã nhận dạng xong" if page.previous_status == "done" else "đang chờ nhận dạng"
            raise ReviewError(f"{page.ma_ho_so} trang {page.so_trang} {state}, không cần chạy lại.")
    for page in pages:
        cur.execute("""UPDATE trang SET ocr_status = 'pending', ocr_attempts = 0, ocr_error = NULL,
                              ocr_updated_at = now() WHERE id = %s""", (page.trang_id,))
        cur.execute("""UPDATE review_item SET status = 'rescan', resolved_by = %s, resolved_at = now()
                        WHERE object_type = 'trang' AND object_id = %s AND reason = 'ocr_parked'
                          AND status = 'open' RETURNING id""", (requested_by, page.trang_id))
        closed = [row[0] for row in cur.fetchall()]
        record_event(cur, Event("character recognition", "trang", str(page.trang_id), requested_by, "success", {
            "action": "retry requested", "previous_status": page.previous_status,
            "previous_error": page.previous_error, "review_items_closed": closed}))
    return pages
