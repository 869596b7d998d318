"""The review queue: flagged pages, parked OCR failures, proposed văn bản metadata and hồ sơ whose PDF/A failed.

Flagging is idempotent (one open item per object and reason). Resolving records who did it and an event;
accepting or correcting a văn bản's metadata makes it final. The queue lists the worst-read pages first (by
``trang.reading_quality``), so an archivist's time goes where the text is least trustworthy.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import psycopg2.extras

from ..catalogue.events import Event, record_event
from ..glossary import MUC_DO_TIEP_CAN
from ..vntime import VN_TZ
from .errors import ReviewError

RESOLUTIONS = ("accepted", "corrected", "rescan")
RESOLUTION_LABELS = {"accepted": "chấp nhận", "corrected": "đã sửa", "rescan": "từ chối, cần làm lại"}
EDITABLE_FIELDS = ("ten_loai", "so", "ky_hieu", "ngay_ban_hanh", "co_quan_ban_hanh", "trich_yeu", "nguoi_ky",
                   "ghi_chu")


@dataclass(frozen=True)
class ReviewItem:
    id: int
    object_type: str
    object_id: int
    reason: str
    detail: dict
    status: str
    created_at: dt.datetime
    ma_ho_so: str
    so_trang: int | None
    reading_quality: float | None  # the page's reading-quality score (0..1); None for other objects or unscored pages
    muc_do_tiep_can: str = "cong_khai"  # the hồ sơ's access level
    ma_phong: str = ""
    vendor: str | None = None  # the batch the hồ sơ came in with; None when catalogued without one
    batch_id: str | None = None
    page_id: int | None = None  # trang id: the item's page, or a văn bản's first page
    page_quality: float | None = None  # that page's reading quality
    min_confidence: float | None = None  # the lowest confidence of the proposed fields (văn bản items)


def flag_page(cur, trang_id: int, reason: str, detail: dict) -> None:
    """Put a page on the review queue (once per reason)."""
    _flag(cur, "trang", trang_id, reason, detail)


def flag_ho_so(cur, ho_so_id: int, reason: str, detail: dict) -> None:
    """Put a hồ sơ on the review queue (e.g. its PDF/A failed validation)."""
    _flag(cur, "ho_so", ho_so_id, reason, detail)


def flag_van_ban(cur, van_ban_id: int, detail: dict) -> None:
    """Put a văn bản's proposed metadata on the review queue."""
    _flag(cur, "van_ban", van_ban_id, "metadata", detail)


def _flag(cur, object_type: str, object_id: int, reason: str, detail: dict) -> None:
    """One open item per object and reason; flagging again updates its detail. A page parked again after an
    archivist sent it back to OCR (:mod:`sohoa.processing.retry`) reopens its closed ``ocr_parked`` item (the
    earlier resolution stays in the events); other closed items stay closed."""
    cur.execute(
        """INSERT INTO review_item (object_type, object_id, reason, detail) VALUES (%s, %s, %s, %s)
           ON CONFLICT (object_type, object_id, reason) DO UPDATE
              SET detail = EXCLUDED.detail, status = 'open', resolved_by = NULL, resolved_at = NULL,
                  created_at = CASE WHEN review_item.status = 'open' THEN review_item.created_at ELSE now() END
           WHERE review_item.status = 'open' OR review_item.reason = 'ocr_parked'""",
        (object_type, object_id, reason, psycopg2.extras.Json(detail)))


_LIST_SQL = """
SELECT r.id, r.object_type, r.object_id, r.reason, r.detail, r.status, r.created_at,
       h.ma_ho_so, t.so_trang, t.reading_quality,
       h.muc_do_tiep_can, p.ma_phong, b.vendor, b.batch_id, coalesce(t.id, fp.id), fp.reading_quality,
       (SELECT min((f ->> 'confidence')::real) FROM jsonb_each(r.detail -> 'proposed') AS e(k, f)
         WHERE jsonb_typeof(f) = 'object')
FROM review_item r
LEFT JOIN trang t ON r.object_type = 'trang' AND t.id = r.object_id
LEFT JOIN van_ban v ON r.object_type = 'van_ban' AND v.id = r.object_id
LEFT JOIN trang fp ON fp.ho_so_id = v.ho_so_id AND fp.so_trang = v.trang_dau
JOIN ho_so h ON h.id = coalesce(t.ho_so_id, v.ho_so_id, CASE WHEN r.object_type = 'ho_so' THEN r.object_id END)
JOIN phong p ON p.id = h.phong_id
LEFT JOIN batch b ON b.id = h.batch_id
WHERE (%(status)s::text IS NULL OR r.status = %(status)s)
  AND (%(id)s::bigint IS NULL OR r.id = %(id)s)
  AND (%(ma_ho_so)s::text IS NULL OR h.ma_ho_so = %(ma_ho_so)s)
  AND h.muc_do_tiep_can = ANY(%(levels)s)
  AND (%(reason)s::text IS NULL OR r.reason = %(reason)s)
  AND (%(phong)s::text IS NULL OR p.ma_phong = %(phong)s)
  AND (%(vendor)s::text IS NULL OR b.vendor = %(vendor)s)
  AND (%(batch_id)s::text IS NULL OR b.batch_id = %(batch_id)s)
  AND (%(below_quality)s::real IS NULL OR coalesce(t.reading_quality, fp.reading_quality) < %(below_quality)s)
  AND (%(below_confidence)s::real IS NULL OR EXISTS (
       SELECT 1 FROM jsonb_each(r.detail -> 'proposed') AS e(k, f)
        WHERE jsonb_typeof(f) = 'object' AND (f ->> 'confidence')::real < %(below_confidence)s))
ORDER BY t.reading_quality ASC NULLS LAST, r.created_at, r.id
LIMIT %(limit)s
"""
ALL_LEVELS = tuple(MUC_DO_TIEP_CAN)


@dataclass(frozen=True)
class Filters:
    """Narrow the queue; None: no condition. ``below_quality``: the page's (or the văn bản's first page's) reading
    quality is below it; ``below_confidence``: some proposed field's confidence is below it."""

    reason: str | None = None
    phong: str | None = None
    vendor: str | None = None
    batch_id: str | None = None
    below_quality: float | None = None
    below_confidence: float | None = None


def list_items(cur, *, status: str | None = "open", ma_ho_so: str | None = None, limit: int = 100,
               levels: tuple[str, ...] = ALL_LEVELS, filters: Filters = Filters()) -> list[ReviewItem]:
    """Review items (``status`` None: every status) of hồ sơ whose access level is in ``levels``, at most
    ``limit``: page items by their page's reading quality, lowest first; then pages without a score, văn bản and
    hồ sơ items, oldest first."""
    cur.execute(_LIST_SQL, {"status": status, "ma_ho_so": ma_ho_so, "limit": limit, "id": None,
                            "levels": list(levels), **vars(filters)})
    return [ReviewItem(*row) for row in cur.fetchall()]


def get_item(cur, item_id: int, *, levels: tuple[str, ...] = ALL_LEVELS) -> ReviewItem | None:
    """One item, whatever its status; None when there is none or its hồ sơ's access level is not in ``levels``."""
    cur.execute(_LIST_SQL, {"status": None, "ma_ho_so": None, "limit": 1, "id": item_id, "levels": list(levels),
                            **vars(Filters())})
    row = cur.fetchone()
    return ReviewItem(*row) if row else None


def resolve(cur, item_id: int, *, reviewer: str, resolution: str, corrections: dict | None = None) -> ReviewItem:
    """Close an open item. For a văn bản, ``accepted`` takes the proposal as it is and ``corrected`` applies
    ``corrections`` (only :data:`EDITABLE_FIELDS`); either way the văn bản becomes final. ``rescan`` rejects the
    proposal: the văn bản stays ``proposed``. Each change is an event. An item already resolved is a
    :class:`ReviewError` naming who resolved it, how and when.
    """
    if resolution not in RESOLUTIONS:
        raise ReviewError(f"Cách xử lý không hợp lệ: {resolution!r}; chọn một trong {', '.join(RESOLUTIONS)}.")
    corrections = corrections or {}
    unknown = set(corrections) - set(EDITABLE_FIELDS)
    if unknown:
        raise ReviewError(f"Không được sửa trường: {', '.join(sorted(unknown))}.")
    cur.execute("""SELECT object_type, object_id, status, resolved_by, resolved_at FROM review_item WHERE id = %s
                   FOR UPDATE""", (item_id,))
    row = cur.fetchone()
    if row is None:
        raise ReviewError(f"Không có mục duyệt số {item_id}.")
    object_type, object_id, status, resolved_by, resolved_at = row
    if status != "open":
        when = resolved_at.astimezone(VN_TZ).strftime("%H:%M %d/%m/%Y")
        raise ReviewError(f"Mục duyệt số {item_id} đã được xử lý ({RESOLUTION_LABELS[status]}) bởi {resolved_by} "
                          f"lúc {when}; không xử lý lại.")
    if corrections and (object_type != "van_ban" or resolution != "corrected"):
        raise ReviewError("Chỉ sửa siêu dữ liệu văn bản khi chọn 'corrected'.")
    if object_type == "van_ban" and resolution != "rescan":
        _finalise_van_ban(cur, object_id, reviewer, corrections)
    cur.execute("""UPDATE review_item SET status = %s, resolved_by = %s, resolved_at = now() WHERE id = %s""",
                (resolution, reviewer, item_id))
    record_event(cur, Event("metadata modification" if corrections else "review", object_type, str(object_id),
                            reviewer, "success", {"review_item": item_id, "resolution": resolution,
                                                  "corrections": corrections}))
    return get_item(cur, item_id)


def _finalise_van_ban(cur, van_ban_id: int, reviewer: str, corrections: dict) -> None:
    assignments = [f"{name} = %({name})s" for name in corrections]  # names checked against EDITABLE_FIELDS
    if "so" in corrections or "ky_hieu" in corrections:
        assignments.append("so_ky_hieu = coalesce(%(so)s, so) || '/' || coalesce(%(ky_hieu)s, ky_hieu)")
    sql = ("UPDATE van_ban SET " + ", ".join([*assignments, "status = 'final'", "finalised_by = %(reviewer)s",
                                              "finalised_at = now()"]) + " WHERE id = %(id)s")
    params = {"so": None, "ky_hieu": None, **corrections, "reviewer": reviewer, "id": van_ban_id}
    cur.execute(sql, params)
