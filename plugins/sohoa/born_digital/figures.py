"""Born-digital hồ sơ in the plan's figures: counted as what they are ("gốc điện tử"), never as "số hóa".

For the dashboard and the yearly report (which read these functions; they compute nothing of their own):

* :func:`born_digital_counts` — per source (``nop_luu``: submitted electronic hồ sơ; ``hpnet``: the HP-Net
  import; ``khac``: other hồ sơ catalogued as gốc điện tử) and status (``catalogued`` → ``reviewed`` →
  ``handed_over``): hồ sơ, văn bản, pages, and how their signatures stand;
* :func:`rejected_submissions` — submissions refused, with their first reasons;
* :func:`paper_after_cutoff` — hồ sơ formed on or after 01/7/2025 (Luật Lưu trữ 2024 in force, plan II.1.b.4:
  they must be electronic) that arrived as scanned paper pages: each one is a finding for the agency;
* :func:`undated_scans` — hồ sơ with scanned pages and no formation date, which that check cannot judge.

A hồ sơ is "formed" on its thời gian bắt đầu (its thời gian kết thúc when no start is recorded). Each function
runs in the caller's transaction (the caller ends it) and raises :class:`sohoa.catalogue.db.CatalogueQueryError`,
naming the figure and the agency, when the catalogue cannot answer.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..catalogue.db import run_query

ELECTRONIC_FROM = dt.date(2025, 7, 1)
SOURCES = ("nop_luu", "hpnet", "khac")
STATUSES = ("catalogued", "reviewed", "handed_over")

COUNTS_SQL = """
WITH hs AS (
    SELECT h.id, h.so_luong_trang,
           CASE WHEN EXISTS (SELECT 1 FROM born_digital_submission s
                              WHERE s.ma_ho_so = h.ma_ho_so AND s.verdict = 'accepted') THEN 'nop_luu'
                WHEN EXISTS (SELECT 1 FROM event e WHERE e.object_type = 'ho_so' AND e.object_id = h.ma_ho_so
                                AND e.event_type = 'ingestion' AND e.detail->>'source' = 'HP-Net') THEN 'hpnet'
                ELSE 'khac' END AS source,
           CASE WHEN h.handed_over_at IS NOT NULL THEN 'handed_over'
                WHEN NOT EXISTS (SELECT 1 FROM van_ban v WHERE v.ho_so_id = h.id AND v.status <> 'final')
                     THEN 'reviewed'
                ELSE 'catalogued' END AS status
      FROM ho_so h JOIN agency a ON a.id = h.agency_id
     WHERE a.ma = %(agency)s AND h.muc_do_tin_cay = 'goc_dien_tu'
), sig AS (
    SELECT f.ho_so_id,
           count(*) FILTER (WHERE jsonb_array_length(f.signatures) = 0) AS unsigned,
           count(*) FILTER (WHERE EXISTS (SELECT 1 FROM jsonb_array_elements(f.signatures) x
                                           WHERE x->>'trust' = 'trusted')) AS trusted,
           count(*) FILTER (WHERE EXISTS (SELECT 1 FROM jsonb_array_elements(f.signatures) x
                                           WHERE x->>'digest' = 'sha1')) AS weak_digest
      FROM born_digital_file f WHERE f.role = 'original'
     GROUP BY f.ho_so_id
)
SELECT hs.source, hs.status, count(*) AS ho_so,
       coalesce(sum((SELECT count(*) FROM van_ban v WHERE v.ho_so_id = hs.id)), 0) AS van_ban,
       coalesce(sum(hs.so_luong_trang), 0) AS pages,
       coalesce(sum(sig.unsigned), 0) AS unsigned, coalesce(sum(sig.trusted), 0) AS trusted,
       coalesce(sum(sig.weak_digest), 0) AS weak_digest
  FROM hs LEFT JOIN sig ON sig.ho_so_id = hs.id
 GROUP BY hs.source, hs.status
"""

PAPER_AFTER_CUTOFF_SQL = """
SELECT h.ma_ho_so, h.tieu_de, coalesce(h.thoi_gian_bat_dau, h.thoi_gian_ket_thuc) AS formed,
       h.muc_do_tin_cay, count(t.id) AS pages
  FROM ho_so h JOIN agency a ON a.id = h.agency_id JOIN trang t ON t.ho_so_id = h.id
 WHERE a.ma = %(agency)s AND coalesce(h.thoi_gian_bat_dau, h.thoi_gian_ket_thuc) >= %(cutoff)s
 GROUP BY h.id
 ORDER BY formed, h.ma_ho_so
"""
REJECTED_SQL = """
SELECT submission_id, ma_ho_so, received_at, report FROM born_digital_submission
 WHERE agency_ma = %(agency)s AND verdict = 'rejected' ORDER BY received_at DESC, id DESC
"""
UNDATED_SCANS_SQL = """
SELECT count(*) FROM ho_so h JOIN agency a ON a.id = h.agency_id
 WHERE a.ma = %(agency)s AND h.thoi_gian_bat_dau IS NULL AND h.thoi_gian_ket_thuc IS NULL
   AND EXISTS (SELECT 1 FROM trang t WHERE t.ho_so_id = h.id)
"""


@dataclass(frozen=True)
class BornDigitalCount:
    source: str
    status: str
    ho_so: int
    van_ban: int
    pages: int
    unsigned: int  # văn bản files without any signature
    trusted: int  # văn bản files with a signature trusted against the configured store
    weak_digest: int  # văn bản files signed with SHA-1


@dataclass(frozen=True)
class PaperAfterCutoff:
    ma_ho_so: str
    tieu_de: str
    formed: dt.date
    muc_do_tin_cay: str
    pages: int

    @property
    def message(self) -> str:
        return (f"Hồ sơ {self.ma_ho_so} hình thành ngày {self.formed:%d/%m/%Y} (sau 01/7/2025) nhưng được nộp "
                f"dưới dạng {self.pages} trang scan từ giấy; theo kế hoạch, hồ sơ này phải là hồ sơ điện tử")


def born_digital_counts(conn, agency_ma: str) -> list[BornDigitalCount]:
    """One row per (source, status) that has hồ sơ, sources and statuses in their fixed order."""
    rows = [BornDigitalCount(*(int(v) if i > 1 else v for i, v in enumerate(row)))
            for row in run_query(conn, f"'born_digital_counts' for agency {agency_ma}", COUNTS_SQL,
                                 {"agency": agency_ma})]
    return sorted(rows, key=lambda r: (SOURCES.index(r.source), STATUSES.index(r.status)))


def rejected_submissions(conn, agency_ma: str) -> list[dict]:
    """Refused submissions of the agency, newest first: submission, mã hồ sơ, when, first reasons."""
    rows = run_query(conn, f"'rejected_submissions' for agency {agency_ma}", REJECTED_SQL, {"agency": agency_ma})
    return [{"submission_id": sid, "ma_ho_so": code, "received_at": when,
             "reasons": ([p["message"] for p in report["problems"]] + [
                 f"{i['name']}: {r['message']}" for i in report["items"] for r in i["reasons"]
                 if r["code"] != "ho_so_incomplete"])[:5]}
            for sid, code, when, report in rows]


def paper_after_cutoff(conn, agency_ma: str, cutoff: dt.date = ELECTRONIC_FROM) -> list[PaperAfterCutoff]:
    """Hồ sơ formed on or after ``cutoff`` that hold scanned pages, oldest first."""
    return [PaperAfterCutoff(*row) for row in run_query(conn, f"'paper_after_cutoff' for agency {agency_ma}",
                                                         PAPER_AFTER_CUTOFF_SQL,
                                                         {"agency": agency_ma, "cutoff": cutoff})]


def undated_scans(conn, agency_ma: str) -> int:
    """How many hồ sơ hold scanned pages but record neither thời gian bắt đầu nor kết thúc: whether they were
    formed after the cutoff is unknown, so :func:`paper_after_cutoff` cannot include them."""
    (count,), = run_query(conn, f"'undated_scans' for agency {agency_ma}", UNDATED_SCANS_SQL, {"agency": agency_ma})
    return int(count)
