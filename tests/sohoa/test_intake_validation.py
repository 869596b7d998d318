"""The batch rules, run on local folders exactly as the vendor's tool runs them (no services needed)."""
from __future__ import annotations

import io
import json
import os
import unicodedata
import uuid

import pytest
from PIL import Image

from sohoa.cli import main
from sohoa.intake import checks
from sohoa.intake.samples import encode, make_batch, noise_page, page_entry, read_manifest, write_manifest
from sohoa.intake.source import LocalBatch
from sohoa.intake.validate import validate_batch

VENDOR = "vendor-demo"


@pytest.fixture()
def batch(tmp_path):
    """A valid two-hồ sơ batch folder; returns (folder, batch_id)."""
    batch_id = f"v{uuid.uuid4().hex[:10]}"
    folder = tmp_path / batch_id
    make_batch(folder, VENDOR, batch_id, n_ho_so=2, pages_per_ho_so=3)
    return folder, batch_id


def validate(folder, batch_id):
    return validate_batch(LocalBatch(folder), vendor=VENDOR, batch_id=batch_id)


def item(verdict, name):
    return next(i for i in verdict.items if i.name == name)


def codes(it):
    return {reason["code"] for reason in it.reasons}


def first_page(folder):
    manifest = read_manifest(folder)
    return manifest, manifest["ho_so"][0]["trang"][0]


def replace_page(folder, data: bytes, **declared):
    """Overwrite the first page's file with ``data`` and declare it (sha256 kept consistent)."""
    manifest, trang = first_page(folder)
    (folder / trang["ten_tep"]).write_bytes(data)
    trang.update(page_entry(trang["so_trang"], trang["ten_tep"], data, declared.get("dpi", trang["dpi"]),
                            declared.get("che_do_mau", trang["che_do_mau"])))
    write_manifest(folder, manifest)
    return trang["ten_tep"]


def test_a_valid_batch_is_accepted_with_facts_for_every_page(batch):
    verdict = validate(*batch)
    assert verdict.verdict == "accepted"
    pages = [i for i in verdict.items if i.kind == "page"]
    assert len(pages) == 6 and all(p.facts["dpi"] == 300 and p.facts["color_mode"] == "color" for p in pages)


def test_malformed_json_rejects_the_whole_batch_with_line_and_column(batch):
    folder, batch_id = batch
    (folder / "manifest.json").write_text('{"schema_version": "1.0",\n  "vendor": }', encoding="utf-8")
    verdict = validate(folder, batch_id)
    assert verdict.verdict == "rejected"
    message = item(verdict, "manifest.json").reasons[0]["message"]
    assert "không phải JSON hợp lệ" in message and "dòng 2" in message
    assert all(i.status == "rejected" for i in verdict.items)


def test_missing_manifest_rejects_the_batch(batch):
    folder, batch_id = batch
    (folder / "manifest.json").unlink()
    verdict = validate(folder, batch_id)
    assert codes(item(verdict, "manifest.json")) == {"manifest_missing"}
    assert verdict.verdict == "rejected"


def test_missing_fields_are_named(batch):
    folder, batch_id = batch
    manifest = read_manifest(folder)
    del manifest["ho_so"][1]["tieu_de"]
    del manifest["ho_so"][0]["trang"][2]["sha256"]
    write_manifest(folder, manifest)
    messages = [r["message"] for r in item(validate(folder, batch_id), "manifest.json").reasons]
    assert any("ho_so[2]" in m and "tieu_de" in m and "thiếu trường bắt buộc" in m for m in messages)
    assert any("ho_so[1].trang[3]" in m and "sha256" in m for m in messages)


def test_wrong_types_and_codes_are_explained(batch):
    folder, batch_id = batch
    manifest = read_manifest(folder)
    manifest["ho_so"][0]["trang"][0]["dpi"] = "300"
    manifest["ho_so"][0]["thoi_han_bao_quan"] = "100 năm"
    manifest["ho_so"][0]["ma_ho_sơ"] = "x"
    write_manifest(folder, manifest)
    messages = [r["message"] for r in item(validate(folder, batch_id), "manifest.json").reasons]
    assert any("dpi" in m and "cần số nguyên" in m for m in messages)
    assert any("thoi_han_bao_quan" in m and "vinh_vien" in m for m in messages)
    assert any("ma_ho_sơ" in m and "không có trong mẫu" in m for m in messages)


def test_manifest_addressed_to_another_vendor_is_rejected(batch):
    folder, batch_id = batch
    manifest = read_manifest(folder)
    manifest["vendor"] = "vendor-b"
    write_manifest(folder, manifest)
    assert codes(item(validate(folder, batch_id), "manifest.json")) == {"manifest_address"}


def test_listed_but_absent_and_present_but_unlisted_files_are_both_rejected(batch):
    folder, batch_id = batch
    _, trang = first_page(folder)
    (folder / trang["ten_tep"]).rename(folder / "stray.jpg")
    verdict = validate(folder, batch_id)
    assert codes(item(verdict, trang["ten_tep"])) == {"file_missing"}
    assert codes(item(verdict, "stray.jpg")) == {"unlisted"}
    assert verdict.verdict == "partial"


def test_checksum_mismatch_is_rejected(batch):
    folder, batch_id = batch
    _, trang = first_page(folder)
    (folder / trang["ten_tep"]).write_bytes(encode(noise_page("other", 1)))
    verdict = validate(folder, batch_id)
    assert codes(item(verdict, trang["ten_tep"])) == {"checksum_mismatch"}


def test_truncated_image_is_rejected(batch):
    folder, batch_id = batch
    data = encode(noise_page("trunc", 1, size=(400, 300)))
    name = replace_page(folder, data[: len(data) // 2])
    assert codes(item(validate(folder, batch_id), name)) == {"corrupt_image"}


def test_a_pdf_renamed_png_is_rejected_as_not_an_image(batch):
    folder, batch_id = batch
    name = replace_page(folder, b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n")
    reasons = item(validate(folder, batch_id), name).reasons
    assert reasons[0]["code"] == "not_an_image" and "PDF" in reasons[0]["message"]


def test_an_image_whose_content_does_not_match_its_extension_is_rejected(batch):
    folder, batch_id = batch
    name = replace_page(folder, encode(noise_page("png", 1), "png"))
    assert codes(item(validate(folder, batch_id), name)) == {"format_mismatch"}


def test_a_150_dpi_page_is_rejected_with_the_vietnamese_reason(batch):
    folder, batch_id = batch
    name = replace_page(folder, encode(noise_page("lowres", 1), dpi=150), dpi=150)
    reason = item(validate(folder, batch_id), name).reasons[0]
    assert reason["code"] == "dpi_too_low"
    assert reason["message"].startswith("Trang 1 (") and "độ phân giải 150 dpi, thấp hơn mức tối thiểu 200 dpi" in \
        reason["message"]


def test_declared_dpi_must_match_the_file(batch):
    folder, batch_id = batch
    name = replace_page(folder, encode(noise_page("d", 1), dpi=400), dpi=300)
    assert codes(item(validate(folder, batch_id), name)) == {"dpi_mismatch"}


def test_greyscale_and_bitonal_pages_are_accepted_but_flagged(batch):
    folder, batch_id = batch
    manifest = read_manifest(folder)
    for trang, mode in zip(manifest["ho_so"][0]["trang"], ("L", "1")):
        data = encode(noise_page(trang["ten_tep"], 1).convert(mode), "png" if mode == "1" else "jpg")
        if mode == "1":
            (folder / trang["ten_tep"]).unlink()
            trang["ten_tep"] = trang["ten_tep"].replace(".jpg", ".png")
        (folder / trang["ten_tep"]).write_bytes(data)
        trang.update(page_entry(trang["so_trang"], trang["ten_tep"], data, 300,
                                "grayscale" if mode == "L" else "bitonal"))
    write_manifest(folder, manifest)
    verdict = validate(folder, batch_id)
    assert verdict.verdict == "accepted"
    flags = {f["code"] for i in verdict.items for f in i.flags}
    assert flags == {"grayscale", "bitonal"}


def test_an_8_bit_palette_page_is_rejected_as_below_24_bit(batch):
    folder, batch_id = batch
    manifest, trang = first_page(folder)
    (folder / trang["ten_tep"]).unlink()
    data = encode(noise_page("palette", 1).convert("P"), "png")
    trang.update(page_entry(1, trang["ten_tep"].replace(".jpg", ".png"), data, 300, "color"))
    (folder / trang["ten_tep"]).write_bytes(data)
    write_manifest(folder, manifest)
    assert codes(item(validate(folder, batch_id), trang["ten_tep"])) == {"color_depth"}


def test_a_zero_byte_file_is_rejected(batch):
    folder, batch_id = batch
    name = replace_page(folder, b"")
    assert codes(item(validate(folder, batch_id), name)) == {"empty_file"}


def test_a_2_gb_file_is_rejected_by_size_without_reading_it(batch):
    folder, batch_id = batch
    _, trang = first_page(folder)
    with open(folder / trang["ten_tep"], "r+b") as fh:  # sparse: no 2 GB are written
        fh.truncate(2 * 1024**3)
    assert os.stat(folder / trang["ten_tep"]).st_blocks * 512 < 10 * 1024**2
    assert codes(item(validate(folder, batch_id), trang["ten_tep"])) == {"file_too_large"}


@pytest.mark.parametrize("bad_name, code", [
    ("../other-batch/0001.jpg", "name_traversal"),
    ("/etc/0001.jpg", "name_absolute"),
    ("G01/0001\n.jpg", "name_control"),
    ("G01/0001\x1b.jpg", "name_control"),
    ("G01/trang-một-nửa.txt", "name_extension"),
])
def test_unsafe_names_in_the_manifest_are_rejected(batch, bad_name, code):
    folder, batch_id = batch
    manifest, trang = first_page(folder)
    trang["ten_tep"] = bad_name
    write_manifest(folder, manifest)
    verdict = validate(folder, batch_id)
    page = next(i for i in verdict.items if i.kind == "page" and i.so_trang == 1 and i.ma_ho_so ==
                manifest["ho_so"][0]["ma_ho_so"])
    assert code in codes(page)
    assert "\x00" not in json.dumps([i.__dict__ for i in verdict.items])


@pytest.mark.parametrize("field", ["ten_tep", "tieu_de"])
def test_a_nul_anywhere_in_the_manifest_rejects_it_naming_where(batch, field):
    folder, batch_id = batch
    manifest, trang = first_page(folder)
    if field == "ten_tep":
        trang["ten_tep"] = "G01/0001\x00.jpg"
    else:
        manifest["ho_so"][0]["tieu_de"] = "Hồ sơ\x00 đoàn ra"
    write_manifest(folder, manifest)
    verdict = validate(folder, batch_id)
    assert verdict.verdict == "rejected" and verdict.manifest is None
    (reason,) = item(verdict, "manifest.json").reasons
    assert reason["code"] == "manifest_invalid" and "NUL" in reason["message"] and "ho_so[1]" in reason["message"]
    assert "\x00" not in json.dumps([i.__dict__ for i in verdict.items])


def test_a_lone_surrogate_in_the_manifest_is_rejected_not_stored(batch):
    folder, batch_id = batch
    text = (folder / "manifest.json").read_text(encoding="utf-8")
    (folder / "manifest.json").write_text(text.replace('"tieu_de": "', '"tieu_de": "\\ud800', 1), encoding="utf-8")
    verdict = validate(folder, batch_id)
    assert verdict.verdict == "rejected"
    assert "tieu_de" in item(verdict, "manifest.json").reasons[0]["message"]


@pytest.mark.parametrize("depth", [40, 100_000])
def test_a_deeply_nested_manifest_is_rejected_with_its_reason_not_a_crash(batch, depth):
    folder, batch_id = batch
    (folder / "manifest.json").write_text('{"ghi_chu": ' + "[" * depth + "]" * depth + "}", encoding="utf-8")
    verdict = validate(folder, batch_id)
    assert verdict.verdict == "rejected"
    assert "lồng nhau quá sâu" in item(verdict, "manifest.json").reasons[0]["message"]


def test_the_vendor_tool_reports_a_deeply_nested_manifest_instead_of_crashing(batch, capsys):
    folder, _ = batch
    (folder / "manifest.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    assert main(["vendor", "validate", str(folder)]) == 1
    assert "lồng nhau quá sâu" in capsys.readouterr().out


def test_names_in_decomposed_unicode_are_rejected_even_when_the_file_matches(batch):
    folder, batch_id = batch
    manifest, trang = first_page(folder)
    nfd = unicodedata.normalize("NFD", "G01/Trang-đầu-tiên.jpg")
    (folder / "G01").mkdir()
    (folder / trang["ten_tep"]).rename(folder / nfd)
    trang["ten_tep"] = nfd
    write_manifest(folder, manifest)
    verdict = validate(folder, batch_id)
    assert codes(item(verdict, nfd)) == {"name_not_nfc"}


def test_a_name_in_one_normal_form_does_not_match_a_file_in_another(batch):
    folder, batch_id = batch
    manifest, trang = first_page(folder)
    nfc, nfd = (unicodedata.normalize(form, "G01/Hồ-sơ.jpg") for form in ("NFC", "NFD"))
    (folder / "G01").mkdir()
    (folder / trang["ten_tep"]).rename(folder / nfd)
    trang["ten_tep"] = nfc
    write_manifest(folder, manifest)
    verdict = validate(folder, batch_id)
    assert codes(item(verdict, nfc)) == {"file_missing"}
    assert {"unlisted", "name_not_nfc"} <= codes(item(verdict, nfd))


def test_page_numbers_must_run_from_one_in_order_and_match_the_count(batch):
    folder, batch_id = batch
    manifest = read_manifest(folder)
    pages = manifest["ho_so"][0]["trang"]
    pages[0]["so_trang"], pages[1]["so_trang"] = 2, 1
    manifest["ho_so"][1]["so_luong_trang"] = 4
    write_manifest(folder, manifest)
    verdict = validate(folder, batch_id)
    assert verdict.verdict == "rejected"
    assert all("page_order" in codes(i) for i in verdict.items if i.ma_ho_so == manifest["ho_so"][0]["ma_ho_so"])
    assert all("page_count" in codes(i) for i in verdict.items if i.ma_ho_so == manifest["ho_so"][1]["ma_ho_so"])


def test_one_bad_page_rejects_its_whole_ho_so_but_not_the_others(batch):
    folder, batch_id = batch
    name = replace_page(folder, encode(noise_page("lowres", 1), dpi=150), dpi=150)
    verdict = validate(folder, batch_id)
    first_ho_so = item(verdict, name).ma_ho_so
    siblings = [i for i in verdict.items if i.ma_ho_so == first_ho_so and i.name != name]
    assert siblings and all(codes(i) == {"ho_so_incomplete"} for i in siblings)
    others = [i for i in verdict.items if i.kind == "page" and i.ma_ho_so != first_ho_so]
    assert others and all(i.status == "accepted" for i in others)
    assert verdict.verdict == "partial"


def test_the_same_image_twice_in_a_batch_is_rejected(batch):
    folder, batch_id = batch
    manifest = read_manifest(folder)
    first, second = manifest["ho_so"][1]["trang"][:2]
    (folder / second["ten_tep"]).write_bytes((folder / first["ten_tep"]).read_bytes())
    second["sha256"] = first["sha256"]
    write_manifest(folder, manifest)
    assert "page_duplicate_in_batch" in codes(item(validate(folder, batch_id), second["ten_tep"]))


def test_van_ban_ranges_must_lie_inside_the_ho_so(batch):
    folder, batch_id = batch
    manifest = read_manifest(folder)
    manifest["ho_so"][0]["van_ban"][0]["trang_cuoi"] = 9
    write_manifest(folder, manifest)
    verdict = validate(folder, batch_id)
    assert any("van_ban_range" in codes(i) for i in verdict.items)


def test_a_header_claiming_too_many_pixels_is_refused_before_decoding():
    image = Image.new("1", (20_000, 12_000))
    out = io.BytesIO()
    image.save(out, "TIFF", dpi=(300, 300), compression="group4")
    facts, problems = checks.inspect_image(out.getvalue(), "tif")
    assert facts is None and problems[0].code == "too_many_pixels"


def test_one_file_listed_for_two_pages_is_rejected_the_second_time(batch):
    folder, batch_id = batch
    manifest = read_manifest(folder)
    first, second = manifest["ho_so"][0]["trang"][:2]
    (folder / second["ten_tep"]).unlink()
    second.update(ten_tep=first["ten_tep"], sha256=first["sha256"])
    write_manifest(folder, manifest)
    verdict = validate(folder, batch_id)
    doubled = next(i for i in verdict.items if i.so_trang == 2 and i.ma_ho_so == manifest["ho_so"][0]["ma_ho_so"])
    assert "name_duplicate" in codes(doubled)


@pytest.mark.parametrize("raw, says", [
    ("manifest tiếng Việt".encode("utf-16"), "không phải văn bản UTF-8"),
    (b"[]", "sai kiểu dữ liệu"),
    (b'"manifest"', "sai kiểu dữ liệu"),
    (b"", "không phải JSON hợp lệ"),
])
def test_a_manifest_that_is_not_a_utf8_json_object_rejects_the_batch_with_the_reason(batch, raw, says):
    folder, batch_id = batch
    (folder / "manifest.json").write_bytes(raw)
    verdict = validate(folder, batch_id)
    assert verdict.verdict == "rejected"
    reason = item(verdict, "manifest.json").reasons[0]
    assert reason["code"] == "manifest_invalid" and says in reason["message"], reason


def test_a_manifest_naming_another_batch_or_schema_version_is_rejected(batch):
    folder, batch_id = batch
    manifest = read_manifest(folder)
    manifest["batch_id"] = "L2025-khac"
    write_manifest(folder, manifest)
    assert codes(item(validate(folder, batch_id), "manifest.json")) == {"manifest_address"}
    manifest["schema_version"] = "2.0"
    write_manifest(folder, manifest)
    assert "schema_version" in item(validate(folder, batch_id), "manifest.json").reasons[0]["message"]


def _as_tif(folder, data: bytes) -> str:
    """Make the first page a .tif file holding ``data`` (declared consistently)."""
    manifest, trang = first_page(folder)
    (folder / trang["ten_tep"]).unlink()
    trang["ten_tep"] = trang["ten_tep"].rsplit(".", 1)[0] + ".tif"
    (folder / trang["ten_tep"]).write_bytes(data)
    trang.update(page_entry(trang["so_trang"], trang["ten_tep"], data, 300, "color"))
    write_manifest(folder, manifest)
    return trang["ten_tep"]


def test_a_multi_page_tiff_is_rejected_one_page_per_file(batch):
    folder, batch_id = batch
    pages = [noise_page("tiff", n) for n in (1, 2)]
    out = io.BytesIO()
    pages[0].save(out, "TIFF", save_all=True, append_images=pages[1:], dpi=(300, 300))
    name = _as_tif(folder, out.getvalue())
    assert codes(item(validate(folder, batch_id), name)) == {"multi_frame"}


def test_an_html_page_renamed_as_an_image_is_rejected_as_not_an_image(batch):
    folder, batch_id = batch
    name = replace_page(folder, b"<!doctype html><html><body><script>alert(1)</script></body></html>")
    assert codes(item(validate(folder, batch_id), name)) == {"not_an_image"}


def test_a_150_dpi_page_declared_as_300_is_still_rejected_as_150_dpi(batch):
    folder, batch_id = batch
    name = replace_page(folder, encode(noise_page("lowres-claimed", 1), dpi=150), dpi=300)
    assert codes(item(validate(folder, batch_id), name)) == {"dpi_too_low"}


@pytest.mark.parametrize("text", ["[" * 100_000 + "]" * 100_000, '{"vendor": '])
def test_converting_a_deeply_nested_or_broken_manifest_is_a_refusal_not_a_traceback(tmp_path, capsys, text):
    source = tmp_path / "manifest.json"
    source.write_text(text, encoding="utf-8")
    assert main(["vendor", "convert", str(source), str(tmp_path / "manifest.xlsx")]) == 2
    assert "không phải JSON UTF-8 hợp lệ hoặc lồng nhau quá sâu" in capsys.readouterr().err
    assert not (tmp_path / "manifest.xlsx").exists()
