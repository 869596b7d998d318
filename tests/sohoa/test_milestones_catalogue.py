"""Milestone progress against the real catalogue: counts per stage, history, forecast, sync, failures.

``catalogue_agency`` builds a small agency of its own (unique code) and removes it afterwards; the report and
dashboard tests reuse it (``from test_milestones_catalogue import ...``).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass

import psycopg2
import pytest

from sohoa.catalogue import migrate
from sohoa.milestones.definitions import parse_plan
from sohoa.catalogue.db import CatalogueQueryError
from sohoa.milestones.errors import MilestoneConfigError
from sohoa.milestones.progress import evaluate, record_progress, sync_milestones

TODAY = dt.date(2026, 11, 24)


@dataclass
class HoSo:
    retention: str = "vinh_vien"
    arranged: bool = True
    high_value: bool = False
    metres: float = 0.02
    pages: int = 3
    ocr_done: int = 0
    rejected: int = 0
    flagged: int = 0
    ocr_failed: int = 0  # pages after the OCR'd ones whose OCR failed
    ocr_parked: int = 0  # ... and after those, pages parked
    reliability: str = "so_hoa"
    reviewed: bool = False
    handed_over: bool = False
    ocr_day: dt.date = dt.date(2026, 11, 23)


def _sha(*parts) -> str:
    return hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()


def _at(day: dt.date) -> dt.datetime:
    """10:00 in Việt Nam on ``day``."""
    return dt.datetime.combine(day, dt.time(10), dt.timezone(dt.timedelta(hours=7)))


def _ocr_status(r: HoSo, page: int) -> str:
    """Pages 1..ocr_done are done, the next ocr_failed failed, the next ocr_parked parked, the rest pending."""
    for status, last in (("done", r.ocr_done), ("failed", r.ocr_done + r.ocr_failed),
                         ("parked", r.ocr_done + r.ocr_failed + r.ocr_parked)):
        if page <= last:
            return status
    return "pending"


def add_plan_figure(conn, code: str, line: str, ho_so: int | None) -> None:
    """A plan line of agency ``code`` (removed with the agency by :func:`remove_agency`)."""
    with conn, conn.cursor() as cur:
        cur.execute("""INSERT INTO plan_figure (agency_ma, line, holding, label, ho_so, source)
                       VALUES (%s, %s, %s, %s, %s, 'Số liệu kế hoạch (thử)')""",
                    (code, line, line, f"Dòng kế hoạch {line}", ho_so))


def build_agency(conn, code: str, records: list[HoSo]) -> None:
    """Register an agency with one phông, one accepted batch and ``records`` (pages, OCR, review, handover)."""
    with conn, conn.cursor() as cur:
        cur.execute("INSERT INTO agency (ma, ten) VALUES (%s, %s) RETURNING id", (code, f"Cơ quan thử {code}"))
        (agency_id,) = cur.fetchone()
        cur.execute("INSERT INTO phong (agency_id, ma_phong, ten_phong) VALUES (%s, %s, %s) RETURNING id",
                    (agency_id, code, f"Phông {code}"))
        (phong_id,) = cur.fetchone()
        cur.execute("INSERT INTO batch (vendor, batch_id, agency_id, status, verdict) "
                    "VALUES ('vendor-test', %s, %s, 'stored', 'partial') RETURNING id", (code, agency_id))
        (batch_id,) = cur.fetchone()
        for n, r in enumerate(records, 1):
            ma = f"{code}.{n:03d}"
            cur.execute(
                """INSERT INTO ho_so (agency_id, phong_id, batch_id, ma_ho_so, tieu_de, thoi_han_bao_quan,
                       muc_do_tiep_can, muc_do_tin_cay, arranged, high_value, shelf_metres, so_luong_trang,
                       handed_over_at)
                   VALUES (%s, %s, %s, %s, %s, %s, 'cong_khai', %s, %s, %s, %s, %s, %s) RETURNING id""",
                (agency_id, phong_id, batch_id, ma, f"Hồ sơ thử {n}", r.retention, r.reliability, r.arranged,
                 r.high_value,
                 r.metres, r.pages, dt.datetime(2026, 11, 20) if r.handed_over else None))
            (ho_so_id,) = cur.fetchone()
            for page in range(1, r.pages + r.rejected + 1):
                accepted = page <= r.pages
                cur.execute(
                    """INSERT INTO batch_item (batch_id, name, kind, ma_ho_so, so_trang, status, reasons)
                       VALUES (%s, %s, 'page', %s, %s, %s, %s) RETURNING id""",
                    (batch_id, f"{ma}/{page:04d}.tif", ma, page, "accepted" if accepted else "rejected",
                     "[]" if accepted else '["dpi"]'))
                (item_id,) = cur.fetchone()
                if accepted:
                    cur.execute(
                        """INSERT INTO trang (ho_so_id, so_trang, sha256, size_bytes, dpi, color_mode, master_key,
                               batch_item_id, ocr_status, ocr_updated_at, qc_flags, created_at)
                           VALUES (%s, %s, %s, 1000, 300, 'color', %s, %s, %s, %s, %s, %s)""",
                        (ho_so_id, page, _sha(ma, page), f"{ma}/{page:04d}.tif", item_id,
                         _ocr_status(r, page),
                         _at(r.ocr_day) if page <= r.ocr_done else None, '["skew"]' if page <= r.flagged else "[]",
                         _at(r.ocr_day - dt.timedelta(days=1))))
            if r.reviewed:
                cur.execute("""INSERT INTO van_ban (ho_so_id, stt, ma_luu_tru, trang_dau, trang_cuoi, status,
                                   finalised_by, finalised_at)
                               VALUES (%s, 1, %s, 1, %s, 'final', 'luutru', %s)""",
                            (ho_so_id, f"{ma}.01", r.pages, _at(r.ocr_day)))


def remove_agency(conn, code: str) -> None:
    with conn, conn.cursor() as cur:
        cur.execute("SELECT id FROM milestone WHERE agency_ma = %s", (code,))
        ids = [row[0] for row in cur.fetchall()]
        for table in ("milestone_alert", "milestone_progress"):
            cur.execute(f"DELETE FROM {table} WHERE milestone_id = ANY(%s)", (ids,))
        cur.execute("DELETE FROM milestone WHERE agency_ma = %s", (code,))
        cur.execute("DELETE FROM plan_figure WHERE agency_ma = %s", (code,))
        cur.execute("""DELETE FROM van_ban WHERE ho_so_id IN (SELECT hs.id FROM ho_so hs JOIN agency a
                       ON a.id = hs.agency_id WHERE a.ma = %s)""", (code,))
        cur.execute("""DELETE FROM trang WHERE ho_so_id IN (SELECT hs.id FROM ho_so hs JOIN agency a
                       ON a.id = hs.agency_id WHERE a.ma = %s)""", (code,))
        cur.execute("DELETE FROM batch_item WHERE batch_id IN (SELECT id FROM batch WHERE batch_id = %s)", (code,))
        cur.execute("DELETE FROM ho_so WHERE agency_id IN (SELECT id FROM agency WHERE ma = %s)", (code,))
        cur.execute("DELETE FROM batch WHERE batch_id = %s", (code,))
        cur.execute("DELETE FROM phong WHERE agency_id IN (SELECT id FROM agency WHERE ma = %s)", (code,))
        cur.execute("DELETE FROM agency WHERE ma = %s", (code,))


def milestone_plan(code: str, deadline=dt.date(2026, 11, 30), **extra):
    """A plan with phase 1 (arranged, permanent/70/50 or high value) for agency ``code``, its target the plan
    line ``gd1`` (which :func:`catalogue_agency` seeds)."""
    return parse_plan({"milestone": [{
        "id": f"{code}-gd1", "agency": code, "phase": 1, "title": "Giai đoạn 1 thử", "deadline": deadline,
        "adopted": dt.date(2025, 6, 18), "start": dt.date(2025, 7, 1), "done_stage": "ocr", "plan_holding": "gd1",
        "scope": [{"arranged": [True], "retention": ["vĩnh viễn", "70 năm", "50 năm"]},
                  {"arranged": [True], "high_value": [True]}], **extra}]})


SAMPLE = [
    HoSo(pages=4, ocr_done=4, flagged=1, reviewed=True, handed_over=True, ocr_day=dt.date(2026, 11, 22)),
    HoSo(retention="70", pages=3, ocr_done=3),  # OCR'd on 23/11, not reviewed
    HoSo(retention="50", pages=2, ocr_done=1, rejected=2),  # half OCR'd, two pages rejected
    HoSo(retention="10", high_value=True, pages=2),  # in scope by high value
    HoSo(retention="10", pages=5, ocr_done=5),  # out of scope: 10 năm, not high value
    HoSo(retention="vinh_vien", arranged=False, pages=1),  # out of scope: not arranged
]


@pytest.fixture()
def catalogue_agency(stack, catalogue):
    """A fresh agency code with :data:`SAMPLE` registered and a plan line ``gd1`` of 3 hồ sơ; removed afterwards."""
    migrate.upgrade()
    code = f"T{uuid.uuid4().hex[:8].upper()}"
    build_agency(catalogue, code, SAMPLE)
    add_plan_figure(catalogue, code, "gd1", 3)
    yield code
    remove_agency(catalogue, code)


def _evaluate(conn, plan, today=TODAY):
    return evaluate(conn, plan.milestones[0], today, window_days=28, warn_days_before=30)


def test_progress_counts_hồ_sơ_pages_and_metres_at_each_stage_within_the_scope(catalogue, catalogue_agency):
    plan = milestone_plan(catalogue_agency)
    sync_milestones(catalogue, plan.milestones, TODAY)
    status = _evaluate(catalogue, plan)
    assert status.registered.ho_so == 4 and status.registered.pages == 11
    assert status.registered.shelf_metres == pytest.approx(0.08)
    assert status.stages["received"].ho_so == 4 and status.stages["received"].pages == 13  # 2 rejected
    assert status.stages["accepted"].ho_so == 4
    assert (status.stages["ocr"].ho_so, status.stages["ocr"].pages) == (2, 8)
    assert status.stages["reviewed"].ho_so == 1
    assert status.stages["handed_over"].ho_so == 1
    assert (status.pages.rejected, status.pages.flagged) == (2, 1)
    assert status.plan.ho_so == 3 and status.planned_ho_so == 4  # the plan's 3, or the 4 registered if more


def test_burnup_and_throughput_come_from_the_records_and_flag_a_late_phase(catalogue, catalogue_agency):
    plan = milestone_plan(catalogue_agency)
    status = _evaluate(catalogue, plan)
    assert status.burnup == [(dt.date(2026, 11, 22), 1), (dt.date(2026, 11, 23), 2)]
    assert len(status.pages_per_day) == 28 and status.pages_per_day[-1] == (TODAY, 0)
    assert [(d, n) for d, n in status.pages_per_day if n] == [(dt.date(2026, 11, 22), 4), (dt.date(2026, 11, 23), 4)]
    assert status.outlook.remaining == 2 and status.outlook.rate_per_day == pytest.approx(2 / 28)
    assert status.outlook.expected == TODAY + dt.timedelta(days=28)
    assert status.conditions == {"approaching", "forecast_late"}


def test_daily_snapshot_is_stored_once_per_day(catalogue, catalogue_agency):
    plan = milestone_plan(catalogue_agency)
    sync_milestones(catalogue, plan.milestones, TODAY)
    status = _evaluate(catalogue, plan)
    record_progress(catalogue, status)
    record_progress(catalogue, status)
    with catalogue, catalogue.cursor() as cur:
        cur.execute("SELECT stage, ho_so FROM milestone_progress WHERE milestone_id = %s AND day = %s ORDER BY 1",
                    (plan.milestones[0].id, TODAY))
        assert cur.fetchall() == [("accepted", 4), ("handed_over", 1), ("ocr", 2), ("received", 4),
                                  ("registered", 4), ("reviewed", 1)]


def test_agency_with_no_records_reports_zero_and_no_forecast_date(stack, catalogue):
    migrate.upgrade()
    code = f"E{uuid.uuid4().hex[:8].upper()}"
    plan = milestone_plan(code)
    try:
        sync_milestones(catalogue, plan.milestones, TODAY)
        status = _evaluate(catalogue, plan)
        assert not status.has_records
        assert status.registered.ho_so == 0 and all(m.ho_so == 0 for m in status.stages.values())
        assert status.outlook.expected is None and not status.outlook.done
        assert status.planned_ho_so is None and "Chưa nhập số liệu kế hoạch “gd1”" in status.missing_target
        assert status.conditions == {"approaching"}  # no target: the deadline alerts, no forecast is judged
    finally:
        remove_agency(catalogue, code)


def test_new_milestone_with_a_past_deadline_is_refused_and_nothing_is_written(stack, catalogue):
    migrate.upgrade()
    code = f"P{uuid.uuid4().hex[:8].upper()}"
    plan = parse_plan({"milestone": [{"id": f"{code}-x", "agency": code, "phase": 1, "title": "x",
                                      "deadline": dt.date(2026, 1, 1), "scope": [{"high_value": [True]}]}]})
    with pytest.raises(MilestoneConfigError, match="already past at creation"):
        sync_milestones(catalogue, plan.milestones, TODAY)
    with catalogue, catalogue.cursor() as cur:
        cur.execute("SELECT count(*) FROM milestone WHERE agency_ma = %s", (code,))
        assert cur.fetchone() == (0,)


def test_failing_catalogue_query_names_the_milestone_and_the_query(stack):
    conn = psycopg2.connect(stack.catalogue_dsn(), options="-c search_path=no_such_schema")
    try:
        with pytest.raises(CatalogueQueryError, match=r"'stages' for milestone 'X-gd1'.*ho_so"):
            _evaluate(conn, milestone_plan("X"))
    finally:
        conn.close()
