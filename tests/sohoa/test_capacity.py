"""Capacity and cost model: hand-computed workers, dates and costs; bad input; outputs; CLI; catalogue source."""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from openpyxl import load_workbook
from rich.console import Console

from sohoa.capacity import outputs
from sohoa.capacity.backlog import (BASIS_COUNTED, BASIS_HO_SO, BASIS_METRES, Backlog, BacklogRow, read_backlog,
                                    size)
from sohoa.capacity.catalogue import HOLDING_SCANNED, HOLDING_TO_SCAN, backlog_from_catalogue
from sohoa.capacity.errors import BacklogError, CapacityConfigError
from sohoa.capacity.model import (Fleet, PhaseWindow, add_months, estimate, nth_working_day, phase_windows,
                                  working_days, workers_needed)
from sohoa.capacity.parameters import DEFAULT_PATH, parse_parameters, read_document
from sohoa.catalogue.db import transaction
from sohoa.cli import build_parser, main
from sohoa.milestones.definitions import load_plan, parse_plan

REPO = Path(__file__).resolve().parents[2]
MONDAY = dt.date(2026, 1, 5)
FRIDAY_NEXT_WEEK = dt.date(2026, 1, 16)  # 10 working days from MONDAY
# Every number below is picked so that the results are exact by hand:
#   one CPU worker: OCR 1 page/s, no overhead, intake 1 page/s -> 2 s a page -> 0.5 pages/s
#   one GPU worker: OCR 3 pages/s + intake 1 page/s -> 4/3 s a page -> 0.75 pages/s
#   10 working days × 10 h × utilisation 1 = 100 productive hours
#   1 MB a page = 1/1000 GB; storage counted from 10/01/2026 (middle of the window) to 10/01/2030 = 48 months
DOC = {
    "throughput": {"cpu_pages_per_s": 1, "gpu_pages_per_s": 3, "pipeline_overhead": 0, "intake_pages_per_s": 1,
                   "cpu_source": "test", "gpu_source": "test", "source": "test"},
    "schedule": {"hours_per_day": 10, "days_per_week": 5, "utilisation": 1, "catch_up_months": 6, "source": "test"},
    "conversion": {"pages_per_shelf_metre": 8000, "pages_per_ho_so": 25, "source": "test"},
    "storage": {"master_mb_per_page": 0.9, "derivative_mb_per_page": 0.1, "backup_copies": 2,
                "until": dt.date(2030, 1, 10), "source": "test"},
    "prices": {"scan_per_page": 2, "storage_per_gb_month": 5, "cpu_worker_hour": 10, "gpu_worker_hour": 100,
               "source": "test"},
}
WINDOWS = {1: PhaseWindow(1, None, FRIDAY_NEXT_WEEK), 2: PhaseWindow(2, dt.date(2026, 2, 2), dt.date(2026, 2, 13))}
CSV_HEADER = "agency,holding,phase,retention,ho_so,shelf_metres,pages,scanned,source\n"


def _row(pages: int | None = 900_000, phase: int = 1, scanned: bool = False, **kw) -> BacklogRow:
    fields = {"agency": "A", "holding": "khối thử", "phase": phase, "retention": "Vĩnh viễn", "ho_so": None,
              "shelf_metres": None, "pages": pages, "scanned": scanned, **kw}
    return BacklogRow(**fields)


def _estimate(*rows: BacklogRow, today: dt.date = MONDAY, fleet: Fleet | None = None, **overrides):
    params = parse_parameters(DOC, overrides)
    return estimate(Backlog(rows or (_row(),), "test"), WINDOWS, params, today, fleet)


def test_a_million_pages_at_half_a_page_a_second_in_100_hours_need_6_workers_and_900000_need_exactly_5():
    assert workers_needed(1_000_000, 0.5, 100) == 6
    assert workers_needed(900_000, 0.5, 100) == 5
    assert workers_needed(0, 0.5, 0) == 0


def test_working_days_count_the_first_days_of_each_week_from_monday():
    assert working_days(MONDAY, FRIDAY_NEXT_WEEK, 5) == 10
    assert working_days(MONDAY, FRIDAY_NEXT_WEEK, 6) == 11
    assert working_days(MONDAY, FRIDAY_NEXT_WEEK, 7) == 12
    assert working_days(dt.date(2026, 1, 10), dt.date(2026, 1, 11), 5) == 0  # a weekend
    assert working_days(FRIDAY_NEXT_WEEK, MONDAY, 5) == 0
    saturday = dt.date(2026, 1, 10)
    assert nth_working_day(saturday, 1, 5) == dt.date(2026, 1, 12)
    assert nth_working_day(saturday, 6, 5) == dt.date(2026, 1, 19)
    assert nth_working_day(MONDAY, 13, 5) == dt.date(2026, 1, 21)


def test_adding_months_keeps_the_day_or_falls_back_to_the_end_of_a_shorter_month():
    assert add_months(dt.date(2026, 12, 5), 6) == dt.date(2027, 6, 5)
    assert add_months(dt.date(2026, 8, 31), 6) == dt.date(2027, 2, 28)
    assert add_months(dt.date(2024, 2, 29), 12) == dt.date(2025, 2, 28)


def test_one_worker_does_intake_ocr_and_overhead_in_turn():
    throughput = parse_parameters(DOC, {"throughput.pipeline_overhead": 0.3,
                                        "throughput.intake_pages_per_s": 62}).throughput
    assert throughput.cpu == pytest.approx(1 / (1.3 / 1 + 1 / 62))
    assert throughput.gpu == pytest.approx(1 / (1.3 / 3 + 1 / 62))


def test_phase_workers_hours_and_costs_are_the_hand_computed_ones():
    phase, = _estimate().phases
    assert (phase.start, phase.working_days, phase.productive_hours) == (MONDAY, 10, 100)
    assert (phase.deadline, phase.overdue) == (FRIDAY_NEXT_WEEK, False)
    assert (phase.cpu_workers, phase.gpu_workers) == (5, 4)  # 900,000 / (0.75 × 3600 × 100) = 3.33 -> 4
    assert phase.cpu_worker_hours == pytest.approx(500)
    assert phase.storage_gb == pytest.approx(900)
    assert phase.storage_months == pytest.approx(48)
    assert phase.costs.scanning == 1_800_000  # 900,000 pages × 2 VND
    assert phase.costs.storage == pytest.approx(900 * 3 * 48 * 5)  # GB × (1 + 2 backup copies) × months × price
    assert phase.costs.compute == pytest.approx(500 * 10)
    assert phase.costs.gpu_compute == pytest.approx(900_000 / 0.75 / 3600 * 100)
    assert phase.costs.total == pytest.approx(1_800_000 + 648_000 + 5_000)


@pytest.mark.parametrize("backup_copies, storage_cost", [(0, 216_000), (1, 432_000), (2, 648_000)])
def test_storage_cost_pays_for_the_primary_and_every_backup_copy(backup_copies, storage_cost):
    phase, = _estimate(**{"storage.backup_copies": backup_copies}).phases
    assert phase.costs.storage == pytest.approx(storage_cost)


def test_pages_already_scanned_cost_no_scanning_but_are_stored_and_processed():
    phase, = _estimate(_row(scanned=True)).phases
    assert phase.costs.scanning == 0
    assert phase.costs.storage == pytest.approx(648_000)
    assert phase.costs.compute == pytest.approx(5_000)


def test_a_fleet_finishes_on_the_hand_computed_day_and_runs_the_phases_one_after_the_other():
    est = _estimate(_row(), _row(pages=90_000, phase=2), fleet=Fleet(cpu_workers=4, gpu_workers=0))
    first, second = est.phases
    assert first.fleet.hours == pytest.approx(125)  # 900,000 / (4 × 0.5 × 3600): 12.5 days of 10 h
    assert (first.fleet.finish, first.fleet.meets_deadline) == (dt.date(2026, 1, 21), False)
    assert first.costs.compute == pytest.approx(125 * 4 * 10)
    assert second.fleet.start == dt.date(2026, 2, 2)  # its window opens after the fleet is free
    assert (second.fleet.finish, second.fleet.meets_deadline) == (dt.date(2026, 2, 3), True)  # 12.5 h
    enough = _estimate(fleet=Fleet(cpu_workers=5, gpu_workers=0)).phases[0].fleet
    assert (enough.finish, enough.meets_deadline) == (FRIDAY_NEXT_WEEK, True)
    mixed = _estimate(fleet=Fleet(cpu_workers=1, gpu_workers=1)).phases[0]
    assert mixed.fleet.hours == pytest.approx(900_000 / (1.25 * 3600))
    assert mixed.costs.compute == pytest.approx(200 * (10 + 100))


def test_an_overdue_phase_is_planned_and_its_fleet_judged_over_the_catch_up_window():
    # deadline 16/01/2026 passed; from Monday 19/01/2026, 6 months to Sunday 19/07/2026: 26 weeks, 130 working days
    late = dt.date(2026, 1, 19)
    phase, = _estimate(_row(pages=5_000_000), today=late, fleet=Fleet(4, 0)).phases
    assert (phase.overdue, phase.start, phase.deadline) == (True, late, dt.date(2026, 7, 19))
    assert (phase.working_days, phase.productive_hours) == (130, 1300)
    assert (phase.cpu_workers, phase.gpu_workers) == (3, 2)  # 5,000,000 / (0.5 or 0.75 × 3600 × 1300) = 2.14, 1.42
    # 4 workers: 5,000,000 / (2 × 3600) = 694.4 h -> 70 days of 10 h = 14 weeks, done Friday 24/04/2026
    assert (phase.fleet.finish, phase.fleet.meets_deadline) == (dt.date(2026, 4, 24), True)
    assert not _estimate(_row(pages=5_000_000), today=late, fleet=Fleet(1, 0)).phases[0].fleet.meets_deadline
    # 3 months: to Sunday 19/04/2026, 13 weeks, 65 working days; 5,000,000 / (0.5 × 3600 × 650) = 4.27
    shorter, = _estimate(_row(pages=5_000_000), today=late, **{"schedule.catch_up_months": 3}).phases
    assert (shorter.deadline, shorter.working_days, shorter.cpu_workers) == (dt.date(2026, 4, 19), 65, 5)


def test_a_phase_whose_deadline_leaves_no_working_day_is_overdue_too():
    saturday, sunday = dt.date(2026, 1, 17), dt.date(2026, 1, 18)
    phase, = estimate(Backlog((_row(),), "test"), {1: PhaseWindow(1, None, sunday)}, parse_parameters(DOC),
                      saturday).phases
    assert (phase.overdue, phase.deadline) == (True, dt.date(2026, 7, 17))


def test_a_phase_with_nothing_left_may_be_past_its_deadline():
    first, second = _estimate(_row(pages=0), _row(pages=10, phase=2), today=dt.date(2026, 1, 20)).phases
    assert (first.cpu_workers, first.costs.total, first.overdue) == (0, 0, False)
    assert second.cpu_workers == 1


@pytest.mark.parametrize("key, value, message", [
    ("throughput.cpu_pages_per_s", 0, r"\[throughput\] cpu_pages_per_s must be greater than 0"),
    ("throughput.gpu_pages_per_s", -1, r"gpu_pages_per_s must be greater than 0"),
    ("schedule.utilisation", 1.2, r"utilisation must be at most 1"),
    ("schedule.days_per_week", 8, r"days_per_week must be a whole number from 1 to 7"),
    ("schedule.catch_up_months", 0, r"\[schedule\] catch_up_months must be a whole number from 1 to 120"),
    ("storage.backup_copies", -1, r"backup_copies must be a whole number at least 0"),
    ("prices.scan_per_page", "1.500", r"scan_per_page must be a number"),
])
def test_impossible_parameters_are_refused_naming_the_key(key, value, message):
    with pytest.raises(CapacityConfigError, match=message):
        parse_parameters(DOC, {key: value})


def test_a_row_in_a_phase_without_milestone_or_an_empty_fleet_is_refused():
    with pytest.raises(BacklogError, match="phase 3, which config/milestones.toml does not define"):
        _estimate(_row(phase=3))
    with pytest.raises(CapacityConfigError, match="the fleet has no workers"):
        _estimate(fleet=Fleet(0, 0))


def test_rows_without_pages_are_sized_from_shelf_metres_first_then_from_ho_so():
    conversion = parse_parameters(DOC).conversion
    sized = [size(row, conversion) for row in (_row(pages=120, shelf_metres=1.0),
                                               _row(pages=None, ho_so=9, shelf_metres=0.25),
                                               _row(pages=None, ho_so=9))]
    assert [(s.pages, s.basis) for s in sized] == [(120, BASIS_COUNTED), (2000, BASIS_METRES), (225, BASIS_HO_SO)]


def _csv(tmp_path: Path, body: str, header: str = CSV_HEADER) -> Path:
    path = tmp_path / "backlog.csv"
    path.write_text(header + body, encoding="utf-8")
    return path


def test_a_csv_backlog_is_read_with_blank_counts_and_vietnamese_flags(tmp_path):
    path = _csv(tmp_path, "SNV,Phông UBND,1,vĩnh viễn,12,0.5,,không,kiểm kê 2025\nSNV,Phông B,2,70 năm,,,300,có,\n")
    rows = read_backlog(path).rows
    assert rows == (BacklogRow("SNV", "Phông UBND", 1, "Vĩnh viễn", 12, 0.5, None, False, "kiểm kê 2025"),
                    BacklogRow("SNV", "Phông B", 2, "70 năm", None, None, 300, True, ""))


@pytest.mark.parametrize("header, body, message", [
    ("agency,holding,phase,retention,ho_so,shelf_metres,scanned\n", "SNV,B,1,vĩnh viễn,1,1,no\n",
     r"missing column\(s\) pages"),
    (CSV_HEADER, "SNV,B,1,vĩnh viễn,-3,,,no,\n", r"row 1: ho_so must not be negative, not '-3'"),
    (CSV_HEADER, "SNV,B,1,vĩnh viễn,,\"2,8\",,no,\n", r"row 1: shelf_metres must be a number written with a dot"),
    (CSV_HEADER, "SNV,B,1,100 năm,1,,,no,\n", r"retention '100 năm' is not one of"),
    (CSV_HEADER, "SNV,B,1,vĩnh viễn,,,,no,\n", r"give at least one of pages, shelf_metres or ho_so"),
    (CSV_HEADER, "SNV,B,0,vĩnh viễn,1,,,no,\n", r"phase must be 1 or more"),
    (CSV_HEADER, "SNV,B,1,vĩnh viễn,1,,,maybe,\n", r"scanned must be true or false"),
    (CSV_HEADER, "", r"holds no backlog rows"),
])
def test_a_bad_backlog_file_is_refused_naming_file_row_and_column(tmp_path, header, body, message):
    with pytest.raises(BacklogError, match=message):
        read_backlog(_csv(tmp_path, body, header))


def test_the_shipped_configuration_holds_the_measured_figures_and_the_plans_own_backlog():
    params = parse_parameters(read_document(DEFAULT_PATH))
    assert (params.throughput.cpu_pages_per_s, params.throughput.pipeline_overhead) == (0.35, 0.3)
    assert "CHƯA ĐO" in params.throughput.gpu_source
    assert params.storage.backup_copies == 2
    rows = read_backlog(DEFAULT_PATH).rows
    assert [(r.agency, r.phase, r.ho_so, r.shelf_metres, r.pages, r.scanned) for r in rows] == [
        ("SNGV-HP", 1, 158, 2.8, None, False), ("SNGV-HP", 2, 9494, 28.07, None, True)]


def test_the_shipped_backlog_at_the_plans_estimate_date_gives_the_documented_figures():
    est = estimate(read_backlog(DEFAULT_PATH), phase_windows(load_plan()), parse_parameters(
        read_document(DEFAULT_PATH)), dt.date(2025, 7, 15))
    first, second = est.phases
    assert (first.pages, first.working_days, first.cpu_workers, first.gpu_workers) == (22_400, 360, 1, 1)
    assert (second.start, second.pages, second.cpu_workers) == (dt.date(2027, 1, 1), 224_560, 1)
    assert first.costs.scanning == 33_600_000
    assert round(est.costs.total) == 374_776_301  # docs/capacity.md quotes this figure


def test_outputs_are_a_readable_png_and_workbook_with_the_summary_backlog_and_prices(tmp_path):
    est = _estimate(_row(), _row(pages=90_000, phase=2, scanned=True), fleet=Fleet(4, 0))
    png, xlsx = outputs.write_outputs(est, tmp_path / "out")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    wb = load_workbook(xlsx)
    assert wb.sheetnames == ["Tổng hợp", "Backlog", "Đơn giá"]
    summary = {row[0]: row[1:] for row in wb["Tổng hợp"].iter_rows(min_row=2, values_only=True) if row[0]}
    assert summary["Chỉ tiêu"] == ("Giai đoạn 1", "Giai đoạn 2", "Cả kế hoạch")
    assert summary["Số trang"] == (900_000, 90_000, 990_000)
    assert summary["Trang cần quét"] == (900_000, 0, 900_000)
    assert summary["Số worker CPU cần"] == (5, 1, 5)
    assert summary["Kịp hạn"] == ("không", "có", "không")
    assert summary["Chi phí quét (VND)"] == (1_800_000, 0, 1_800_000)
    backlog = list(wb["Backlog"].iter_rows(values_only=True))
    assert backlog[0][:7] == ("Cơ quan", "Khối tài liệu", "Giai đoạn", "Thời hạn bảo quản", "Số hồ sơ", "Mét giá",
                              "Số trang")
    assert backlog[2][2] == 2 and backlog[2][6] == 90_000 and backlog[2][8] == "có"
    prices = {(row[0], row[1]): row[2] for row in wb["Đơn giá"].iter_rows(min_row=2, values_only=True)}
    assert prices[("Đơn giá", "Quét một trang")] == 2
    assert prices[("Lưu trữ", "Số bản sao lưu (ngoài bản chính)")] == 2


def test_the_printed_table_uses_vietnamese_labels_and_separators():
    console = Console(record=True, width=140)
    outputs.print_report(_estimate(), console)
    text = console.export_text()
    for expected in ("Giai đoạn 1", "Hạn", "16/01/2026", "Số trang", "900.000", "Số worker CPU cần",
                     "Chi phí (VND)", "2.453.000", "Chi phí quét (VND)", "1.800.000"):
        assert expected in text


def test_every_option_of_sohoa_plan_is_explained_in_its_help():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    plan = sub.choices["plan"]
    options = [a for a in plan._actions if a.option_strings and a.dest != "help"]
    assert {o.option_strings[0] for o in options} >= {"--backlog", "--from-catalogue", "--today", "--out",
                                                      "--cpu-workers", "--gpu-workers", "--gpu-pages-per-s"}
    assert all(o.help for o in options)


def test_cli_writes_the_files_and_takes_overrides_from_options_and_a_throughput_file(tmp_path, capsys):
    backlog = _csv(tmp_path, "SNV,B,1,vĩnh viễn,,,22400,false,\n")
    speeds = tmp_path / "speeds.json"
    speeds.write_text(json.dumps({"gpu_pages_per_s": 40}), encoding="utf-8")
    code = main(["plan", "--backlog", str(backlog), "--today", "2026-11-24", "--out", str(tmp_path / "out"),
                 "--throughput-from", str(speeds), "--cpu-workers", "1", "--utilisation", "1"])
    assert code == 0
    assert "22.400" in capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["du-toan-kinh-phi-2026-11-24.xlsx",
                                                                    "nang-luc-2026-11-24.png"]
    prices = {row[1]: row[2] for row in load_workbook(tmp_path / "out" / "du-toan-kinh-phi-2026-11-24.xlsx")
              ["Đơn giá"].iter_rows(min_row=2, values_only=True)}
    assert (prices["OCR trên một worker GPU"], prices["Nguồn (GPU)"]) == (40, f"tệp {speeds}")
    assert prices["Hiệu suất (phần giờ làm việc thực sự xử lý)"] == 1


@pytest.mark.parametrize("args, message", [
    (["--catch-up-months", "0"], "[schedule] catch_up_months must be a whole number from 1 to 120, not 0"),
    (["--gpu-pages-per-s", "0"], "gpu_pages_per_s must be greater than 0"),
    (["--cpu-workers", "0"], "the fleet has no workers"),
])
def test_cli_exits_2_with_the_reason_on_bad_input(tmp_path, capsys, args, message):
    assert main(["plan", "--out", str(tmp_path), "--today", "2026-11-24", *args]) == 2
    assert message in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_cli_exits_2_on_a_backlog_with_a_missing_column(tmp_path, capsys):
    path = _csv(tmp_path, "SNV,B,1,vĩnh viễn,1\n", header="agency,holding,phase,retention,ho_so\n")
    assert main(["plan", "--backlog", str(path), "--today", "2026-11-24", "--out", str(tmp_path)]) == 2
    assert "missing column(s) shelf_metres, pages, scanned" in capsys.readouterr().err


def test_cli_plans_an_overdue_phase_over_the_catch_up_window_and_warns(tmp_path, capsys):
    # the shipped phase 1 (deadline 30/11/2026) from Saturday 05/12/2026 to 05/06/2027: 26 weeks and a Saturday,
    # 130 working days of 8 h at 80 %; with 3 months, to Friday 05/03/2027: 13 weeks, 65 working days
    for months, until, days in (("6", "05/06/2027", 130), ("3", "05/03/2027", 65)):
        out = tmp_path / months
        assert main(["plan", "--today", "2026-12-05", "--catch-up-months", months, "--cpu-workers", "1",
                     "--out", str(out)]) == 0
        overdue = f"QUÁ HẠN 30/11/2026 — kế hoạch bù đến {until}"
        assert f"sohoa: CẢNH BÁO: Giai đoạn 1 {overdue}: 22.400 trang" in capsys.readouterr().err
        sheet = load_workbook(out / "du-toan-kinh-phi-2026-12-05.xlsx")["Tổng hợp"]
        summary = {row[0]: row[1:] for row in sheet.iter_rows(min_row=2, values_only=True) if row[0]}
        assert summary["Tình trạng hạn"] == (overdue, "còn hạn", None)
        assert (summary["Ngày làm việc còn lại"][0], summary["Giờ xử lý thực tế"][0]) == (days, days * 8 * 0.8)
        assert summary["Kịp hạn"][0] == "có (hạn bù)"
        assert any(label.startswith(f"Giai đoạn 1 {overdue}") for label in summary)  # the note


def test_the_script_is_the_same_command(tmp_path):
    done = subprocess.run([sys.executable, str(REPO / "scripts" / "capacity.py"), "--today", "2025-07-15",
                           "--out", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "374.776.301" in done.stdout
    failed = subprocess.run([sys.executable, str(REPO / "scripts" / "capacity.py"), "--today", "2025-07-15",
                             "--catch-up-months", "0"], capture_output=True, text=True, timeout=120)
    assert failed.returncode == 2 and "catch_up_months must be" in failed.stderr


@pytest.mark.stack
def test_catalogue_backlog_is_the_plan_line_minus_registered_and_the_open_ho_so_by_phase(conn):
    tag = uuid.uuid4().hex[:8]
    agency = f"CAP{tag}"
    with transaction(conn) as cur:
        cur.execute("INSERT INTO agency (ma, ten) VALUES (%s, 'Cơ quan thử') RETURNING id", (agency,))
        agency_id = cur.fetchone()[0]
        cur.execute("INSERT INTO phong (agency_id, ma_phong, ten_phong) VALUES (%s, %s, 'Phông') RETURNING id",
                    (agency_id, f"P{tag}"))
        phong_id = cur.fetchone()[0]
        # retention, arranged, reliability, declared pages, shelf-metres, pages (OCR done, pending)
        for n, (retention, arranged, reliability, declared, metres, done, pending) in enumerate([
                ("vinh_vien", True, "so_hoa", 10, None, 2, 2),   # phase 1, scanned, 8 pages left
                ("70", True, "so_hoa", None, 0.5, 0, 0),         # phase 1, to scan, pages from its metres
                ("10", True, "so_hoa", None, None, 0, 0),        # in no phase
                ("50", False, "so_hoa", 3, None, 3, 0),          # phase 2, done
                ("vinh_vien", True, "so_hoa", 2, None, 2, 0),    # phase 1, done
                ("70", True, "goc_dien_tu", None, None, 0, 0),   # born digital: never scanned
        ], 1):
            cur.execute(
                """INSERT INTO ho_so (agency_id, phong_id, ma_ho_so, tieu_de, thoi_han_bao_quan, muc_do_tiep_can,
                                      muc_do_tin_cay, arranged, so_luong_trang, shelf_metres)
                   VALUES (%s, %s, %s, 'Hồ sơ', %s, 'cong_khai', %s, %s, %s, %s) RETURNING id""",
                (agency_id, phong_id, f"P{tag}.01.2015.{n:02d}", retention, reliability, arranged, declared,
                 metres))
            ho_so_id = cur.fetchone()[0]
            for page in range(1, done + pending + 1):
                cur.execute("""INSERT INTO trang (ho_so_id, so_trang, sha256, size_bytes, dpi, color_mode,
                                                  master_key, ocr_status)
                               VALUES (%s, %s, %s, 1, 300, 'color', %s, %s)""",
                            (ho_so_id, page, uuid.uuid4().hex * 2, f"test/{tag}/{n}/{page}.jpg",
                             "done" if page <= done else "pending"))
        cur.execute("""INSERT INTO plan_figure (agency_ma, line, holding, label, ho_so, shelf_metres, source)
                       VALUES (%s, 'chua-so-hoa', 'chua-so-hoa', 'Chưa số hóa', 10, 3.0, 'test')""", (agency,))
    plan = parse_plan({"milestone": [
        {"id": f"{tag}-1", "agency": agency, "phase": 1, "title": "GĐ 1", "deadline": dt.date(2026, 11, 30),
         "plan_holding": "chua-so-hoa",
         "scope": [{"arranged": [True], "retention": ["vĩnh viễn", "70 năm", "50 năm"]}]},
        {"id": f"{tag}-2", "agency": agency, "phase": 2, "title": "GĐ 2", "deadline": dt.date(2030, 11, 30),
         "scope": [{"retention": ["vĩnh viễn", "70 năm", "50 năm"]}]}]})

    backlog = backlog_from_catalogue(conn, plan)

    got = {(r.phase, r.retention, r.holding, r.ho_so, r.shelf_metres, r.pages, r.scanned) for r in backlog.rows}
    assert got == {(1, "Vĩnh viễn", HOLDING_SCANNED, 1, None, 8, True),
                   (1, "70 năm", HOLDING_TO_SCAN, 1, 0.5, None, False),
                   (1, "Không xác định", "Chưa số hóa — phần chưa đăng ký trong danh mục", 7, 2.5, None, False)}
    assert backlog.notes == ("1 hồ sơ trong danh mục không thuộc phạm vi giai đoạn nào, không tính.",)
    phase, = estimate(backlog, phase_windows(plan), parse_parameters(DOC), dt.date(2026, 11, 2)).phases
    assert (phase.pages, phase.scan_pages) == (8 + 4000 + 20_000, 4000 + 20_000)
