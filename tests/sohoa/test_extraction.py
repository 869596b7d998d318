"""NĐ 30/2020 metadata extraction from OCR text."""
from __future__ import annotations

import datetime as dt

import pytest

from sohoa.extraction.nd30 import extract, signing_prefix
from sohoa.extraction.specimens import date_line, ocr_noise, specimen  # date_line: ocr_engine.synth's

PLAN = """UBND THÀNH PHỐ HẢI PHÒNG CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
SỞ NGOẠI VỤ Độc lập - Tự do - Hạnh phúc
Số: 154/KH-SNV
Hải Phòng, ngày 25 tháng 6 năm 2025
KẾ HOẠCH
Tăng cường công tác số hóa tài liệu lưu trữ
Căn cứ Kế hoạch số 154/KH-UBND ngày 18/6/2025 của Ủy ban nhân dân thành phố;
KT. GIÁM ĐỐC
PHÓ GIÁM ĐỐC
Nguyễn Văn Hùng
"""


def test_a_plan_yields_every_field():
    meta = extract(PLAN)
    assert meta.so_ky_hieu == "154/KH-SNV"
    assert meta.ngay_ban_hanh.value == dt.date(2025, 6, 25)
    assert meta.noi_ban_hanh.value == "Hải Phòng"
    assert meta.ten_loai.value == "Kế hoạch"
    assert meta.co_quan_ban_hanh.value == "SỞ NGOẠI VỤ"
    assert meta.trich_yeu.value == "Tăng cường công tác số hóa tài liệu lưu trữ"
    assert meta.nguoi_ky.value == "Nguyễn Văn Hùng"
    assert signing_prefix(meta.chuc_vu_ky.value) == "KT."


def test_a_cong_van_has_no_type_abbreviation_and_its_summary_is_the_vv_line():
    text = PLAN.replace("Số: 154/KH-SNV", "Số: 12/SNV-VP").replace("KẾ HOẠCH\nTăng cường",
                                                                  "V/v tăng cường")
    meta = extract(text)
    assert meta.ten_loai.value == "Công văn"
    assert meta.so_ky_hieu == "12/SNV-VP"
    assert meta.trich_yeu.value.startswith("V/v tăng cường công tác số hóa")


def test_ocr_noise_in_the_number_line_is_repaired_with_lower_confidence():
    meta = extract(PLAN.replace("Số: 154/KH-SNV", "S6: l54 / QD - SNV"))
    assert meta.so_ky_hieu == "154/QĐ-SNV"
    assert meta.ten_loai.value == "Quyết định"
    assert meta.so.confidence < 1.0 and meta.ky_hieu.confidence < 0.95


@pytest.mark.parametrize("line, so_ky_hieu", [("Số: 1HD-PNV", "1/HD-PNV"), ("Số: 27QĐ-UBND", "27/QĐ-UBND"),
                                               ("Số lượng 5 bản", None), ("Số: 12ABC", None)])
def test_a_number_line_whose_slash_was_lost_is_read_only_before_a_known_type(line, so_ky_hieu):
    meta = extract(f"UBND QUẬN LÊ CHÂN\nPHÒNG NỘI VỤ\n{line}\nCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    assert meta.so_ky_hieu == so_ky_hieu
    assert so_ky_hieu is None or meta.so.confidence < 1.0  # a repair is never certain


def test_a_type_abbreviation_with_a_look_alike_letter_is_repaired_with_lower_confidence():
    meta = extract(PLAN.replace("Số: 154/KH-SNV", "Số: 227/TIr-SNV"))
    assert meta.so_ky_hieu == "227/TTr-SNV"
    assert meta.ky_hieu.confidence < 0.95


def test_a_date_line_without_diacritics_is_still_read():
    meta = extract(PLAN.replace("Hải Phòng, ngày 25 tháng 6 năm 2025", "Hai Phong, ngay 05 thang 02 nam 2025"))
    assert meta.ngay_ban_hanh.value == dt.date(2025, 2, 5)
    assert meta.ngay_ban_hanh.confidence < 0.95


def test_an_impossible_date_is_not_proposed():
    meta = extract(PLAN.replace("ngày 25 tháng 6", "ngày 31 tháng 02"))
    assert meta.ngay_ban_hanh.value is None and meta.ngay_ban_hanh.confidence == 0.0


def test_a_doubled_letter_in_the_type_abbreviation_is_repaired():
    meta = extract(PLAN.replace("KH-SNV", "QĐĐ-SNV"))
    assert meta.so_ky_hieu == "154/QĐ-SNV" and meta.ky_hieu.confidence < 0.95


def test_the_summary_stops_where_a_capitalised_paragraph_begins():
    text = PLAN.replace("Tăng cường công tác số hóa tài liệu lưu trữ\n",
                        "Về việc tăng cường công tác số hóa\ntài liệu lưu trữ năm 2025\nĐội ngũ công chức được tập huấn.\n")
    assert extract(text).trich_yeu.value == "Về việc tăng cường công tác số hóa tài liệu lưu trữ năm 2025"


def test_hd_and_hđ_stay_distinct():
    assert extract(PLAN.replace("KH-SNV", "HD-SNV")).ten_loai.value == "Hướng dẫn"
    assert extract(PLAN.replace("KH-SNV", "HĐ-SNV")).ten_loai.value == "Hợp đồng"


def test_date_line_follows_nd30_leading_zero_rules():
    assert date_line("Hải Phòng", dt.date(2025, 6, 18)) == "Hải Phòng, ngày 18 tháng 6 năm 2025"
    assert date_line("Hải Phòng", dt.date(2025, 2, 5)) == "Hải Phòng, ngày 05 tháng 02 năm 2025"
    assert date_line("Hải Phòng", dt.date(2025, 12, 1)) == "Hải Phòng, ngày 01 tháng 12 năm 2025"


@pytest.mark.parametrize("text", ["", "   \n\n", "The quick brown fox jumps over the lazy dog.\n" * 50,
                                  "Số: ((([[[.*+?^$|\\" * 1000])
def test_text_without_a_document_proposes_nothing_and_does_not_fail(text):
    meta = extract(text)
    assert meta.so_ky_hieu is None
    assert meta.ngay_ban_hanh.value is None
    assert all(0.0 <= f["confidence"] <= 1.0 for f in meta.to_dict().values())


def test_number_and_date_are_at_least_95_percent_exact_on_noisy_specimens():
    total = 200
    hits_number = hits_date = 0
    for seed in range(total):
        sp = specimen(seed)
        meta = extract(ocr_noise(sp.text, seed))
        hits_number += meta.so_ky_hieu == sp.so_ky_hieu
        hits_date += meta.ngay_ban_hanh.value == sp.ngay_ban_hanh
    assert hits_number / total >= 0.95 and hits_date / total >= 0.95, (hits_number, hits_date)


def test_specimens_are_deterministic_and_varied():
    assert specimen(7) == specimen(7)
    assert len({specimen(s).ten_loai for s in range(100)}) >= 10
