"""The backlog as the catalogue sees it: the plan's figures minus what is registered, and registered hồ sơ not
yet through OCR, each assigned to the first phase (of its agency's milestones) whose scope it matches.

A hồ sơ is done when its accepted pages cover its declared số lượng trang and all are OCR'd (the milestones'
``ocr`` stage). An open hồ sơ that has pages is counted as scanned, with its pages not yet OCR'd; one without
pages is still to scan, with its declared page count or, failing that, a page count estimated from its
shelf-metres or as one hồ sơ. A milestone's ``plan_holding`` line (table ``plan_figure``) adds the hồ sơ and
metres of the plan that are not registered yet, still to scan, retention not split. Born-digital hồ sơ (mức độ
tin cậy ``goc_dien_tu``, e.g. from HP-Net) need neither scanning nor OCR and are left out.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any, Mapping, Sequence

from ..glossary import THOI_HAN_BAO_QUAN
from ..milestones.definitions import Milestone, Plan
from ..milestones.inventory import plan_figures
from ..catalogue.db import run_query
from ..milestones.scope import FIELDS
from .backlog import RETENTION_UNKNOWN, Backlog, BacklogRow

SOURCE = "danh mục (CSDL)"
HOLDING_SCANNED = "Đã quét, chưa OCR xong (danh mục)"
HOLDING_TO_SCAN = "Đã đăng ký, chưa quét (danh mục)"

# One row per group of hồ sơ alike in every scope field, whether they have pages, a declared page count and
# shelf-metres: how many are registered, and how many are open with their metres and pages still to do.
BACKLOG_SQL = """
WITH per_ho_so AS (
    SELECT a.ma AS agency, hs.arranged, hs.high_value, hs.thoi_han_bao_quan, hs.muc_do_tiep_can,
           hs.shelf_metres, hs.so_luong_trang,
           count(t.id) AS accepted, count(t.id) FILTER (WHERE t.ocr_status = 'done') AS ocr
      FROM ho_so hs JOIN agency a ON a.id = hs.agency_id
      LEFT JOIN trang t ON t.ho_so_id = hs.id
     WHERE a.ma = ANY(%(agencies)s) AND hs.muc_do_tin_cay <> 'goc_dien_tu'
     GROUP BY hs.id, a.ma
), judged AS (
    SELECT *, accepted > 0 AS scanned,
           accepted > 0 OR so_luong_trang IS NOT NULL AS pages_known,
           greatest(accepted, coalesce(so_luong_trang, 0)) - ocr AS pages_left,
           ocr < greatest(accepted, coalesce(so_luong_trang, 0))
               OR (accepted = 0 AND so_luong_trang IS NULL) AS open
      FROM per_ho_so
)
SELECT agency, arranged, high_value, thoi_han_bao_quan, muc_do_tiep_can, scanned, pages_known,
       shelf_metres IS NOT NULL AS has_metres,
       count(*) AS registered,
       coalesce(sum(shelf_metres), 0) AS registered_metres,
       count(*) FILTER (WHERE open) AS open_ho_so,
       coalesce(sum(shelf_metres) FILTER (WHERE open), 0) AS open_metres,
       coalesce(sum(pages_left) FILTER (WHERE open), 0) AS open_pages
  FROM judged
 GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
 ORDER BY 1, 4, 2, 3, 5, 6, 7, 8
"""


def first_phase(milestones: Sequence[Milestone], record: Mapping[str, Any]) -> Milestone | None:
    """The milestone ``record`` belongs to (:meth:`Milestone.holds`: the earliest phase whose scope holds it), or
    None (outside every phase)."""
    return next((m for m in milestones if m.holds(record)), None)


def backlog_from_catalogue(conn, plan: Plan) -> Backlog:
    """The backlog of every agency with milestones in ``plan``, read from the catalogue (read-only)."""
    agencies = sorted({m.agency for m in plan.milestones})
    groups = run_query(conn, f"'capacity backlog' for agencies {', '.join(agencies)}", BACKLOG_SQL,
                       {"agencies": agencies})
    # (agency, phase, retention, scanned, pages known, metres known) -> open hồ sơ, metres, pages
    open_work: dict[tuple, list] = defaultdict(lambda: [0, 0.0, 0])
    registered: dict[str, list] = defaultdict(lambda: [0, 0.0])  # milestone id -> hồ sơ, metres
    outside = 0
    for (agency, arranged, high_value, retention, access, scanned, pages_known, has_metres,
         n_registered, metres_registered, open_ho_so, open_metres, open_pages) in groups:
        values = dict(zip(("arranged", "high_value", "thoi_han_bao_quan", "muc_do_tiep_can"),
                          (arranged, high_value, retention, access)))
        record = {name: values[field.column] for name, field in FIELDS.items()}
        milestone = first_phase(plan.for_agency(agency), record)
        if milestone is None:
            outside += n_registered
            continue
        registered[milestone.id][0] += n_registered
        registered[milestone.id][1] += float(metres_registered)
        if open_ho_so:
            work = open_work[agency, milestone.phase, retention, scanned, pages_known, has_metres]
            work[0] += open_ho_so
            work[1] += float(open_metres)
            work[2] += int(open_pages)
    rows = [BacklogRow(agency, HOLDING_SCANNED if scanned else HOLDING_TO_SCAN, phase, THOI_HAN_BAO_QUAN[retention],
                       ho_so, metres if has_metres else None, pages if pages_known else None, scanned, SOURCE)
            for (agency, phase, retention, scanned, pages_known, has_metres), (ho_so, metres, pages)
            in open_work.items()]
    for milestone in plan.milestones:
        rows.extend(_unregistered(conn, milestone, *registered[milestone.id]))
    notes = (f"{outside} hồ sơ trong danh mục không thuộc phạm vi giai đoạn nào, không tính.",) if outside else ()
    return Backlog(tuple(rows), SOURCE, notes)


def _unregistered(conn, milestone: Milestone, ho_so: int, metres: float) -> list[BacklogRow]:
    """The part of the milestone's plan line not registered in the catalogue yet, as one row to scan."""
    figure = next((f for f in plan_figures(conn, milestone.agency) if f.line == milestone.plan_holding), None)
    if figure is None or (figure.ho_so or 0) <= ho_so:
        return []
    rest_metres = max(figure.shelf_metres - metres, 0.0) if figure.shelf_metres is not None else None
    return [BacklogRow(milestone.agency, f"{figure.label} — phần chưa đăng ký trong danh mục", milestone.phase,
                       RETENTION_UNKNOWN, figure.ho_so - ho_so, rest_metres, None, False,
                       f"{SOURCE}: số liệu kế hoạch '{figure.line}' trừ hồ sơ đã đăng ký")]
