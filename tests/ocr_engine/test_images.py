"""Bad input files: each is refused or handled with a clear message, never a crash."""
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from ocr_engine.errors import InputError
from ocr_engine.images import list_pages, load_page


def _png_header_only(path, width, height):
    """A PNG whose header claims width×height with almost no data behind it."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
                     + chunk(b"IEND", b""))


def _load(path):
    [page] = list_pages(path)
    return load_page(page)


def test_zero_byte_file_is_refused_as_empty(tmp_path):
    path = tmp_path / "empty.png"
    path.write_bytes(b"")
    with pytest.raises(InputError, match="empty file"):
        list_pages(path)


def test_truncated_image_is_refused_as_corrupt(tmp_path, pages):
    data = pages["clean"][0].read_bytes()
    path = tmp_path / "cut.png"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="truncated or corrupt"):
        _load(path)


def test_text_file_is_refused_as_unreadable(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("không phải ảnh", encoding="utf-8")
    with pytest.raises(InputError, match="not a readable image"):
        list_pages(path)


def test_one_pixel_image_is_refused_as_too_small(tmp_path):
    path = tmp_path / "dot.png"
    Image.new("L", (1, 1), 0).save(path)
    with pytest.raises(InputError, match="too small"):
        list_pages(path)


def test_decompression_bomb_is_refused_from_its_header(tmp_path):
    path = tmp_path / "bomb.png"
    _png_header_only(path, 20000, 20000)
    with pytest.raises(InputError, match="refused before decoding"):
        list_pages(path)


def test_pdf_given_as_input_is_refused(tmp_path):
    path = tmp_path / "scan.pdf"
    path.write_bytes(b"%PDF-1.7\n%%EOF\n")
    with pytest.raises(InputError, match="is a PDF"):
        list_pages(path)


def test_wrong_extension_is_loaded_and_noted(tmp_path, pages):
    path = tmp_path / "really_jpeg.png"
    path.write_bytes(pages["degraded"][0].read_bytes())
    page = _load(path)
    assert page.format == "JPEG"
    assert any("content is JPEG" in n for n in page.notes)


def test_cmyk_image_is_converted_to_rgb(tmp_path):
    path = tmp_path / "cmyk.jpg"
    Image.new("CMYK", (300, 200), (0, 0, 0, 10)).save(path, dpi=(300, 300))
    page = _load(path)
    assert page.pixels.shape == (200, 300, 3) and page.mode == "CMYK" and page.bits == 32
    assert "CMYK converted to RGB" in page.notes


def test_16_bit_png_is_scaled_to_8_bits(tmp_path):
    path = tmp_path / "deep.png"
    Image.fromarray(np.full((100, 120), 65535, dtype=np.uint16)).save(path, dpi=(300, 300))
    page = _load(path)
    assert page.pixels.dtype == np.uint8 and page.pixels.max() == 255 and page.bits == 16


def test_alpha_png_is_flattened_onto_white(tmp_path):
    path = tmp_path / "alpha.png"
    Image.new("RGBA", (100, 100), (0, 0, 0, 0)).save(path, dpi=(300, 300))
    page = _load(path)
    assert page.pixels.shape == (100, 100, 3) and page.pixels.min() == 255
    assert "alpha channel flattened onto white" in page.notes


def test_multipage_tiff_gives_one_page_per_frame(tmp_path):
    path = tmp_path / "hoso.tif"
    frames = [Image.new("L", (200, 300), v) for v in (255, 128, 0)]
    frames[0].save(path, save_all=True, append_images=frames[1:], dpi=(300, 300))
    found = list_pages(path)
    assert [p.page_id for p in found] == ["hoso-p001", "hoso-p002", "hoso-p003"]
    assert load_page(found[2]).pixels.max() == 0


def test_missing_resolution_is_none_unless_assumed(tmp_path):
    path = tmp_path / "nodpi.png"
    Image.new("L", (100, 100), 255).save(path)
    [page] = list_pages(path)
    assert load_page(page).dpi is None
    assumed = load_page(page, assume_dpi=300)
    assert assumed.dpi == 300 and "300 dpi assumed" in assumed.notes[0]
