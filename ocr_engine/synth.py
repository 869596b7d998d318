"""Synthetic Vietnamese administrative pages (NĐ 30/2020 layout) with line-level ground truth.

For tests and demos. Text comes from ``ocr_engine/data/corpus_vi.txt`` (own sentences), fonts
from Debian fonts-liberation2 (Liberation Serif; v1 lacks Vietnamese). Everything is
deterministic from the seed. Stable API: :func:`render_page`.
"""
from __future__ import annotations

import datetime as dt
import functools
import io
import random
from importlib import resources
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from . import fontset

FONT_DIR = Path("/usr/share/fonts/truetype/liberation2")
FONT_FILES = {"regular": "LiberationSerif-Regular.ttf", "bold": "LiberationSerif-Bold.ttf",
              "italic": "LiberationSerif-Italic.ttf"}
A4_MM = (210.0, 297.0)
MARGIN_MM = {"left": 30.0, "right": 20.0, "top": 20.0}
MOTTO = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")


@functools.cache
def corpus() -> dict[str, list[list[str]]]:
    """The shipped corpus: section name → entries, each split on ``|``."""
    text = resources.files("ocr_engine").joinpath("data/corpus_vi.txt").read_text(encoding="utf-8")
    sections: dict[str, list[list[str]]] = {}
    current = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
        elif current is not None:
            current.append(line.split("|"))
    return sections


@functools.cache
def _font(style: str, px: int) -> ImageFont.FreeTypeFont:
    path = FONT_DIR / FONT_FILES[style]
    if not path.is_file():
        raise FileNotFoundError(f"{path} missing: install Debian fonts-liberation2")
    return ImageFont.truetype(str(path), px)


def date_line(place: str, day: dt.date) -> str:
    """``Hải Phòng, ngày 05 tháng 02 năm 2025``: day < 10 and months 1–2 with a leading zero."""
    d = f"{day.day:02d}"
    m = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    return f"{place}, ngày {d} tháng {m} năm {day.year}"


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: float) -> list[str]:
    lines, current = [], []
    for word in text.split():
        if current and font.getlength(" ".join(current + [word])) > width:
            lines.append(" ".join(current))
            current = [word]
        else:
            current.append(word)
    return lines + ([" ".join(current)] if current else [])


def _fields(seed: int, doc: dict | None) -> dict:
    rng = random.Random(seed)
    c = corpus()
    parent, agency, suffix = rng.choice(c["agencies"])
    abbr, type_name = rng.choice(c["types"])
    prefix, office, name = rng.choice(c["signers"])
    day = dt.date(2025, 1, 1) + dt.timedelta(days=rng.randrange(0, 365))
    n_paragraphs = rng.randint(2, 3)
    f = {"parent_agency": parent, "agency": agency, "agency_code": suffix, "loai": abbr,
         "loai_van_ban": type_name, "so": rng.randint(1, 250), "ngay": day, "dia_danh": "Hải Phòng",
         "trich_yeu": rng.choice(c["summaries"])[0], "quyen_han": prefix, "chuc_vu": office,
         "nguoi_ky": name, "paragraphs": n_paragraphs}
    f.update(doc or {})
    if isinstance(f["ngay"], str):
        f["ngay"] = dt.date.fromisoformat(f["ngay"])
    if isinstance(f["paragraphs"], int):
        f["paragraphs"] = [p[0] for p in rng.sample(c["body"], f["paragraphs"])]
    f["ky_hieu"] = f"{f['agency_code']}-VP" if f["loai"] == "CV" else f"{f['loai']}-{f['agency_code']}"
    f["so_ky_hieu"] = f"{f['so']}/{f['ky_hieu']}"
    return f


def render_page(seed: int, dpi: int = 300, degrade: bool = False,
                doc: dict | None = None, font_family: str | None = None) -> tuple[Image.Image, str, dict]:
    """Render one A4 page; return ``(image, ground_truth_text, fields)``.

    - *seed* fixes every choice (agency, type, number, date, body, signer, degradation).
    - *dpi* sets the pixel size; the image saves with this resolution by default
      (``image.encoderinfo``), and ``image.info["dpi"]`` holds it.
    - *degrade* adds skew (±1.5°), blur, noise and a JPEG round trip.
    - *doc* overrides fields: ``parent_agency``, ``agency``, ``agency_code``, ``loai`` (type
      abbreviation, ``CV`` for a công văn), ``loai_van_ban``, ``so``, ``ngay`` (date or ISO
      string), ``dia_danh``, ``trich_yeu``, ``paragraphs`` (count or list of strings),
      ``quyen_han``, ``chuc_vu``, ``nguoi_ky``.
    - *font_family* draws in a family of :mod:`ocr_engine.fontset` instead of Liberation Serif
      (the page's choices and line breaks then follow that family's metrics).

    The ground truth has one line per printed line, NFC, in reading order: left header block,
    right header block (national motto, date), title, body, signer block; ends with a newline.
    ``fields`` holds the values above plus ``so_ky_hieu`` (``15/QĐ-SNgV``), ``ky_hieu``,
    ``date_line``, ``ngay`` (ISO string), ``lines``, ``dpi``, ``seed`` and ``skew_deg``.
    """
    f = _fields(seed, doc)
    mm = dpi / 25.4
    width, height = int(round(A4_MM[0] * mm)), int(round(A4_MM[1] * mm))
    left, right, top = MARGIN_MM["left"] * mm, width - MARGIN_MM["right"] * mm, MARGIN_MM["top"] * mm
    pt = lambda size: int(round(size * dpi / 72))
    img = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(img)

    def block(items: list[tuple[str, str, int]], x0: float, x1: float, y: float, align: str) -> tuple[float, list[str]]:
        """Draw (text, style, size_pt) items wrapped in [x0, x1]; empty text is a half-line gap."""
        out = []
        for text, style, size in items:
            if not text:
                y += pt(size) * 0.7
                continue
            font = _font(style, pt(size)) if font_family is None else fontset.font(font_family, style, pt(size))
            for line in _wrap(text, font, x1 - x0):
                w = font.getlength(line)
                x = {"center": x0 + (x1 - x0 - w) / 2, "left": x0}[align]
                draw.text((x, y), line, font=font, fill=0)
                out.append(line)
                y += pt(size) * 1.45
        return y, out

    split = left + (right - left) * 0.4
    number = f"Số: {f['so_ky_hieu']}"
    y_left, gt_left = block([(f["parent_agency"], "regular", 12), (f["agency"], "bold", 12), ("", "regular", 12),
                             (number, "regular", 13)], left, split, top, "center")
    f["date_line"] = date_line(f["dia_danh"], f["ngay"])
    y_right, gt_right = block([(MOTTO[0], "bold", 12), (MOTTO[1], "bold", 13), ("", "regular", 12),
                               (f["date_line"], "italic", 13)], split + 4 * mm, right, top, "center")
    y = max(y_left, y_right) + pt(14)
    if f["loai"] == "CV":
        title_items = [(f"V/v {f['trich_yeu']}", "regular", 13)]
    else:
        title_items = [(f["loai_van_ban"], "bold", 14), (f"Về {f['trich_yeu']}", "bold", 14)]
    y, gt_title = block(title_items, left, right, y, "center")
    y += pt(10)
    gt_body = []
    for paragraph in f["paragraphs"]:
        y, lines = block([(paragraph, "regular", 14)], left, right, y, "left")
        gt_body += lines
        y += pt(4)
    sign_items = [(f["quyen_han"], "bold", 13)] + ([(f["chuc_vu"], "bold", 13)] if f["chuc_vu"] else [])
    y, gt_sign = block(sign_items, split + 20 * mm, right, y + pt(10), "center")
    y, gt_name = block([(f["nguoi_ky"], "bold", 13)], split + 20 * mm, right, y + pt(40), "center")
    lines = gt_left + gt_right + gt_title + gt_body + gt_sign + gt_name
    angle = 0.0
    if degrade:
        img, angle = _degrade(img, dpi, np.random.default_rng(seed))
    img.info["dpi"] = (dpi, dpi)
    img.encoderinfo = {"dpi": (dpi, dpi)}
    fields = {**f, "ngay": f["ngay"].isoformat(), "lines": lines, "dpi": dpi, "seed": seed,
              "skew_deg": angle}
    return img, "".join(line + "\n" for line in lines), fields


def _degrade(img: Image.Image, dpi: int, rng: np.random.Generator) -> tuple[Image.Image, float]:
    """Scan-like damage: skew, blur, grey paper, noise, JPEG artefacts. Returns (image, skew)."""
    angle = float(round(rng.uniform(-1.5, 1.5), 2))
    out = img.rotate(angle, resample=Image.BICUBIC, fillcolor=255)
    out = out.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 0.9) * dpi / 300))
    a = np.asarray(out, dtype=np.float32) * rng.uniform(0.85, 0.95) + rng.normal(0, 8, out.size[::-1])
    out = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
    buf = io.BytesIO()
    out.save(buf, "JPEG", quality=int(rng.integers(55, 80)))
    buf.seek(0)
    with Image.open(buf) as decoded:
        return decoded.convert("L"), angle


def stamp_variant(image: Image.Image, variant: int) -> Image.Image:
    """The same page made distinct: a 16×16 px block in its top-left corner, in a shade that encodes ``variant``
    (0–15), survives JPEG compression, so repeated benchmark runs can resubmit a page intake already holds."""
    if not 0 <= variant < 16:
        raise ValueError(f"variant {variant} is outside 0–15")
    stamped = image.copy()
    ImageDraw.Draw(stamped).rectangle((0, 0, 15, 15), fill=(255 - 16 * variant,) * len(stamped.getbands()))
    return stamped


def drum_streaks(page: Image.Image, seed: int, *, across: bool = False, count: int = 7) -> Image.Image:
    """The page (greyscale) crossed by *count* streaks like a dirty photocopier drum's, made the way
    augraphy's DirtyDrum makes them: near-black speckle in bands 8-20 px wide at 200 dpi, dense
    (90 %) at their centre and fading out, blurred 3×3 and laid over the page keeping the darker
    pixel; *across* runs them along the lines instead of down the page."""
    arr = np.asarray(page.convert("L"))
    arr = np.ascontiguousarray(arr.T if across else arr)
    rng = np.random.default_rng(seed)
    cols = np.arange(arr.shape[1])
    dirt = np.full(arr.shape, 255.0)
    for centre in rng.choice(np.arange(60, arr.shape[1] - 60), size=count, replace=False):
        density = 0.9 * np.exp(-0.5 * ((cols - centre) / rng.uniform(8, 20)) ** 2)
        dirt[rng.random(arr.shape) < density[None, :]] = 30
    dirt = np.asarray(Image.fromarray(dirt.astype(np.uint8)).filter(ImageFilter.GaussianBlur(1)))
    arr = np.minimum(arr, dirt)
    return Image.fromarray(np.ascontiguousarray(arr.T if across else arr))
