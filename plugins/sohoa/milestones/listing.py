"""The records behind each count a phase shows: its hồ sơ at a stage, and its pages that did not go through.

Each list runs the same membership and joins as the count it explains (:mod:`.catalogue_sql`), so a count and
its list always agree; lists stop at ``limit`` rows (the count says how many there are). Read-only; a failing
query raises :class:`sohoa.catalogue.db.CatalogueQueryError` naming the milestone and the list.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from psycopg2 import sql

from . import catalogue_sql as q
from .definitions import STAGES, Milestone
from ..catalogue.db import run_query

LIMIT = 500
# The page counts of a phase (MilestoneStatus.pages), each with the words the dashboard and the report use.
PAGE_KINDS = {"rejected": "Trang bị từ chối khi tiếp nhận", "ocr_failed": "Trang OCR bị lỗi, chờ chạy lại",
              "ocr_parked": "Trang OCR dừng sau nhiều lần lỗi, cần xử lý",
              "flagged": "Trang bị gắn cờ kiểm tra chất lượng"}


@dataclass(frozen=True)
class HoSoRow:
    ma_ho_so: str
    pages: int
    reached_at: dt.datetime | None


@dataclass(frozen=True)
class PageRow:
    """One page behind a count: where it came from and why it is counted (reasons, OCR status or QC flags)."""

    ma_ho_so: str
    so_trang: int | None
    source: str  # the batch (vendor/batch_id) for a rejected page, the master's key for an accepted one
    why: list[str]


def _run(conn, milestone: Milestone, name: str, template: str, **params) -> list[tuple]:
    scope, scope_params = milestone.membership("hs")
    rows = run_query(conn, f"{name!r} for milestone {milestone.id!r} (agency {milestone.agency})",
                     sql.SQL(template).format(scope=scope),
                     {"agency": milestone.agency, "limit": LIMIT, **scope_params, **params})
    conn.rollback()
    return rows


def ho_so_at_stage(conn, milestone: Milestone, stage: str) -> list[HoSoRow]:
    """The phase's hồ sơ that reached ``stage`` ('registered': all of them), by mã. Raises ValueError for an
    unknown stage."""
    if stage not in ("registered", *STAGES):
        raise ValueError(f"unknown stage {stage!r}; expected registered or one of {', '.join(STAGES)}")
    return [HoSoRow(ma, int(pages), at) for ma, pages, at in
            _run(conn, milestone, "ho_so_at_stage", q.HO_SO_AT_STAGE_SQL, stage=stage)]


def _reasons(reasons) -> list[str]:
    return [r.get("message") or r.get("code", "") if isinstance(r, dict) else str(r) for r in reasons or []]


def pages_behind(conn, milestone: Milestone, kind: str) -> list[PageRow]:
    """The phase's pages counted as ``kind`` (one of :data:`PAGE_KINDS`). Raises ValueError for another kind."""
    if kind not in PAGE_KINDS:
        raise ValueError(f"unknown page kind {kind!r}; expected one of {', '.join(PAGE_KINDS)}")
    if kind == "rejected":
        return [PageRow(ma, so_trang, f"{vendor}/{batch_id}: {name}", _reasons(reasons)) for
                vendor, batch_id, ma, so_trang, name, reasons in
                _run(conn, milestone, "rejected_page_list", q.REJECTED_PAGE_LIST_SQL)]
    return [PageRow(ma, so_trang, key, [f"OCR: {status}", *_reasons(flags)]) for ma, so_trang, status, flags, key in
            _run(conn, milestone, "page_list", q.PAGE_LIST_SQL, kind=kind)]
