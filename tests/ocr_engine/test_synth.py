import hashlib
import io
import re

from PIL import Image

from ocr_engine.synth import date_line, render_page, stamp_variant


def test_same_seed_renders_the_same_page():
    a, gt_a, f_a = render_page(5, dpi=200, degrade=True)
    b, gt_b, f_b = render_page(5, dpi=200, degrade=True)
    assert gt_a == gt_b and f_a == f_b and a.tobytes() == b.tobytes()


def test_page_has_nd30_header_number_and_date(tmp_path):
    img, gt, fields = render_page(7, dpi=200, doc={"so": 15, "loai": "QĐ", "agency_code": "UBND",
                                                   "ngay": "2025-02-05"})
    lines = gt.splitlines()
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in lines and "Độc lập - Tự do - Hạnh phúc" in lines
    assert "Số: 15/QĐ-UBND" in lines and fields["so_ky_hieu"] == "15/QĐ-UBND"
    assert "Hải Phòng, ngày 05 tháng 02 năm 2025" in lines
    assert fields["lines"] == lines and img.size == (1654, 2339)


def test_cong_van_has_no_type_abbreviation_and_a_vv_summary():
    _, gt, fields = render_page(3, dpi=200, doc={"loai": "CV", "so": 12, "agency_code": "UBND"})
    assert fields["so_ky_hieu"] == "12/UBND-VP"
    assert re.search(r"^V/v ", gt, re.M)


def test_date_line_pads_day_and_early_months():
    import datetime as dt
    assert date_line("Hải Phòng", dt.date(2025, 6, 18)) == "Hải Phòng, ngày 18 tháng 6 năm 2025"
    assert date_line("Hải Phòng", dt.date(2025, 1, 3)) == "Hải Phòng, ngày 03 tháng 01 năm 2025"


def test_saved_image_carries_its_dpi(tmp_path):
    img, _, _ = render_page(1, dpi=200)
    for name in ("p.png", "p.jpg", "p.tif"):
        img.save(tmp_path / name)
        assert round(Image.open(tmp_path / name).info["dpi"][0]) == 200


def test_stamped_variants_of_a_page_stay_distinct_after_jpeg():
    page = render_page(7, dpi=200)[0].convert("RGB")
    digests = set()
    for variant in range(16):
        buf = io.BytesIO()
        stamp_variant(page, variant).save(buf, "JPEG", quality=90)
        digests.add(hashlib.sha256(buf.getvalue()).hexdigest())
    assert len(digests) == 16
