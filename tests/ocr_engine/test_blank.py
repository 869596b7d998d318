"""Blank means blank: a page with one line, a page number, a stamp or a signature is read, in every
colour mode the CLI accepts; blank paper, one solid colour and pure noise are blank."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from ocr_engine import qc
from ocr_engine.cli import main
from ocr_engine.fonts import find_font
from ocr_engine.images import list_pages, load_page

A4_200 = (1654, 2339)


def _font(px: int):
    from PIL import ImageFont
    return ImageFont.truetype(str(find_font()), px)


def one_line() -> Image.Image:
    page = Image.new("RGB", A4_200, (246, 244, 238))
    ImageDraw.Draw(page).text((236, 300), "Đã kiểm tra hồ sơ này ngày 05 tháng 12 năm 2025.", font=_font(39),
                              fill=(20, 20, 20))
    return page


def page_number() -> Image.Image:
    page = Image.new("RGB", A4_200, (255, 255, 255))
    ImageDraw.Draw(page).text((810, 2200), "7", font=_font(33), fill=(0, 0, 0))
    return page


def stamp() -> Image.Image:
    """A red seal and nothing else: a ring, a star and a few letters, like the seal of a signing block."""
    page = Image.new("RGB", A4_200, (255, 255, 255))
    draw = ImageDraw.Draw(page)
    draw.ellipse((900, 1500, 1200, 1800), outline=(200, 30, 40), width=9)
    draw.ellipse((950, 1550, 1150, 1750), outline=(200, 30, 40), width=4)
    draw.text((985, 1625), "UBND", font=_font(42), fill=(200, 30, 40))
    return page


def signature() -> Image.Image:
    page = Image.new("RGB", A4_200, (255, 255, 255))
    ImageDraw.Draw(page).line([(1000, 1900), (1060, 1850), (1090, 1920), (1150, 1860), (1240, 1895)],
                              fill=(20, 30, 140), width=4)
    return page


NOT_BLANK = {"one-line": one_line, "page-number": page_number, "stamp": stamp, "signature": signature}


def _save(img: Image.Image, path, mode: str) -> None:
    """Write *img* in one of the colour modes the loader accepts."""
    if mode == "L":
        img.convert("L").save(path.with_suffix(".png"), dpi=(200, 200))
    elif mode == "RGB-jpeg":
        img.save(path.with_suffix(".jpg"), dpi=(200, 200), quality=85)
    elif mode == "CMYK-jpeg":
        img.convert("CMYK").save(path.with_suffix(".jpg"), dpi=(200, 200), quality=85)
    elif mode == "16-bit":
        arr = np.asarray(img.convert("L"), dtype=np.uint16) * 257
        Image.fromarray(arr).save(path.with_suffix(".png"), dpi=(200, 200))
    elif mode == "RGBA":
        rgba = img.convert("RGBA")
        rgba.putalpha(255)
        rgba.save(path.with_suffix(".png"), dpi=(200, 200))
    elif mode == "palette":
        img.convert("P", palette=Image.Palette.ADAPTIVE, colors=64).save(path.with_suffix(".png"), dpi=(200, 200))
    elif mode == "bilevel":
        img.convert("L").point(lambda v: 255 if v > 128 else 0).convert("1").save(path.with_suffix(".tif"),
                                                                                 dpi=(200, 200))
    elif mode == "tiff-multipage":
        blank = Image.new("L", img.size, 255)
        img.convert("L").save(path.with_suffix(".tif"), dpi=(200, 200), save_all=True, append_images=[blank])
    else:
        raise ValueError(mode)


MODES = ["L", "RGB-jpeg", "CMYK-jpeg", "16-bit", "RGBA", "palette", "bilevel", "tiff-multipage"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kind", sorted(NOT_BLANK))
def test_a_page_with_little_on_it_is_not_blank_in_any_colour_mode(tmp_path, kind, mode):
    _save(NOT_BLANK[kind](), tmp_path / kind, mode)
    [path] = list(tmp_path.iterdir())
    first = load_page(list_pages(path)[0])
    assert qc.text_marks(first.grey, first.dpi) >= 1, f"{kind} as {mode} was taken for blank paper"


@pytest.mark.parametrize("page", [
    np.full(A4_200[::-1], 255, np.uint8),
    np.full(A4_200[::-1], 131, np.uint8),  # one solid grey
    np.zeros(A4_200[::-1], np.uint8),  # all black
    np.clip(np.random.default_rng(3).normal(235, 8, A4_200[::-1]), 0, 255).astype(np.uint8),  # paper grain
    np.random.default_rng(4).integers(0, 256, A4_200[::-1], dtype=np.uint8),  # pure noise
], ids=["white", "solid-grey", "black", "grainy-paper", "pure-noise"])
def test_pages_without_marks_are_blank(page):
    assert qc.text_marks(page, 200) == 0


def test_dark_scanner_bed_around_a_blank_sheet_is_no_mark():
    page = np.full(A4_200[::-1], 240, np.uint8)
    page[:, :60] = 15
    page[-50:, :] = 15
    assert qc.text_marks(page, 200) == 0


def test_the_cli_reads_a_one_line_page_and_warns_only_about_the_truly_blank_one(tmp_path, capsys):
    one_line().save(tmp_path / "0001.jpg", dpi=(200, 200), quality=90)
    Image.new("L", A4_200, 250).save(tmp_path / "0002.png", dpi=(200, 200))
    out = tmp_path / "out"
    assert main(["recognize", "--out", str(out), str(tmp_path / "0001.jpg"), str(tmp_path / "0002.png")]) == 0
    err = capsys.readouterr().err
    assert "0001: blank" not in err and "0002: blank page" in err
    assert "kiểm tra hồ sơ" in (out / "0001.txt").read_text()
    assert (out / "0002.txt").read_text() == ""


def test_faint_ink_on_flat_paper_is_not_blank():
    """augraphy's default pipeline made pages whose ink lies only 22-45 levels below perfectly flat paper; plain
    Tesseract read one at 3.5 % CER, so it is a page to read, not a blank one."""
    page = Image.new("L", A4_200, 255)
    ImageDraw.Draw(page).text((236, 300), "Tài liệu có giá trị lịch sử được ưu tiên số hóa trước.", font=_font(39),
                              fill=228)
    assert qc.text_marks(np.asarray(page), 200) >= 1


def _textured_paper(seed: int) -> np.ndarray:
    """Grey-beige paper with a grain strong enough (σ 30 grey levels) to hide ink 15 levels darker than it."""
    level = 160 + 30 * np.random.default_rng(seed).normal(0, 1, A4_200[::-1]).astype(np.float32)
    return np.clip(np.stack([level + 8, level + 2, level - 10], axis=2), 0, 255).astype(np.uint8)


def test_faint_coloured_ink_as_light_as_the_papers_grain_is_not_blank():
    """Fresh broad-suite page s101239 (augraphy): 34 lines of faint blue ink on grey textured paper, no darker than
    the paper's grain, were called blank; the ink differs from the paper in colour, not in lightness."""
    page = Image.fromarray(_textured_paper(5))
    ImageDraw.Draw(page).text((236, 300), "Tài liệu có giá trị lịch sử được ưu tiên số hóa trước.", font=_font(39),
                              fill=(130, 150, 205))  # grey 150 on paper of grey 160 ± 30
    rgb = np.asarray(page)
    grey = np.asarray(page.convert("L"))
    assert qc.text_marks(grey, 200) == 0  # no darker mark: what the page was judged by before
    assert qc.text_marks(grey, 200, rgb) >= 10


@pytest.mark.parametrize("page", [
    np.full((*A4_200[::-1], 3), (250, 225, 230), np.uint8),  # pink paper
    np.full((*A4_200[::-1], 3), (240, 230, 160), np.uint8),  # yellow paper
    None,  # textured paper
    np.random.default_rng(6).integers(0, 256, (*A4_200[::-1], 3), dtype=np.uint8),  # colour noise
], ids=["pink", "yellow", "textured", "colour-noise"])
def test_coloured_paper_without_marks_is_blank(page):
    page = _textured_paper(7) if page is None else page
    grey = np.asarray(Image.fromarray(page).convert("L"))
    assert qc.text_marks(grey, 200, page) == 0


def test_ink_ten_levels_below_flat_paper_is_not_blank():
    """Fresh broad-suite page s101489 (augraphy, faded): nine lines 9-17 grey levels below perfectly flat paper were
    called blank."""
    page = Image.new("L", A4_200, 240)
    ImageDraw.Draw(page).text((236, 300), "Yêu cầu Phòng Hành chính - Tổng hợp phối hợp", font=_font(39), fill=226)
    assert qc.text_marks(np.asarray(page), 200) >= 10


def test_the_box_round_a_pages_marks_holds_every_mark_and_nothing_else():
    page = np.full((1000, 800), 230, np.uint8)
    page[100:130, 200:215] = 40  # two marks well apart
    page[600:640, 500:520] = 40
    x0, y0, x1, y1 = qc.marks_box(page, 150)
    assert x0 <= 200 and y0 <= 100 and x1 >= 520 and y1 >= 640
    assert x0 >= 195 and y0 >= 95 and x1 <= 525 and y1 <= 645
    assert qc.marks_box(np.full((1000, 800), 230, np.uint8), 150) is None
