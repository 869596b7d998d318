"""The metadata file of an electronic hồ sơ: JSON and the văn thư's workbook, one schema, Vietnamese messages."""
from __future__ import annotations

import io
import json

import openpyxl

from sohoa.born_digital import metadata
from sohoa.born_digital.samples import VAN_BAN_TEXT
from sohoa.extraction.nd30 import extract

VALID = {"schema_version": "1.0", "co_quan": {"ma": "UB", "ten": "UBND"}, "phong": {"ma_phong": "P1", "ten_phong": "P"},
         "ho_so": {"ma_ho_so": "P1.01.2025.01", "tieu_de": "Hồ sơ", "thoi_han_bao_quan": "vinh_vien",
                   "muc_do_tiep_can": "cong_khai"},
         "van_ban": [{"stt": 1, "tep": "qd.pdf"}]}


def _messages(problems):
    return [p.message for p in problems]


def test_valid_json_is_returned_as_given():
    document, problems = metadata.parse("ho_so.json", json.dumps(VALID).encode())
    assert (document, problems) == (VALID, [])


def test_broken_json_names_line_and_column():
    document, problems = metadata.parse("ho_so.json", b'{"schema_version": "1.0",\n  "co_quan": }')
    assert document is None and _messages(problems) == [
        "ho_so.json không phải JSON hợp lệ: dòng 2, cột 14: Expecting value"]


def test_scanned_origin_and_unknown_fields_are_refused_by_the_schema():
    wrong = {**VALID, "ho_so": {**VALID["ho_so"], "muc_do_tin_cay": "so_hoa", "so_trang": 3}}
    document, problems = metadata.parse("ho_so.json", json.dumps(wrong).encode())
    messages = _messages(problems)
    assert document is None
    assert 'ho_so.json, ho_so.muc_do_tin_cay: giá trị "so_hoa" không hợp lệ; phải là \'goc_dien_tu\'' in messages
    assert "ho_so.json, ho_so: trường không có trong mẫu: so_trang (kiểm tra chính tả)" in messages


def test_workbook_without_its_van_ban_sheet_is_refused():
    book = openpyxl.Workbook()
    book.active.title = "ho_so"
    out = io.BytesIO()
    book.save(out)
    document, problems = metadata.parse("ho_so.xlsx", out.getvalue())
    assert document is None and _messages(problems) == ["ho_so.xlsx thiếu trang tính van_ban"]


def test_a_file_that_is_not_a_workbook_is_refused():
    document, problems = metadata.parse("ho_so.xlsx", b"not a zip")
    assert document is None and problems[0].message.startswith("ho_so.xlsx không phải sổ tính Excel đọc được")


def test_metadata_agreeing_with_the_text_has_no_mismatch_and_a_wrong_ky_hieu_is_named():
    read = extract(VAN_BAN_TEXT)
    assert metadata.compare_with_text({"so": "15", "ky_hieu": "QĐ-UBND", "ngay_ban_hanh": "2025-08-18"}, read) == []
    [problem] = metadata.compare_with_text({"so": "15", "ky_hieu": "QĐ-SNV"}, read)
    assert problem.message == "ký hiệu khai là QĐ-SNV nhưng trong văn bản là QĐ-UBND"


def test_the_empty_form_once_filled_reads_as_valid_metadata(tmp_path, capsys):
    from sohoa.cli import main as sohoa_main

    target = tmp_path / "ho_so.xlsx"
    assert sohoa_main(["born-digital", "form", str(target)]) == 0 and "Đã tạo mẫu" in capsys.readouterr().out
    book = openpyxl.load_workbook(target)
    values = {"co_quan.ma": "UB", "co_quan.ten": "UBND", "phong.ma_phong": "P1", "phong.ten_phong": "P",
              "ho_so.ma_ho_so": "P1.01.2025.01", "ho_so.tieu_de": "Hồ sơ", "ho_so.thoi_han_bao_quan": "vinh_vien",
              "ho_so.muc_do_tiep_can": "cong_khai", "ho_so.thoi_gian_bat_dau": "01/08/2025"}
    for row in book["ho_so"].iter_rows(min_row=2):
        row[1].value = values.get(row[0].value)
    book["van_ban"].append([1, "qd.pdf"])
    book.save(target)
    document, problems = metadata.parse("ho_so.xlsx", target.read_bytes())
    assert problems == []
    assert document["ho_so"]["thoi_gian_bat_dau"] == "2025-08-01"
    assert document["van_ban"] == [{"stt": 1, "tep": "qd.pdf"}]
