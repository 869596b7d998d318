"""The born-digital findings the dashboard and the yearly report show come from the records they name.

One agency is built with scanned hồ sơ formed on either side of 01/7/2025 (one formed on the day itself, known
only by its thời gian kết thúc; one with no date at all) and with nộp lưu submissions, two refused and one
accepted. Each test checks the figure in ``born_digital.figures``, then where it is shown: the dashboard's
born-digital card, section V of the .docx (its sentence, its table, the request it calls for) and the .xlsx sheet
"Hồ sơ gốc điện tử". An agency with neither finding says so in all three places.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import uuid

import pytest

from sohoa import storage
from sohoa.born_digital import figures
from sohoa.reports import annual, annual_docx, annual_xlsx
from test_milestones_catalogue import TODAY, HoSo, build_agency, milestone_plan, remove_agency

# Scanned hồ sơ (records 1-4, two pages each) by (thời gian bắt đầu, thời gian kết thúc)
FORMED = [("2025-09-01", "2025-12-31"),  # 1: after the cutoff
          (None, "2025-07-01"),  # 2: on the cutoff day, known by its end only
          ("2025-06-30", "2025-08-01"),  # 3: begun before the cutoff
          (None, None)]  # 4: no date: cannot be judged
RECORDS = [HoSo(pages=2) for _ in FORMED] + [HoSo(reliability="goc_dien_tu", pages=0)]  # 5: born digital
# Refused submissions: id -> (mã hồ sơ declared, problems of the whole submission, refused files' reasons)
REFUSED = {
    "NL-1": (None, ["ho_so.json: thiếu tệp siêu dữ liệu"], []),
    "NL-2": ("X.2", [], [("qd.pdf", "checksum_mismatch", "SHA-256 khác với giá trị khai"),
                         ("ph.pdf", "ho_so_incomplete", "hồ sơ có tệp khác bị từ chối")]),
}


def _report(problems: list[str], items: list[tuple[str, str, str]]) -> dict:
    return {"problems": [{"code": "metadata_missing", "message": m} for m in problems],
            "items": [{"name": name, "reasons": [{"code": code, "message": message}]}
                      for name, code, message in items]}


@pytest.fixture()
def agency(stack, catalogue):
    from sohoa.catalogue import migrate

    migrate.upgrade()
    code = f"B{uuid.uuid4().hex[:8].upper()}"
    build_agency(catalogue, code, RECORDS)
    with catalogue, catalogue.cursor() as cur:
        for n, (start, end) in enumerate(FORMED, 1):
            cur.execute("UPDATE ho_so SET thoi_gian_bat_dau = %s, thoi_gian_ket_thuc = %s WHERE ma_ho_so = %s",
                        (start, end, f"{code}.{n:03d}"))
        cur.execute("UPDATE ho_so SET thoi_gian_bat_dau = '2025-10-01' WHERE ma_ho_so = %s", (f"{code}.005",))
        for n, (sid, (ma, problems, items)) in enumerate(REFUSED.items()):
            cur.execute("""INSERT INTO born_digital_submission (agency_ma, submission_id, ma_ho_so, verdict, report,
                                                               received_at)
                           VALUES (%s, %s, %s, 'rejected', %s, %s)""",
                        (code, sid, ma and f"{code}.{ma}", json.dumps(_report(problems, items)),
                         dt.datetime(2026, 10, 1 + n, 3, 15, tzinfo=dt.timezone.utc)))
        cur.execute("""INSERT INTO born_digital_submission (agency_ma, submission_id, ma_ho_so, verdict, report)
                       VALUES (%s, 'NL-OK', %s, 'accepted', '{}')""", (code, f"{code}.005"))
    yield code
    with catalogue, catalogue.cursor() as cur:
        cur.execute("DELETE FROM born_digital_submission WHERE agency_ma = %s", (code,))
    remove_agency(catalogue, code)


@pytest.fixture()
def quiet_agency(stack, catalogue):
    """An agency with one scanned hồ sơ formed before 01/7/2025 and no submission."""
    from sohoa.catalogue import migrate

    migrate.upgrade()
    code = f"Q{uuid.uuid4().hex[:8].upper()}"
    build_agency(catalogue, code, [HoSo(pages=1)])
    with catalogue, catalogue.cursor() as cur:
        cur.execute("UPDATE ho_so SET thoi_gian_bat_dau = '2024-01-05' WHERE ma_ho_so = %s", (f"{code}.001",))
    yield code
    remove_agency(catalogue, code)


def born_digital_card(conn, code: str) -> str:
    from sohoa.web.dashboard import render_page

    html = render_page(conn, storage.client(), milestone_plan(code), TODAY, "Cơ quan thử", [])
    start = html.find('<div class="card born-digital">')
    assert start >= 0, "no born-digital card"
    return html[start:html.find('<div class="card', start + 1)]


def kpi(card: str, kind: str) -> str:
    match = re.search(rf'<b class="{kind}">([^<]*)</b>', card)
    assert match, f"no {kind} figure on the card"
    return match.group(1)


def table_rows(card: str, kind: str) -> list[list[str]]:
    match = re.search(rf'<table class="{kind}">(.*?)</table>', card, re.S)
    if not match:
        return []
    return [re.findall(r"<td>([^<]*)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", match.group(1), re.S)
            if "<td>" in row]


def built_report(conn, code: str, tmp_path):
    """The report of ``code`` and its .docx text (paragraphs; table rows as cells joined by ' | ') and .xlsx sheet
    "Hồ sơ gốc điện tử" (rows of cell values, empty rows dropped)."""
    from docx import Document
    from openpyxl import load_workbook

    report = annual.collect(conn, milestone_plan(code), code, 2026, TODAY, "Cơ quan thử")
    doc = Document(annual_docx.write_docx(report, annual.chart_images(report), tmp_path / "r.docx"))
    text = [p.text for p in doc.paragraphs]
    rows = [" | ".join(c.text for c in row.cells) for table in doc.tables for row in table.rows]
    sheet = load_workbook(annual_xlsx.write_xlsx(report, tmp_path / "r.xlsx"))["Hồ sơ gốc điện tử"]
    cells = [[v for v in row if v is not None] for row in sheet.iter_rows(values_only=True)]
    return report, text, rows, [row for row in cells if row]


def test_refused_submissions_are_shown_with_their_first_reasons_newest_first(catalogue, agency, tmp_path):
    refused = figures.rejected_submissions(catalogue, agency)
    assert [r["submission_id"] for r in refused] == ["NL-2", "NL-1"]  # NL-OK was accepted
    assert refused[0]["reasons"] == ["qd.pdf: SHA-256 khác với giá trị khai"]  # ho_so_incomplete is no reason

    card = born_digital_card(catalogue, agency)
    assert kpi(card, "rejected-submissions") == "2"
    assert table_rows(card, "rejected-submissions") == [
        ["NL-2", f"{agency}.X.2", "10:15 02/10/2026", "qd.pdf: SHA-256 khác với giá trị khai"],
        ["NL-1", "không khai", "10:15 01/10/2026", "ho_so.json: thiếu tệp siêu dữ liệu"]]
    assert "Lần nộp lưu hồ sơ điện tử bị từ chối: 2" in card

    _, text, rows, sheet = built_report(catalogue, agency, tmp_path)
    assert any(p.startswith("Lần nộp lưu hồ sơ điện tử bị từ chối: 2 ") for p in text)
    assert f"NL-2 | {agency}.X.2 | 10:15 02/10/2026 | qd.pdf: SHA-256 khác với giá trị khai" in rows
    assert "NL-1 | không khai | 10:15 01/10/2026 | ho_so.json: thiếu tệp siêu dữ liệu" in rows
    listed = [row for row in sheet if str(row[0]).startswith("NL-")]
    assert listed == [["NL-2", f"{agency}.X.2", dt.datetime(2026, 10, 2, 10, 15),
                       "qd.pdf: SHA-256 khác với giá trị khai"],
                      ["NL-1", "không khai", dt.datetime(2026, 10, 1, 10, 15), "ho_so.json: thiếu tệp siêu dữ liệu"]]


def test_paper_scans_of_ho_so_formed_from_july_2025_are_shown_and_undated_ones_are_named(catalogue, agency,
                                                                                          tmp_path):
    found = figures.paper_after_cutoff(catalogue, agency)
    assert [(f.ma_ho_so, f.formed, f.pages) for f in found] == [
        (f"{agency}.002", dt.date(2025, 7, 1), 2), (f"{agency}.001", dt.date(2025, 9, 1), 2)]
    assert figures.undated_scans(catalogue, agency) == 1  # record 4; record 5 (born digital) has no scan

    card = born_digital_card(catalogue, agency)
    assert kpi(card, "paper-after-cutoff") == "2"
    assert table_rows(card, "paper-after-cutoff") == [[f"{agency}.002", "Hồ sơ thử 2", "01/07/2025", "2"],
                                                      [f"{agency}.001", "Hồ sơ thử 1", "01/09/2025", "2"]]
    assert "nộp dưới dạng bản scan từ giấy: 2 " in card
    assert "1 hồ sơ có bản scan chưa ghi thời gian hình thành nên chưa kiểm tra được." in card

    report, text, rows, sheet = built_report(catalogue, agency, tmp_path)
    assert annual.paper_after_cutoff_sentence(report) in text
    assert f"{agency}.001 | Hồ sơ thử 1 | 01/09/2025 | 2" in rows and not any(f"{agency}.003 |" in r for r in rows)
    assert ("- Đề nghị các đơn vị lập và nộp lưu dưới dạng hồ sơ điện tử 2 hồ sơ hình thành từ 01/7/2025 hiện chỉ "
            "có bản scan từ giấy (Kế hoạch, mục II.1.b.4).") in text
    assert [annual.paper_after_cutoff_sentence(report)] in sheet
    assert [f"{agency}.001", dt.datetime(2025, 9, 1), 2, "Hồ sơ thử 1"] in sheet
    assert not any(row[0] == f"{agency}.003" for row in sheet)


def test_an_agency_with_no_refusal_and_no_late_paper_says_so_everywhere(catalogue, quiet_agency, tmp_path):
    assert figures.rejected_submissions(catalogue, quiet_agency) == []
    assert figures.paper_after_cutoff(catalogue, quiet_agency) == []
    assert figures.undated_scans(catalogue, quiet_agency) == 0
    none_refused = "Không có lần nộp lưu hồ sơ điện tử nào bị từ chối."
    no_paper = "Không có hồ sơ nào hình thành từ 01/7/2025 được nộp dưới dạng bản scan từ giấy."

    card = born_digital_card(catalogue, quiet_agency)
    assert (kpi(card, "rejected-submissions"), kpi(card, "paper-after-cutoff")) == ("0", "0")
    assert none_refused in card and no_paper in card and "chưa ghi thời gian" not in card
    assert table_rows(card, "rejected-submissions") == table_rows(card, "paper-after-cutoff") == []

    _, text, _, sheet = built_report(catalogue, quiet_agency, tmp_path)
    assert none_refused in text and no_paper in text
    assert not any("hồ sơ điện tử" in p and p.startswith("- Đề nghị") for p in text)
    assert [none_refused] in sheet and [no_paper] in sheet
    assert ["Chưa có hồ sơ gốc điện tử nào của đơn vị trong CSDL."] in sheet


def test_a_finding_the_catalogue_cannot_answer_is_a_vietnamese_503_naming_it(agency, monkeypatch):
    from airflow.api_fastapi.core_api.security import get_user
    from fastapi.testclient import TestClient

    from sohoa.milestones import definitions
    from sohoa.web.dashboard import create_app

    monkeypatch.setattr(definitions, "load_plan", lambda: milestone_plan(agency))
    monkeypatch.setattr(figures, "PAPER_AFTER_CUTOFF_SQL", "SELECT no_such_column FROM ho_so")
    app = create_app()
    app.dependency_overrides[get_user] = lambda: None
    page = TestClient(app).get("/")
    assert page.status_code == 503
    assert "Không lấy được số liệu" in page.text and f"&#x27;paper_after_cutoff&#x27; for agency {agency}" in page.text
