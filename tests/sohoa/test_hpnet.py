"""HP-Net import against the real stack, from the exports in tests/fixtures/hpnet: electronic hồ sơ imported as
"gốc điện tử" and handed over like any other; broken exports refused as a whole; bad hồ sơ refused one by one;
the reconciliation per year shows the plan's own gaps (2024 missing, 3,035 against 1,511)."""
from __future__ import annotations

import io
import shutil
import uuid
from pathlib import Path

import openpyxl
import pytest

from sohoa import storage
from sohoa.catalogue.db import connect, transaction
from sohoa.cli import main as sohoa_main
from sohoa.fixity.check import run_fixity
from sohoa.handover.transfer import Selection, hand_over
from sohoa.hpnet import ExportFormatError
from sohoa.hpnet.importer import import_export

pytestmark = pytest.mark.stack
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "hpnet"
PLAN = {None: 3035, 2019: 43, 2020: 59, 2021: 61, 2022: 69, 2023: 1032, 2025: 247}


def export(name: str, tmp_path: Path, tag: str) -> Path:
    """A copy of a fixture export whose hồ sơ codes carry ``tag`` (the catalogue is shared between runs)."""
    target = tmp_path / name
    shutil.copytree(FIXTURES / name, target)
    for path in target.glob("*.*"):
        if path.suffix in (".xml", ".csv") and b"RUN0001" in path.read_bytes():
            path.write_bytes(path.read_bytes().replace(b"RUN0001", tag.encode()))
        elif path.suffix == ".xlsx":
            book = openpyxl.load_workbook(path)
            for sheet in book.worksheets:
                for row in sheet.iter_rows():
                    for cell in row:
                        if isinstance(cell.value, str) and "RUN0001" in cell.value:
                            cell.value = cell.value.replace("RUN0001", tag)
            book.save(path)
    return target


@pytest.fixture()
def agency(stack):
    """A fresh agency with the plan's HP-Net figures (as seeded for SNGV-HP: 3,035 in all, six years)."""
    tag = uuid.uuid4().hex[:8]
    conn = connect()
    with transaction(conn) as cur:
        cur.execute("INSERT INTO agency (ma, ten) VALUES (%s, 'Cơ quan thử HP-Net')", (f"H{tag}",))
        for position, (year, count) in enumerate(PLAN.items()):
            cur.execute("""INSERT INTO plan_figure (agency_ma, line, position, holding, label, year, ho_so, source)
                           VALUES (%s, %s, %s, %s, %s, %s, %s, 'test')""",
                        (f"H{tag}", f"hp-net-{year or 'tong'}", position,
                         "hp-net" if year is None else "hp-net-theo-nam", f"HP-Net {year or 'tổng'}", year, count))
    yield conn, storage.client(), f"H{tag}", tag.upper()
    conn.close()


def test_an_xml_export_is_imported_as_born_digital_and_reconciled_per_year(agency, tmp_path):
    conn, s3, agency_ma, tag = agency
    report = import_export(conn, s3, export("export_xml", tmp_path, tag), agency_ma=agency_ma)
    assert report["imported"] == [f"HPN.{y}.{tag}.01" for y in (2019, 2023, 2025)] and report["refused"] == []
    assert report["unlisted_files"] == ["files/2025/ghi-chu-khong-khai.pdf"]
    with transaction(conn) as cur:
        cur.execute("""SELECT muc_do_tin_cay, thoi_han_bao_quan, muc_do_tiep_can, pdf_keys FROM ho_so
                       WHERE ma_ho_so = %s""", (f"HPN.2019.{tag}.01",))
        reliability, retention, access, pdf_keys = cur.fetchone()
        cur.execute("""SELECT v.stt, v.status, v.trang_dau, v.trang_cuoi FROM van_ban v
                       JOIN ho_so h ON h.id = v.ho_so_id WHERE h.ma_ho_so = %s ORDER BY v.stt""",
                    (f"HPN.2019.{tag}.01",))
        assert cur.fetchall() == [(1, "final", 1, 2), (2, "final", 3, 3)]
    assert (reliability, retention, access) == ("goc_dien_tu", "vinh_vien", "cong_khai")
    assert pdf_keys["1"]["bucket"] == "masters"
    assert storage.read_sha256(s3, "masters", pdf_keys["1"]["key"])[0] == pdf_keys["1"]["sha256"]

    rows = {r["year"]: r for r in report["reconciliation"]["rows"]}
    assert list(rows) == [2019, 2020, 2021, 2022, 2023, 2024, 2025]
    assert rows[2024]["plan"] is None and "kế hoạch không nêu số liệu năm này" in rows[2024]["notes"]
    assert rows[2024]["declared"] is None and "HP-Net không khai số liệu năm này" in rows[2024]["notes"]
    assert (rows[2023]["plan"], rows[2023]["declared"], rows[2023]["listed"], rows[2023]["catalogue"]) == (1032, 1032,
                                                                                                          1, 1)
    gaps = " ".join(report["reconciliation"]["gaps"])
    assert "Kế hoạch ghi tổng 3.035 hồ sơ nhưng các năm cộng lại chỉ 1.511: 1.524 hồ sơ không được phân bổ" in gaps
    assert "HP-Net khai tổng 3.035 hồ sơ nhưng các năm cộng lại 1.511" in gaps
    book = openpyxl.load_workbook(io.BytesIO(s3.get_object(
        Bucket="exports", Key=report["report_key"].split("/", 1)[1])["Body"].read()))
    sheet = [r for r in book["Đối chiếu theo năm"].iter_rows(values_only=True)]
    assert any(r[0] == 2024 and "kế hoạch không nêu" in r[8] for r in sheet if r and r[8])

    again = import_export(conn, s3, export("export_xml", tmp_path / "again", tag), agency_ma=agency_ma)
    assert again["imported"] == [] and len(again["already"]) == 3


def test_born_digital_ho_so_are_handed_over_and_fixity_checked(agency, tmp_path):
    conn, s3, agency_ma, tag = agency
    import_export(conn, s3, export("export_xml", tmp_path, tag), agency_ma=agency_ma)
    summary = hand_over(conn, s3, Selection(ma_ho_so=(f"HPN.2023.{tag}.01",)))
    assert summary["refused"] == {} and summary["packages"] == 1
    assert run_fixity(conn, s3, prefix=f"HPN.2019.{tag}.01/").checked == 2


@pytest.mark.parametrize("name", ["export_xlsx", "export_csv"])
def test_a_spreadsheet_export_is_imported(agency, tmp_path, name):
    conn, s3, agency_ma, tag = agency
    report = import_export(conn, s3, export(name, tmp_path, tag), agency_ma=agency_ma)
    assert sorted(report["imported"]) == [f"HPX.2020.{tag}.01", f"HPX.2022.{tag}.01"] and report["refused"] == []
    with transaction(conn) as cur:
        cur.execute("""SELECT thoi_han_bao_quan, muc_do_tiep_can, tu_khoa, tong_so_tai_lieu, so_luong_trang FROM ho_so
                       WHERE ma_ho_so = %s""", (f"HPX.2020.{tag}.01",))
        assert cur.fetchone() == ("vinh_vien", "cong_khai", ["đầu tư", "hội nghị"], 2, 5)


def test_duplicate_and_missing_files_refuse_only_the_ho_so_concerned(agency, tmp_path):
    conn, s3, agency_ma, tag = agency
    report = import_export(conn, s3, export("duplicates_missing", tmp_path, tag), agency_ma=agency_ma)
    assert report["imported"] == [f"OK.{tag}.01"]
    reasons = {(r["ma_ho_so"], r["where"]): r["reasons"] for r in report["refused"]}
    by_code = {}
    for (code, _), why in reasons.items():
        by_code.setdefault(code, []).extend(why)
    assert len([c for c, _ in reasons if c == f"DUP.{tag}.01"]) == 2
    assert "mã hồ sơ xuất hiện nhiều lần trong danh sách" in by_code[f"DUP.{tag}.01"]
    assert by_code[f"SHARED.{tag}.01"] == ["văn bản 1: tệp files/c.pdf được khai cho nhiều văn bản"]
    assert by_code[f"MISSING.{tag}.01"] == ["văn bản 1: thiếu tệp 'files/khong-co.pdf' trong bản xuất"]
    assert "khác với danh sách" in by_code[f"BADSHA.{tag}.01"][0]
    assert report["duplicate_contents"] == [["files/a-copy.pdf", "files/a.pdf"]]
    rows = {r["year"]: r for r in report["reconciliation"]["rows"]}
    assert (rows[2022]["listed"], rows[2022]["imported"], rows[2022]["refused"]) == (3, 1, 2)


@pytest.mark.parametrize("name, message", [
    ("malformed_xml", "XML hỏng"),
    ("merged_cells", "có ô gộp A4:A5"),
    ("wrong_encoding_csv", "tệp không phải UTF-8"),
    ("tcvn3_xlsx", "sai bảng mã"),
])
def test_an_unreadable_listing_refuses_the_whole_export(agency, tmp_path, name, message):
    conn, s3, agency_ma, tag = agency
    with pytest.raises(ExportFormatError, match=message):
        import_export(conn, s3, export(name, tmp_path, tag), agency_ma=agency_ma)
    with transaction(conn) as cur:
        cur.execute("SELECT count(*) FROM ho_so h JOIN agency a ON a.id = h.agency_id WHERE a.ma = %s", (agency_ma,))
        assert cur.fetchone() == (0,)


def test_the_cli_imports_and_explains_a_refusal(agency, tmp_path, capsys):
    conn, s3, agency_ma, tag = agency
    assert sohoa_main(["hpnet", "import", str(export("export_xml", tmp_path, tag)), "--agency", agency_ma]) == 0
    out = capsys.readouterr().out
    assert "2024" in out and "1.524" in out
    assert sohoa_main(["hpnet", "import", str(export("merged_cells", tmp_path, tag)), "--agency", agency_ma]) == 2
    assert "ô gộp" in capsys.readouterr().err
