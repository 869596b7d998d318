"""The yearly report (.docx, .xlsx, charts), the CLI that builds it on demand, and the seeded plan figures."""
from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from sohoa import demo_seed
from sohoa.milestones.definitions import load_plan
from sohoa.milestones.inventory import plan_figures, reconcile
from sohoa.reports import annual, annual_docx, nd30
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


def _docx_text(doc) -> tuple[str, str]:
    """(body paragraphs, every table cell) of a Word document, each joined by newlines."""
    return ("\n".join(p.text for p in doc.paragraphs),
            "\n".join(p.text for t in doc.tables for row in t.rows for c in row.cells for p in c.paragraphs))


def test_annual_report_states_plan_figures_progress_gaps_and_lateness(seeded, tmp_path):
    docx_path, _ = annual.build(seeded, load_plan(), demo_seed.AGENCY, 2026, TODAY, tmp_path, "Sở Ngoại vụ Hải Phòng")
    from docx import Document

    text, cells = _docx_text(Document(docx_path))
    assert "không phải là kết quả xử lý" in text  # plan figures are labelled as such
    assert "chênh lệch 1.524 hồ sơ chưa được đối soát" in text and "Năm không có số liệu: 2024" in text
    assert "Sắp đến hạn" in text and "Hạn 30/11/2026" in text
    assert "Trang bị từ chối khi tiếp nhận:" in text and "Trang OCR dừng sau nhiều lần lỗi, cần xử lý:" in text
    for figure in ("158", "2,80", "9.494", "28,07", "3.035", "không có số liệu", "Đã số hóa (OCR)", "Đã bàn giao"):
        assert figure in cells
    with zipfile.ZipFile(docx_path) as z:
        assert len([n for n in z.namelist() if n.startswith("word/media/")]) >= 3  # charts


def test_the_report_has_the_form_of_nd_30_on_a4(seeded, tmp_path):
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm

    docx_path, _ = annual.build(seeded, load_plan(), demo_seed.AGENCY, 2026, TODAY, tmp_path, "Sở Ngoại vụ Hải Phòng")
    doc = Document(docx_path)
    section = doc.sections[0]
    assert (abs(section.page_width - Mm(210)), abs(section.page_height - Mm(297))) < (Mm(0.5), Mm(0.5))
    margins = [round(m.mm) for m in (section.top_margin, section.bottom_margin, section.left_margin,
                                     section.right_margin)]  # stored in twips: compare whole millimetres
    assert 20 <= margins[0] <= 25 and 20 <= margins[1] <= 25 and 30 <= margins[2] <= 35 and 15 <= margins[3] <= 20
    assert section.different_first_page_header_footer  # page numbers from page 2 on
    assert 'w:instr="PAGE"' in section.header._element.xml

    header, *_, signing = doc.tables
    left, right = (cell.text for cell in header.rows[0].cells)
    assert left.splitlines() == ["ỦY BAN NHÂN DÂN", "THÀNH PHỐ HẢI PHÒNG", "SỞ NGOẠI VỤ", "", "Số:       /BC-SNgV"]
    assert right.splitlines() == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "",
                                  "Hải Phòng, ngày 24 tháng 11 năm 2026"]
    text, _ = _docx_text(doc)
    assert "BÁO CÁO\nKết quả số hóa tài liệu lưu trữ năm 2026" in text
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert [h.split(".")[0] for h in headings] == ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX"]
    assert headings[-4:] == ["VI. VIỆC CHẬM TIẾN ĐỘ", "VII. ĐÁNH GIÁ CHUNG", "VIII. NHIỆM VỤ NĂM 2027",
                             "IX. KIẾN NGHỊ, ĐỀ XUẤT"]
    assert doc.paragraphs[-1].text.endswith("./.")
    noi_nhan, chu_ky = (cell.text.splitlines() for cell in signing.rows[0].cells)
    assert noi_nhan == ["Nơi nhận:", "- Sở Nội vụ thành phố Hải Phòng;", "- Giám đốc Sở (để b/c);", "- Lưu: VT, VP."]
    assert chu_ky[:2] == ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"]

    runs = [r for p in doc.paragraphs for r in p.runs if r.text.strip()]
    assert {r.font.name for r in runs} == {"Times New Roman"}
    assert {r.font.color.rgb for r in runs} == {docx_black()}  # headings too: not Word's blue
    assert {r.font.size.pt for r in runs if r.font.size} <= {12, 13, 14}  # 12: chart captions
    body = [r for p in doc.paragraphs if p.alignment == WD_ALIGN_PARAGRAPH.JUSTIFY for r in p.runs]
    assert body and {r.font.size.pt for r in body} == {14}
    assert "themeColor" not in doc.styles["Heading 1"].element.xml


def docx_black():
    from docx.shared import RGBColor

    return RGBColor(0, 0, 0)


def _soffice() -> str:
    found = shutil.which("soffice")
    if not found:
        pytest.skip("LibreOffice (Debian libreoffice-writer-nogui, libreoffice-calc-nogui) is not installed")
    return found


def _to_pdf(path: Path, out: Path) -> Path:
    """``path`` converted by LibreOffice headless (its own profile under ``out``, so runs do not collide)."""
    subprocess.run([_soffice(), f"-env:UserInstallation=file://{out / 'lo-profile'}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(out), str(path)], check=True, capture_output=True,
                   timeout=180)
    return out / f"{path.stem}.pdf"


def _pdfinfo(pdf: Path) -> dict[str, str]:
    lines = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()
    return dict(line.split(":", 1) for line in lines if ":" in line)


def test_the_report_renders_on_a4_with_its_form_and_signing_block(seeded, tmp_path):
    docx_path, xlsx_path = annual.build(seeded, load_plan(), demo_seed.AGENCY, 2026, TODAY, tmp_path,
                                        "Sở Ngoại vụ Hải Phòng")
    pdf = _to_pdf(docx_path, tmp_path)
    info = _pdfinfo(pdf)
    assert "595.3" in info["Page size"] and "841.89" in info["Page size"]  # A4 portrait
    pages = int(info["Pages"])
    first = subprocess.run(["pdftotext", "-l", "1", "-layout", str(pdf), "-"], capture_output=True, text=True,
                           check=True).stdout
    last = subprocess.run(["pdftotext", "-f", str(pages), "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in first and "Độc lập - Tự do - Hạnh phúc" in first
    assert "BÁO CÁO" in first and "Số:" in first and "/BC-SNgV" in first
    assert "Nơi nhận:" in last and "PHÓ GIÁM ĐỐC" in last and "./." in last
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "trang")],
                   check=True)
    assert (tmp_path / "trang-1.png").stat().st_size > 10_000

    sheets = _to_pdf(xlsx_path, tmp_path)
    info = _pdfinfo(sheets)
    assert "A4" in info["Page size"] and int(info["Pages"]) <= 10  # fitted to width: was 15 pages, text cut off


def test_the_workbook_has_native_charts_vietnamese_sheets_real_dates_and_print_setup(seeded, tmp_path):
    from openpyxl import load_workbook

    _, xlsx_path = annual.build(seeded, load_plan(), demo_seed.AGENCY, 2026, TODAY, tmp_path, "Sở Ngoại vụ Hải Phòng")
    with zipfile.ZipFile(xlsx_path) as z:
        names = z.namelist()
    assert len([n for n in names if n.startswith("xl/charts/chart")]) == 4  # HP-Net, two burn-ups, pages per month
    assert not [n for n in names if n.startswith("xl/media/")]  # no pasted pictures
    wb = load_workbook(xlsx_path)
    assert wb.sheetnames == ["Thực trạng (kế hoạch)", "HP-Net theo năm", "Giai đoạn 1", "Giai đoạn 2",
                             "Trang theo tháng", "Hồ sơ theo năm", "Hồ sơ gốc điện tử"]
    hp = {row[0]: row[1] for row in wb["HP-Net theo năm"].iter_rows(min_row=2, values_only=True) if row[0]}
    assert hp[2023] == 1032 and hp[2024] is None and hp["Chênh lệch chưa đối soát"] == 1524
    phase = wb["Giai đoạn 1"]
    deadline = next(row[1] for row in phase.iter_rows() if row[0].value == "Hạn hoàn thành")
    assert deadline.is_date and deadline.value.date() == dt.date(2026, 11, 30)
    assert deadline.number_format == "dd/mm/yyyy"
    registered = next(row[1] for row in phase.iter_rows() if row[0].value == "Đã đăng ký trong CSDL")
    assert isinstance(registered.value, int) and registered.number_format == "#,##0"
    inventory = wb["Thực trạng (kế hoạch)"]
    assert inventory["B2"].number_format == "#,##0.00" and inventory["B2"].value == pytest.approx(2.8)
    for ws in wb.worksheets:
        assert ws.print_title_rows == "$1:$1" and int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4)
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
        assert ws.page_setup.fitToHeight == 0 and "&P" in ws.oddFooter.center.text


def test_report_for_an_agency_with_no_records_says_so(stack, catalogue, catalogue_agency, tmp_path):
    plan = milestone_plan("EMPTY-AGENCY")
    report = annual.collect(catalogue, plan, "EMPTY-AGENCY", 2026, TODAY, "Cơ quan chưa có hồ sơ")
    assert report.agency_name == "Cơ quan chưa có hồ sơ" and not report.statuses[0].has_records
    assert "Chưa có hồ sơ nào thuộc giai đoạn này" in annual.outlook_sentence(report.statuses[0])
    annual_docx.write_docx(report, annual.chart_images(report), tmp_path / "r.docx")


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
    assert nd30.place_and_date(dt.date(2026, 2, 5), "Hải Phòng") == "Hải Phòng, ngày 05 tháng 02 năm 2026"
    assert nd30.place_and_date(dt.date(2026, 11, 20), "Hải Phòng") == "Hải Phòng, ngày 20 tháng 11 năm 2026"


def test_the_number_is_left_for_the_van_thu_unless_given():
    issuer = nd30.Issuer(name="SỞ NGOẠI VỤ", symbol="SNgV")
    assert nd30.number_line("BC", issuer) == "Số:       /BC-SNgV"
    assert nd30.number_line("BC", issuer, "15") == "Số: 15/BC-SNgV"
