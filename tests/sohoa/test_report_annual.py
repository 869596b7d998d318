"""The yearly report (.docx, .xlsx, charts), the CLI that builds it on demand, and the seeded plan figures."""
from __future__ import annotations

import datetime as dt
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from sohoa import demo_seed
from sohoa.milestones.definitions import load_plan
from sohoa.milestones.inventory import plan_figures, reconcile
from sohoa.reports import annual
from sohoa.reports.errors import ReportError
from test_milestones_catalogue import TODAY, catalogue_agency, milestone_plan  # noqa: F401 (fixture)


@pytest.fixture()
def seeded(stack, catalogue):
    from sohoa.catalogue.migrate import upgrade

    upgrade()
    demo_seed.seed(catalogue, load_plan(), TODAY)
    return catalogue


def test_seed_is_idempotent_and_marks_every_line_as_a_plan_figure(seeded):
    with seeded, seeded.cursor() as cur:
        cur.execute("SELECT line, seeded_at FROM plan_figure WHERE agency_ma = %s ORDER BY line", (demo_seed.AGENCY,))
        before = cur.fetchall()
    assert demo_seed.seed(seeded, load_plan(), TODAY) == 0
    with seeded, seeded.cursor() as cur:
        cur.execute("SELECT line, seeded_at FROM plan_figure WHERE agency_ma = %s ORDER BY line", (demo_seed.AGENCY,))
        assert cur.fetchall() == before
    figures = plan_figures(seeded, demo_seed.AGENCY)
    assert len(figures) == len(demo_seed.FIGURES)
    assert all(f.source.startswith("Số liệu kế hoạch") for f in figures)
    phase_1 = next(f for f in figures if f.line == demo_seed.PHASE_1_HOLDING)
    assert (phase_1.ho_so, phase_1.shelf_metres, phase_1.period) == (158, 2.8, "2010–2015")


def test_hp_net_figures_are_kept_as_the_plan_gives_them_and_the_gap_is_measured(seeded):
    figures = plan_figures(seeded, demo_seed.AGENCY)
    total = next(f for f in figures if f.line == "hp-net")
    years = [f for f in figures if f.holding == "hp-net-theo-nam"]
    rec = reconcile(total, years, 2019, 2025)
    assert (rec.reported_total, rec.sum_of_years, rec.unexplained, rec.missing_years) == (3035, 1511, 1524, (2024,))


def test_annual_report_states_plan_figures_progress_gaps_and_lateness(seeded, tmp_path):
    paths = annual.build(seeded, load_plan(), demo_seed.AGENCY, 2026, TODAY, tmp_path, "Sở Ngoại vụ Hải Phòng")
    docx_path, xlsx_path = paths
    from docx import Document

    doc = Document(docx_path)
    text = "\n".join(p.text for p in doc.paragraphs)
    cells = "\n".join(c.text for t in doc.tables for row in t.rows for c in row.cells)
    assert "Kết quả số hóa tài liệu lưu trữ năm 2026" in text
    assert "Hải Phòng, ngày 24 tháng 11 năm 2026" in text and "trước ngày 05/12/2026" in text
    assert "không phải là kết quả xử lý" in text  # plan figures are labelled as such
    assert "chênh lệch 1.524 hồ sơ chưa được đối soát" in text and "Năm không có số liệu: 2024" in text
    assert "Sắp đến hạn" in text and "Hạn 30/11/2026" in text
    for figure in ("158", "2,80", "9.494", "28,07", "3.035", "không có số liệu", "Đã số hóa (OCR)", "Đã bàn giao"):
        assert figure in cells
    with zipfile.ZipFile(docx_path) as z:
        assert len([n for n in z.namelist() if n.startswith("word/media/")]) >= 3  # charts

    from openpyxl import load_workbook

    wb = load_workbook(xlsx_path)
    assert wb.sheetnames[:2] == ["Thuc trang (ke hoach)", "HP-Net theo nam"]
    hp = {row[0]: row[1] for row in wb["HP-Net theo nam"].iter_rows(min_row=2, values_only=True) if row[0]}
    assert hp[2023] == 1032 and hp[2024] is None and hp["Chênh lệch chưa đối soát"] == 1524
    assert len(wb["Giai doan 1"]._images) == 1


def test_report_for_an_agency_with_no_records_says_so(stack, catalogue, catalogue_agency, tmp_path):
    plan = milestone_plan("EMPTY-AGENCY")
    report = annual.collect(catalogue, plan, "EMPTY-AGENCY", 2026, TODAY, "Cơ quan chưa có hồ sơ")
    assert report.agency_name == "Cơ quan chưa có hồ sơ" and not report.statuses[0].has_records
    assert "Chưa có hồ sơ nào thuộc giai đoạn này" in annual.outlook_sentence(report.statuses[0])
    annual.write_docx(report, annual.chart_images(report), tmp_path / "r.docx")


def test_report_for_an_agency_without_milestones_is_refused(stack, catalogue):
    with pytest.raises(ReportError, match="no milestone is configured for agency 'NOPE'"):
        annual.collect(catalogue, load_plan(), "NOPE", 2026, TODAY, "x")


def test_publish_stores_both_files_in_exports_and_fails_clearly_when_s3_refuses(seeded, stack, tmp_path, s3_admin):
    from sohoa.localstack.seaweed import client
    from sohoa.storage import client as pipeline_client

    paths = annual.build(seeded, load_plan(), demo_seed.AGENCY, 2026, TODAY, tmp_path, stack.agency)
    assert annual.publish(pipeline_client(), demo_seed.AGENCY, 2026, paths) == [
        "s3://exports/bao-cao-nam/2026/SNGV-HP/bao-cao-so-hoa-2026.docx",
        "s3://exports/bao-cao-nam/2026/SNGV-HP/bao-cao-so-hoa-2026.xlsx"]
    stored = s3_admin.get_object(Bucket="exports", Key="bao-cao-nam/2026/SNGV-HP/bao-cao-so-hoa-2026.docx")
    assert stored["Body"].read() == paths[0].read_bytes()
    refused = r"could not store .*bao-cao-so-hoa-2026-SNGV-HP.docx as s3://exports/.*SignatureDoesNotMatch"
    with pytest.raises(ReportError, match=refused):
        annual.publish(client(stack, "sohoa-pipeline", "wrong-secret"), demo_seed.AGENCY, 2026, paths)


def test_cli_builds_the_report_on_demand_and_explains_itself(seeded, tmp_path):
    sohoa = str(Path(sys.executable).with_name("sohoa"))
    help_text = subprocess.run([sohoa, "report", "annual", "--help"], capture_output=True, text=True, check=True).stdout
    assert "--year" in help_text and "05/12" in help_text and "kho xuất" in help_text
    done = subprocess.run([sohoa, "report", "annual", "--year", "2026", "--out", str(tmp_path), "--no-upload",
                           "--today", "2026-11-24"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bao-cao-so-hoa-2026-SNGV-HP.docx",
                                                          "bao-cao-so-hoa-2026-SNGV-HP.xlsx"]
    bad = subprocess.run([sohoa, "report", "annual", "--year", "2026", "--agency", "NOPE", "--out", str(tmp_path),
                          "--no-upload"], capture_output=True, text=True)
    assert bad.returncode == 2 and "Không có cơ quan mã 'NOPE' trong kế hoạch" in bad.stderr


def test_report_date_line_follows_nd_30():
    assert annual.place_and_date(dt.date(2026, 2, 5)) == "Hải Phòng, ngày 05 tháng 02 năm 2026"
    assert annual.place_and_date(dt.date(2026, 11, 20)) == "Hải Phòng, ngày 20 tháng 11 năm 2026"
