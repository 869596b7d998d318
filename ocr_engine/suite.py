"""The broad OCR benchmark suite: seeded synthetic pages in many layouts, fonts and conditions,
each with its ground truth.

:func:`make_page` turns a seed into one page; :func:`write_suite` writes many, in parallel
processes, as ``OUT/<condition>/<id>.png|jpg``, ``OUT/gt/<id>.txt`` and ``OUT/meta/<id>.json``.
The same seed gives the same pixels and text on any machine with the same fonts installed, except
on augraphy pages: augraphy is seeded (Python, NumPy, OpenCV and numba generators) but its output
still varies from run to run, so the benchmark caches every page in its work dir and all engines
read the same files.
Seeds 0–9999 are for tuning; report figures on fresh seeds from 100000 up
(:data:`TUNING_SEEDS`, :data:`FRESH_SEED_START`).

What a page can be (``meta["layout"]``):

- ``full``: a heading and paragraphs down to the bottom margin; ``short``: 3–6 lines;
  ``one_line``: exactly one line; ``page_number``: nothing but a page number (NĐ 30 puts it at
  the top centre);
- ``nd30``: a document with the two-column NĐ 30/2020 header, by :func:`ocr_engine.synth.render_page`;
- ``table``: a ruled table (STT, số/ký hiệu, title, sheets, retention); ``list``: numbered items
  with hanging indents;
- ``signature_seal``: paragraphs and a signer block with a blue signature and a red round seal
  over it (an RGB page);
- ``margin_note``: paragraphs and a note in blue calligraphic script (TeX Gyre Chorus), slanted,
  below the text;
- ``stamp_only``: no printed body, only a rectangular "received" stamp in red or violet;
- ``blank``: nothing at all (``meta["blank"]`` is True, the ground truth is empty).

Ground truth: one line per printed line, NFC, in reading order: top to bottom; on the NĐ 30 page
as :func:`ocr_engine.synth.render_page` defines it (left header block, right header block,
title, body, signer). A table row is one line, its cells in column order, one space apart.
Decided on purpose:

- the margin note IS in the ground truth, as the last line: it is legible print-like script
  that an archivist transcribing the page would copy (and search for: "Chuyển P. Nội vụ xử lý"),
  and lying below every other line its reading order is not in doubt;
- the round seal's text is NOT: it runs around a circle, over other ink, and no reader
  transcribes it as a line; a recogniser that emits fragments of it pays for them;
- the stamp-only page's ground truth is the stamp's text (straight lines in a box: legible and
  meant to be read), so that page is not blank and has a CER.

Text comes only from the "eval" split of :mod:`ocr_engine.corpus` and from generated lines
(names, numbers, dates); fixed formulas every document carries (the national motto, type names,
table headings, "Số:") are not drawn from either split.

Conditions (``meta["condition"]``): ``clean``; ``mild`` and ``heavy`` (:func:`ocr_engine.damage.random_damage`);
``typewriter`` (a mono family with ribbon wear and wobble); ``jpeg`` (a low-quality JPEG);
``augraphy`` (augraphy's default pipeline, seeded per page; skipped with a message where augraphy
is not installed). A quarter of the pages are handed in turned by 90°, 180° or 270° clockwise
(``meta["rotation"]``; the ground truth stays the upright text). Files are mostly 8-bit
greyscale or RGB; a few are CMYK JPEG, 16-bit greyscale PNG or RGBA PNG.
"""
from __future__ import annotations

import functools
import io
import json
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from . import corpus, damage, fontset, synth

SUITE_VERSION = 1  # bump when a seed's page changes; cached pages of another version are redrawn
STREAM = 20_251  # first entropy word of every generator here: keeps suite draws apart from other users of a seed
TUNING_SEEDS = range(0, 10_000)
FRESH_SEED_START = 100_000

LAYOUTS = {"full": 3, "nd30": 3, "short": 2, "table": 2, "list": 2, "signature_seal": 2, "margin_note": 2,
           "one_line": 1, "page_number": 1, "stamp_only": 0.5, "blank": 0.5}
CONDITIONS = {"clean": 2, "mild": 2, "heavy": 2, "typewriter": 1.5, "jpeg": 1.5, "augraphy": 0.7}
# augraphy gets the smallest share (7 %): its default pipeline costs 3-25 CPU seconds a page, 50x our own damage
SCRIBBLE_FAMILY = "free_serif"  # a TTF (augraphy's Scribbles takes no OTF) for augraphy's scribbled text
PT_RANGE = (11, 14)
DPIS = (200, 300)
TURNED_SHARE = 0.25
TURNS = (90, 180, 270)
A4_MM = synth.A4_MM
MARGIN_MM = {"left": 30.0, "right": 20.0, "top": 20.0, "bottom": 20.0}
PAPER_TINT = (1.0, 0.975, 0.92)  # yellowed paper on colour scans
RED_SEAL = (200, 30, 40)
BLUE_INK = (25, 45, 160)
VIOLET_INK = (110, 40, 150)
SEAL_DIAMETER_MM = (34.0, 40.0)  # round seals of agencies are 35-42 mm across
SIGNERS = (("KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"), ("GIÁM ĐỐC", ""), ("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"),
           ("TL. GIÁM ĐỐC", "CHÁNH VĂN PHÒNG"), ("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"), ("Q. CHI CỤC TRƯỞNG", ""))
DOC_TYPES = (("QĐ", "QUYẾT ĐỊNH"), ("KH", "KẾ HOẠCH"), ("TB", "THÔNG BÁO"), ("BC", "BÁO CÁO"), ("HD", "HƯỚNG DẪN"),
             ("TTr", "TỜ TRÌNH"), ("CV", "CÔNG VĂN"))
TABLE_HEAD = ("STT", "Số, ký hiệu", "Tên hồ sơ", "Số tờ", "Thời hạn")
RETENTION = ("Vĩnh viễn", "70 năm", "50 năm", "20 năm", "10 năm")
NOTE_FORMULAS = ("Chuyển {unit} xử lý", "Đã xử lý ngày {date}", "Lưu hồ sơ {date}", "Kính chuyển đ/c {given} xem xét",
                 "Đồng ý, giao {unit}", "Sao gửi {unit} để biết")
AGENCY_WORDS = ("UBND", "SỞ", "PHÒNG", "CHI", "VĂN", "TRUNG", "ỦY", "BAN")  # an agency name starts so
NOTE_UNITS = ("P. Nội vụ", "P. Tài chính", "Văn phòng", "Thanh tra", "P. Tổng hợp", "Chi cục VTLT")


def seeds_from(spec: str) -> list[int]:
    """``"100000-100299"`` → 100000…100299; ``"5"`` → [5]; ``"1,4,9-11"`` → [1, 4, 9, 10, 11]."""
    out: list[int] = []
    for part in filter(None, (p.strip() for p in spec.split(","))):
        lo, _, hi = part.partition("-")
        out += range(int(lo), int(hi or lo) + 1)
    return out


def page_id(seed: int) -> str:
    return f"s{seed:06d}"


def augraphy_available() -> bool:
    try:
        import augraphy  # noqa: F401
    except ImportError:
        return False
    return True


def _weighted(rng: np.random.Generator, table: dict[str, float]) -> str:
    names = list(table)
    p = np.array([table[n] for n in names], dtype=float)
    return names[int(rng.choice(len(names), p=p / p.sum()))]


def _pick(rng: np.random.Generator, items):
    return items[int(rng.integers(len(items)))]


# ------------------------------------------------------------------------------------------ text
class EvalText:
    """Text for pages from the "eval" split only."""

    def __init__(self) -> None:
        pool = corpus.sentences("eval")
        self.headings = [s for s in pool if s.isupper() and len(s) < 60]
        self.long = [s.removeprefix("- ") for s in pool if len(s) >= 40]
        self.short = [s for s in pool if len(s) < 40 and not s.isupper()]
        self.agencies = [s for s in self.headings if s.split()[0] in AGENCY_WORDS] or ["SỞ NỘI VỤ"]

    def paragraph(self, rng: np.random.Generator) -> str:
        if rng.random() < 0.25:
            return corpus.generated_line(rng, _pick(rng, ("directive", "article")))
        return " ".join(_pick(rng, self.long) for _ in range(int(rng.integers(1, 4))))

    def heading(self, rng: np.random.Generator) -> str:
        return _pick(rng, self.headings)


# ------------------------------------------------------------------------------------------ sheet
class Sheet:
    """An A4 page being drawn top to bottom, collecting its ground-truth lines."""

    def __init__(self, dpi: int, family: str, pt: int, rng: np.random.Generator, colour: bool = False) -> None:
        self.dpi, self.family, self.pt = dpi, family, pt
        self.mm = dpi / 25.4
        self.width, self.height = round(A4_MM[0] * self.mm), round(A4_MM[1] * self.mm)
        self.left, self.right = MARGIN_MM["left"] * self.mm, self.width - MARGIN_MM["right"] * self.mm
        self.top, self.bottom = MARGIN_MM["top"] * self.mm, self.height - MARGIN_MM["bottom"] * self.mm
        self.spacing = float(rng.uniform(1.25, 1.5))
        ink = int(rng.integers(0, 45))
        self.colour = colour
        self.ink = (ink, ink, ink + int(rng.integers(0, 20))) if colour else ink
        self.image = Image.new("RGB" if colour else "L", (self.width, self.height), (255, 255, 255) if colour else 255)
        self.draw = ImageDraw.Draw(self.image)
        self.y = self.top
        self.lines: list[str] = []

    def px(self, pt: float | None = None) -> int:
        return int(round((pt or self.pt) * self.dpi / 72))

    def font(self, style: str = "regular", pt: float | None = None):
        return fontset.font(self.family, style, self.px(pt))

    def gap(self, lines: float = 0.5, pt: float | None = None) -> None:
        self.y += self.px(pt) * self.spacing * lines

    def room(self, pt: float | None = None) -> int:
        """How many more lines of *pt* fit above the bottom margin."""
        return max(0, int((self.bottom - self.y - self.px(pt)) // (self.px(pt) * self.spacing)) + 1)

    def line(self, text: str, *, style: str = "regular", pt: float | None = None, align: str = "left",
             x0: float | None = None, x1: float | None = None, justify_to: float | None = None) -> bool:
        """Draw one line (False, nothing drawn, when it would cross the bottom margin)."""
        if self.y + self.px(pt) > self.bottom:
            return False
        font = self.font(style, pt)
        x0 = self.left if x0 is None else x0
        x1 = self.right if x1 is None else x1
        words = text.split()
        if justify_to is not None and len(words) > 1:
            widths = [font.getlength(w) for w in words]
            space = max(font.getlength(" ") * 0.6, (justify_to - x0 - sum(widths)) / (len(words) - 1))
            x = x0
            for word, width in zip(words, widths):
                self.draw.text((x, self.y), word, font=font, fill=self.ink)
                x += width + space
        else:
            width = font.getlength(text)
            x = {"left": x0, "center": x0 + (x1 - x0 - width) / 2, "right": x1 - width}[align]
            self.draw.text((x, self.y), text, font=font, fill=self.ink)
        self.lines.append(" ".join(words))
        self.y += self.px(pt) * self.spacing
        return True

    def wrap(self, text: str, width: float, style: str = "regular", pt: float | None = None) -> list[str]:
        return synth._wrap(text, self.font(style, pt), width)

    def fit(self, text: str, width: float, style: str = "regular", pt: float | None = None) -> str:
        """The first wrapped line of *text*, cut letter by letter if one word is wider than *width*."""
        font = self.font(style, pt)
        line = self.wrap(text, width, style, pt)[0]
        while len(line) > 1 and font.getlength(line) > width:
            line = line[:-1].rstrip()
        return line

    def paragraph(self, text: str, *, style: str = "regular", pt: float | None = None, indent_mm: float = 0.0,
                  justify: bool = False, align: str = "left", max_lines: int | None = None,
                  x0: float | None = None, hanging_mm: float = 0.0) -> int:
        """Wrap and draw *text*; stop at the bottom margin or after *max_lines*. Returns lines drawn."""
        x0 = self.left if x0 is None else x0
        first_x = x0 + indent_mm * self.mm
        rest_x = x0 + hanging_mm * self.mm
        lines = self.wrap(text, self.right - first_x, style, pt)
        if len(lines) > 1:
            lines = lines[:1] + self.wrap(" ".join(lines[1:]), self.right - rest_x, style, pt)
        drawn = 0
        for i, text_line in enumerate(lines[:max_lines]):
            last = i == len(lines) - 1
            if not self.line(text_line, style=style, pt=pt, align=align, x0=first_x if i == 0 else rest_x,
                             justify_to=self.right if justify and not last else None):
                break
            drawn += 1
        return drawn


# --------------------------------------------------------------------------------------- layouts
def _body(sheet: Sheet, text: EvalText, rng: np.random.Generator, *, max_lines: int | None = None,
          reserve_mm: float = 0.0) -> None:
    """Paragraphs down to the bottom margin (less *reserve_mm*) or *max_lines* lines."""
    justify = rng.random() < 0.6
    indent = float(rng.choice([0.0, 10.0, 12.7]))
    bottom = sheet.bottom
    sheet.bottom -= reserve_mm * sheet.mm
    left = max_lines if max_lines is not None else 10_000
    while left > 0 and sheet.room() > 0:
        drawn = sheet.paragraph(text.paragraph(rng), indent_mm=indent, justify=justify, max_lines=left)
        left -= drawn
        if drawn == 0:
            break
        sheet.gap(float(rng.choice([0.0, 0.3, 0.5])))
    sheet.bottom = bottom


def _heading(sheet: Sheet, text: EvalText, rng: np.random.Generator) -> None:
    sheet.paragraph(text.heading(rng), style="bold", pt=sheet.pt + 1, align="center")
    sheet.gap(0.6)


def layout_full(sheet: Sheet, text: EvalText, rng: np.random.Generator) -> dict:
    if rng.random() < 0.7:
        _heading(sheet, text, rng)
    _body(sheet, text, rng)
    return {}


def layout_short(sheet: Sheet, text: EvalText, rng: np.random.Generator) -> dict:
    n = int(rng.integers(3, 7))
    if rng.random() < 0.5:
        sheet.line(text.heading(rng)[:60], style="bold", align="center")
        sheet.gap(0.5)
    _body(sheet, text, rng, max_lines=n - len(sheet.lines))
    return {}


def layout_one_line(sheet: Sheet, text: EvalText, rng: np.random.Generator) -> dict:
    content = (corpus.generated_line(rng, _pick(rng, corpus.GENERATED_KINDS)) if rng.random() < 0.5
               else _pick(rng, text.long + text.short))
    first = sheet.wrap(content, sheet.right - sheet.left)[0]
    sheet.y = sheet.top + float(rng.uniform(0, 0.6)) * (sheet.bottom - sheet.top)
    sheet.line(first, align=_pick(rng, ("left", "center")), style=_pick(rng, ("regular", "regular", "bold")))
    return {}


def layout_page_number(sheet: Sheet, text: EvalText, rng: np.random.Generator) -> dict:
    number = str(int(rng.integers(2, 60)))
    label = number if rng.random() < 0.7 else f"- {number} -"
    at_top = rng.random() < 0.7  # NĐ 30: top centre, in the top margin
    sheet.y = sheet.top * 0.5 if at_top else sheet.bottom + (sheet.height - sheet.bottom) * 0.3
    sheet.bottom = sheet.height
    sheet.line(label, align="center")
    return {"page_number_at": "top" if at_top else "bottom"}


def layout_nd30(seed: int, dpi: int, family: str, text: EvalText, rng: np.random.Generator) -> tuple[Image.Image, list[str]]:
    loai, loai_van_ban = _pick(rng, DOC_TYPES)
    prefix, office = _pick(rng, SIGNERS)
    doc = {"parent_agency": _pick(rng, text.agencies), "agency": _pick(rng, text.agencies),
           "agency_code": _pick(rng, corpus.AGENCY_CODES), "loai": loai, "loai_van_ban": loai_van_ban,
           "so": int(rng.integers(1, 500)), "dia_danh": _pick(rng, corpus.PLACES),
           "trich_yeu": _pick(rng, [s for s in text.short + text.long if len(s) < 110]),
           "paragraphs": [text.paragraph(rng) for _ in range(int(rng.integers(1, 4)))],
           "quyen_han": prefix, "chuc_vu": office, "nguoi_ky": corpus.person(rng)}
    image, gt, _ = synth.render_page(seed, dpi=dpi, doc=doc, font_family=family)
    return image, gt.splitlines()


def layout_table(sheet: Sheet, text: EvalText, rng: np.random.Generator) -> dict:
    _heading(sheet, text, rng)
    fractions = np.array([0.07, 0.26, 0.43, 0.09, 0.15])
    xs = sheet.left + np.concatenate([[0], np.cumsum(fractions)]) * (sheet.right - sheet.left)
    pad = 1.5 * sheet.mm
    row_h = sheet.px() * 1.7
    pt = sheet.pt - 1
    rows = [list(TABLE_HEAD)]
    for i in range(int(rng.integers(4, 13))):
        rows.append([str(i + 1), corpus.so_ky_hieu(rng).removeprefix("Số: "), _pick(rng, text.long + text.short),
                     str(int(rng.integers(1, 400))), _pick(rng, RETENTION)])
    top = sheet.y
    drawn = 0
    for r, row in enumerate(rows):
        if sheet.y + row_h > sheet.bottom:
            break
        y_text = sheet.y + (row_h - sheet.px(pt)) / 2
        cells = []
        for c, cell in enumerate(row):
            font = sheet.font("bold" if r == 0 else "regular", pt)
            cell = sheet.fit(cell, xs[c + 1] - xs[c] - 2 * pad, "bold" if r == 0 else "regular", pt)
            align_x = xs[c] + pad if c == 2 else xs[c] + (xs[c + 1] - xs[c] - font.getlength(cell)) / 2
            sheet.draw.text((align_x, y_text), cell, font=font, fill=sheet.ink)
            cells.append(cell)
        sheet.lines.append(" ".join(" ".join(cells).split()))
        sheet.y += row_h
        drawn += 1
    width = max(1, int(round(0.25 * sheet.mm)))
    for y in np.arange(drawn + 1) * row_h + top:
        sheet.draw.line([(xs[0], y), (xs[-1], y)], fill=sheet.ink, width=width)
    for x in xs:
        sheet.draw.line([(x, top), (x, top + drawn * row_h)], fill=sheet.ink, width=width)
    return {"table_rows": drawn}


def layout_list(sheet: Sheet, text: EvalText, rng: np.random.Generator) -> dict:
    if rng.random() < 0.6:
        _heading(sheet, text, rng)
    style = _pick(rng, ("number", "letter", "dash"))
    for i in range(int(rng.integers(3, 9))):
        mark = {"number": f"{i + 1}.", "letter": f"{'abcdeghik'[i]})", "dash": "-"}[style]
        item = corpus.generated_line(rng, "directive") if rng.random() < 0.4 else _pick(rng, text.long)
        if sheet.room() == 0 or not sheet.paragraph(f"{mark} {item.lstrip('-+ ')}", hanging_mm=6.0, indent_mm=0.0):
            break
        sheet.gap(0.2)
    return {"list_style": style}


def _signer(sheet: Sheet, rng: np.random.Generator) -> tuple[float, float, float]:
    """The signer block on the right; returns (x centre, y of the signature gap, block width)."""
    prefix, office = _pick(rng, SIGNERS)
    x0 = sheet.left + (sheet.right - sheet.left) * 0.45
    sheet.gap(0.8)
    sheet.line(prefix, style="bold", align="center", x0=x0)
    if office:
        sheet.line(office, style="bold", align="center", x0=x0)
    signature_y = sheet.y
    sheet.y += 22 * sheet.mm
    sheet.line(corpus.person(rng), style="bold", align="center", x0=x0)
    return (x0 + sheet.right) / 2, signature_y, sheet.right - x0


def _scribble(sheet: Sheet, centre_x: float, y: float, rng: np.random.Generator) -> None:
    """A signature: a few connected loops in blue."""
    t = np.linspace(0, 1, 120)
    width_mm = float(rng.uniform(25, 40))
    xs = centre_x + (t - 0.5) * width_mm * sheet.mm
    ys = y + 10 * sheet.mm + np.sin(t * np.pi * rng.uniform(4, 9)) * rng.uniform(2, 5) * sheet.mm * (1 - t * 0.5)
    xs = xs + np.cos(t * np.pi * rng.uniform(6, 12)) * 2.5 * sheet.mm
    sheet.draw.line(list(zip(xs, ys)), fill=BLUE_INK, width=max(1, int(0.4 * sheet.mm)))


def _seal(image: Image.Image, centre: tuple[float, float], dpi: int, rng: np.random.Generator, words: str) -> None:
    """A red round seal with *words* around its ring and a star in the middle, blended over the ink."""
    mm = dpi / 25.4
    radius = float(rng.uniform(*SEAL_DIAMETER_MM)) / 2 * mm
    size = int(2 * radius + 8)
    mask = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(mask)
    c = size / 2
    ring = max(2, int(0.8 * mm))
    draw.ellipse((c - radius, c - radius, c + radius, c + radius), outline=255, width=ring)
    inner = radius * 0.68
    draw.ellipse((c - inner, c - inner, c + inner, c + inner), outline=255, width=max(1, ring // 2))
    star = [(c + np.sin(a) * r, c - np.cos(a) * r) for i, a in enumerate(np.linspace(0, 2 * np.pi, 11)[:-1])
            for r in [radius * (0.3 if i % 2 == 0 else 0.12)]]
    draw.polygon(star, fill=255)
    font = fontset.font("liberation_sans", "bold", int(radius * 0.2))
    letters = list(words)
    span = np.radians(300)
    for i, ch in enumerate(letters):
        angle = -span / 2 + span * (i + 0.5) / len(letters)
        glyph = Image.new("L", (int(radius * 0.3),) * 2, 0)
        ImageDraw.Draw(glyph).text((glyph.width / 2, glyph.height / 2), ch, font=font, fill=255, anchor="mm")
        glyph = glyph.rotate(-np.degrees(angle), resample=Image.BICUBIC, expand=True)
        r = radius * 0.84
        x, y = c + np.sin(angle) * r - glyph.width / 2, c - np.cos(angle) * r - glyph.height / 2
        mask.paste(255, (int(x), int(y)), glyph)
    mask = mask.rotate(float(rng.uniform(0, 360)), resample=Image.BICUBIC)
    _blend(image, mask, (int(centre[0] - c), int(centre[1] - c)), RED_SEAL, float(rng.uniform(0.75, 0.95)))


def _blend(image: Image.Image, mask: Image.Image, at: tuple[int, int], colour: tuple[int, int, int],
           opacity: float) -> None:
    """Lay ink of *colour* through *mask* (L) onto the RGB *image* at *at*, multiplying (ink over ink darkens)."""
    arr = np.asarray(image).astype(np.float32)
    x, y = at
    h, w = mask.height, mask.width
    x0, y0, x1, y1 = max(0, x), max(0, y), min(arr.shape[1], x + w), min(arr.shape[0], y + h)
    if x1 <= x0 or y1 <= y0:
        return
    a = np.asarray(mask, dtype=np.float32)[y0 - y:y1 - y, x0 - x:x1 - x, None] / 255.0 * opacity
    tint = np.array(colour, np.float32) / 255.0
    arr[y0:y1, x0:x1] *= 1 - a * (1 - tint)
    image.paste(Image.fromarray(arr.clip(0, 255).astype(np.uint8)))


def layout_signature_seal(sheet: Sheet, text: EvalText, rng: np.random.Generator) -> dict:
    _body(sheet, text, rng, reserve_mm=70)
    centre_x, signature_y, width = _signer(sheet, rng)
    _scribble(sheet, centre_x, signature_y, rng)
    words = " * ".join(_pick(rng, text.headings) for _ in range(2)) + " *"
    _seal(sheet.image, (centre_x - width * 0.22, signature_y + 6 * sheet.mm), sheet.dpi, rng, words)
    return {"seal_text": words}


def _note_text(rng: np.random.Generator) -> str:
    day = corpus.random_date(rng)
    return _pick(rng, NOTE_FORMULAS).format(unit=_pick(rng, NOTE_UNITS), date=f"{day.day}/{day.month}/{day.year}",
                                            given=_pick(rng, corpus.GIVEN_NAMES))


def layout_margin_note(sheet: Sheet, text: EvalText, rng: np.random.Generator) -> dict:
    _body(sheet, text, rng, reserve_mm=45)
    note = _note_text(rng)
    font = fontset.font("texgyre_chorus", "regular", sheet.px(float(rng.uniform(18, 24))))
    box = font.getbbox(note)
    layer = Image.new("L", (int(box[2] + 20), int(box[3] + 20)), 0)
    ImageDraw.Draw(layer).text((10, 10), note, font=font, fill=255)
    angle = float(rng.uniform(-6, 6))
    layer = layer.rotate(angle, resample=Image.BICUBIC, expand=True)
    x = sheet.left + float(rng.uniform(0, 0.4)) * (sheet.right - sheet.left)
    y = sheet.y + 8 * sheet.mm
    _blend(sheet.image, layer, (int(x), int(y)), BLUE_INK, 0.95)
    sheet.lines.append(note)
    return {"note": note, "note_in_gt": True, "note_angle_deg": round(angle, 2)}


def layout_stamp_only(sheet: Sheet, text: EvalText, rng: np.random.Generator) -> dict:
    day = corpus.random_date(rng)
    lines = [_pick(rng, text.agencies),
             f"CÔNG VĂN ĐẾN Số: {int(rng.integers(1, 3000))}",
             f"Ngày: {day.day:02d}/{day.month:02d}/{day.year}",
             f"Chuyển: {_pick(rng, NOTE_UNITS)}"]
    font = fontset.font(_pick(rng, ("liberation_sans", "liberation_serif", "dejavu_sans")), "bold", sheet.px(11))
    line_h = sheet.px(11) * 1.5
    width = max(font.getlength(l) for l in lines) + 6 * sheet.mm
    layer = Image.new("L", (int(width + 10), int(len(lines) * line_h + 4 * sheet.mm + 10)), 0)
    draw = ImageDraw.Draw(layer)
    draw.rectangle((5, 5, layer.width - 5, layer.height - 5), outline=255, width=max(2, int(0.5 * sheet.mm)))
    for i, line in enumerate(lines):
        draw.text(((layer.width - font.getlength(line)) / 2, 5 + 2 * sheet.mm + i * line_h), line, font=font, fill=255)
    angle = float(rng.uniform(-4, 4))
    layer = layer.rotate(angle, resample=Image.BICUBIC, expand=True)
    x = sheet.left + float(rng.uniform(0, 1)) * max(1.0, sheet.right - sheet.left - layer.width)
    y = sheet.top + float(rng.uniform(0, 0.5)) * (sheet.bottom - sheet.top)
    _blend(sheet.image, layer, (int(x), int(y)), _pick(rng, (RED_SEAL, VIOLET_INK)), float(rng.uniform(0.7, 0.95)))
    sheet.lines += lines
    return {"stamp_angle_deg": round(angle, 2)}


SHEET_LAYOUTS = {"full": layout_full, "short": layout_short, "one_line": layout_one_line,
                 "page_number": layout_page_number, "table": layout_table, "list": layout_list,
                 "signature_seal": layout_signature_seal, "margin_note": layout_margin_note,
                 "stamp_only": layout_stamp_only, "blank": lambda sheet, text, rng: {}}
COLOUR_LAYOUTS = ("signature_seal", "margin_note", "stamp_only")


# ------------------------------------------------------------------------------------ conditions
def _channels(arr: np.ndarray, fn) -> np.ndarray:
    """*fn(grey, rng)* on a greyscale array, or on each channel of an RGB one with the same draws."""
    if arr.ndim == 2:
        return fn(arr)
    return np.dstack([fn(np.ascontiguousarray(arr[:, :, i])) for i in range(arr.shape[2])])


def _damage(arr: np.ndarray, condition: str, dpi: int, rng: np.random.Generator) -> tuple[np.ndarray, list[str]]:
    if condition in ("mild", "heavy"):
        state = int(rng.integers(2**63))
        kinds: list[str] = []

        def one(channel):
            out, chosen = damage.random_damage(channel, np.random.default_rng(state), dpi=dpi, level=condition)
            kinds[:] = chosen
            return out
        return _channels(arr, one), kinds
    if condition == "typewriter":
        plan = [("ribbon", float(rng.uniform(0.8, 1.3))), ("jitter", float(rng.uniform(0.4, 1.0)))]
        plan += [(k, float(rng.uniform(0.3, 0.8))) for k in ("fade", "paper", "noise") if rng.random() < 0.5]
        plan.sort(key=lambda item: damage.KINDS.index(item[0]))
        state = int(rng.integers(2**63))

        def worn(channel):
            g = np.random.default_rng(state)
            for kind, strength in plan:
                channel = damage.apply(channel, kind, g, dpi=dpi, strength=strength)
            return channel
        return _channels(arr, worn), [k for k, _ in plan]
    if condition == "augraphy":
        return _augraphy(arr, int(rng.integers(1, 2**31 - 1))), ["augraphy_default"]
    return arr, []


@functools.cache
def _numba_seeder():
    """Seeds numba's own generator, which augraphy's compiled noise functions draw from (numpy's
    seed does not reach it)."""
    import numba

    def seed(value):
        np.random.seed(value)
    return numba.njit(seed)


def _augraphy(arr: np.ndarray, seed: int) -> np.ndarray:
    """augraphy's default pipeline, seeded (it draws from the global random, numpy and OpenCV generators).

    augraphy keeps up to 30 recent images in ``./augraphy_cache/`` and some of its effects paste
    one of them in: run in a fresh empty directory, so nothing is left behind. Its Scribbles effect
    downloads a handwriting font from the internet unless ``./fonts/`` holds a TTF: one of ours is
    put there first (the benchmark must run offline)."""
    import contextlib
    import random
    import shutil
    import tempfile

    import augraphy
    import cv2

    random.seed(seed)
    np.random.seed(seed % 2**32)
    cv2.setRNGSeed(seed)
    _numba_seeder()(seed % 2**32)
    bgr = cv2.cvtColor(arr, cv2.COLOR_GRAY2BGR) if arr.ndim == 2 else cv2.cvtColor(arr, cv2.COLOR_RGB2BGR)
    with tempfile.TemporaryDirectory(prefix="augraphy-") as scratch, contextlib.chdir(scratch):
        Path("fonts").mkdir()
        shutil.copy(fontset.styles(SCRIBBLE_FAMILY)["italic"], "fonts")
        out = augraphy.default_augraphy_pipeline()(bgr)
    out = out if out.ndim == 2 else cv2.cvtColor(out[:, :, :3], cv2.COLOR_BGR2RGB)
    if out.shape[:2] != arr.shape[:2]:
        out = cv2.resize(out, (arr.shape[1], arr.shape[0]), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(out)


def _file_mode(condition: str, rng: np.random.Generator) -> str:
    """How the page is stored: ``png`` (8-bit L or RGB), ``png16``, ``rgba``, ``jpg`` or ``cmyk_jpg``."""
    if condition in ("jpeg", "augraphy"):
        return "cmyk_jpg" if rng.random() < 0.15 else "jpg"
    return _weighted(rng, {"png": 0.82, "png16": 0.06, "rgba": 0.06, "cmyk_jpg": 0.06})


def _encode(arr: np.ndarray, mode: str, dpi: int, condition: str, rng: np.random.Generator) -> tuple[bytes, str]:
    """The page file's bytes and extension."""
    image = Image.fromarray(arr)
    buf = io.BytesIO()
    if mode in ("jpg", "cmyk_jpg"):
        quality = int(rng.integers(15, 45)) if condition == "jpeg" else int(rng.integers(75, 93))
        if mode == "cmyk_jpg":
            image = image.convert("RGB").convert("CMYK")
        image.save(buf, "JPEG", quality=quality, dpi=(dpi, dpi))
        return buf.getvalue(), "jpg"
    if mode == "png16":
        grey = np.asarray(image.convert("L"), dtype=np.uint16) * 257
        image = Image.fromarray(grey)
    elif mode == "rgba":
        image = image.convert("RGBA")
    image.save(buf, "PNG", dpi=(dpi, dpi))
    return buf.getvalue(), "png"


# ------------------------------------------------------------------------------------------ pages
def plan(seed: int, *, layout: str | None = None, condition: str | None = None) -> dict:
    """The choices for page *seed*, made before drawing: layout, condition, font, size, resolution,
    turn and file mode. *layout* and *condition* override the seed's own (for tests and for looking
    at one kind of page); the other choices stay the seed's."""
    rng = np.random.default_rng([STREAM, seed, 0])
    drawn_layout, drawn_condition = _weighted(rng, LAYOUTS), _weighted(rng, CONDITIONS)
    layout, condition = layout or drawn_layout, condition or drawn_condition
    if layout not in LAYOUTS or condition not in CONDITIONS:
        raise ValueError(f"unknown layout {layout!r} or condition {condition!r}")
    kinds = ("mono",) if condition == "typewriter" else fontset.PRINTED_KINDS
    family = _pick(rng, fontset.available(kinds))
    pt = int(rng.integers(PT_RANGE[0], PT_RANGE[1] + 1))
    dpi = int(_pick(rng, DPIS))
    rotation = int(_pick(rng, TURNS)) if rng.random() < TURNED_SHARE else 0
    return {"id": page_id(seed), "seed": seed, "version": SUITE_VERSION, "layout": layout, "condition": condition,
            "font": family, "font_kind": fontset.FAMILIES[family]["kind"], "pt": pt, "dpi": dpi,
            "rotation": rotation, "file_mode": _file_mode(condition, rng)}


def render(seed: int, **overrides) -> tuple[np.ndarray, list[str], dict]:
    """The upright, undamaged page of *seed*: (uint8 L or RGB array, ground-truth lines, meta).
    *overrides*: see :func:`plan`."""
    meta = plan(seed, **overrides)
    rng = np.random.default_rng([STREAM, seed, 1])
    text = EvalText()
    if meta["layout"] == "nd30":
        image, lines = layout_nd30(seed, meta["dpi"], meta["font"], text, rng)
        meta["pt"] = 14  # synth.render_page draws the NĐ 30 sizes: 12-14 pt
    else:
        sheet = Sheet(meta["dpi"], meta["font"], meta["pt"], rng, colour=meta["layout"] in COLOUR_LAYOUTS)
        meta.update(SHEET_LAYOUTS[meta["layout"]](sheet, text, rng))
        image, lines = sheet.image, sheet.lines
    arr = np.asarray(image)
    if arr.ndim == 3 or rng.random() < 0.3:  # colour scan: yellowed paper
        rgb = arr if arr.ndim == 3 else np.dstack([arr] * 3)
        arr = (rgb.astype(np.float32) * np.array(PAPER_TINT, np.float32)).astype(np.uint8)
    meta["n_lines"] = len(lines)
    meta["blank"] = meta["layout"] == "blank"
    return arr, lines, meta


def make_page(seed: int, **overrides) -> tuple[Image.Image, str, dict]:
    """Page *seed* as handed in: (image carrying its dpi, ground truth text, meta); *overrides* as
    for :func:`plan` (``layout=``, ``condition=``).

    The image is damaged for its condition and turned by ``meta["rotation"]`` degrees clockwise;
    ``image.info["dpi"]`` and ``image.encoderinfo`` hold the resolution. ``meta["damage"]`` lists the
    damage kinds applied. The ground truth ends with a newline unless the page is blank.
    """
    arr, lines, meta = render(seed, **overrides)
    rng = np.random.default_rng([STREAM, seed, 2])
    arr, meta["damage"] = _damage(arr, meta["condition"], meta["dpi"], rng)
    if meta["rotation"]:
        arr = np.ascontiguousarray(np.rot90(arr, k=-meta["rotation"] // 90))  # clockwise
    image = Image.fromarray(arr)
    image.info["dpi"] = (meta["dpi"], meta["dpi"])
    image.encoderinfo = {"dpi": (meta["dpi"], meta["dpi"])}
    return image, "".join(line + "\n" for line in lines), meta


def _write_one(args: tuple[Path, int]) -> dict:
    out_dir, seed = args
    meta_path = out_dir / "meta" / f"{page_id(seed)}.json"
    if meta_path.is_file():
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("version") == SUITE_VERSION and (out_dir / meta["file"]).is_file():
            return meta
    if plan(seed)["condition"] == "augraphy" and not augraphy_available():
        return {**plan(seed), "skipped": "augraphy is not installed (pip install -r requirements-dev.txt)"}
    try:
        image, gt, meta = make_page(seed)
    except Exception as exc:  # augraphy's own faults: that page is left out, with the reason
        if plan(seed)["condition"] != "augraphy":
            raise
        return {**plan(seed), "skipped": f"augraphy failed: {type(exc).__name__}: {exc}"}
    data, ext = _encode(np.asarray(image), meta["file_mode"], meta["dpi"], meta["condition"],
                        np.random.default_rng([STREAM, seed, 3]))
    meta["file"] = f"{meta['condition']}/{meta['id']}.{ext}"
    for sub in (meta["condition"], "gt", "meta"):
        (out_dir / sub).mkdir(parents=True, exist_ok=True)
    (out_dir / meta["file"]).write_bytes(data)
    (out_dir / "gt" / f"{meta['id']}.txt").write_text(gt, encoding="utf-8")
    meta_path.write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
    return meta


def write_suite(out_dir: str | Path, seeds: list[int] | range, jobs: int = 1) -> list[dict]:
    """Write the pages of *seeds* under *out_dir* (pages already there from this suite version are
    kept); returns their metas in seed order. Pages of the augraphy condition are skipped, with
    ``meta["skipped"]`` saying why and one message on stderr, where augraphy is not installed."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    work = [(out_dir, s) for s in seeds]
    if jobs > 1 and len(work) > 1:
        env = {"OMP_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
        for key, value in env.items():
            os.environ.setdefault(key, value)
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            metas = list(pool.map(_write_one, work, chunksize=1))
    else:
        metas = [_write_one(w) for w in work]
    skipped = [m for m in metas if "skipped" in m]
    for m in skipped[:3]:
        print(f"suite: {m['id']} ({m['condition']}) skipped: {m['skipped']}", file=sys.stderr)
    if len(skipped) > 3:
        print(f"suite: {len(skipped) - 3} more pages skipped", file=sys.stderr)
    return metas
