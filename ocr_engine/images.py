"""Opening page files safely: format sniffing, size limits before decoding, pixel normalisation.

Every problem with a file becomes an :class:`~ocr_engine.errors.InputError` naming the file and
the reason; nothing here lets a bad file take down a batch.
"""
from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from .errors import InputError
from .pages import size_problems

ACCEPTED_FORMATS = {"JPEG", "PNG", "TIFF", "BMP", "WEBP", "JPEG2000"}
_EXTENSIONS = {"JPEG": {".jpg", ".jpeg", ".jpe"}, "PNG": {".png"}, "TIFF": {".tif", ".tiff"},
               "BMP": {".bmp"}, "WEBP": {".webp"}, "JPEG2000": {".jp2", ".j2k", ".jpx"}}
_BITS = {"1": 1, "L": 8, "P": 8, "LA": 16, "PA": 16, "RGB": 24, "RGBA": 32, "CMYK": 32,
         "YCbCr": 24, "LAB": 24, "HSV": 24, "I;16": 16, "I;16B": 16, "I;16L": 16, "I": 32, "F": 32}


@dataclass(frozen=True)
class SourcePage:
    """One page of an input file: *frame* is its index in a multi-page TIFF, else 0."""
    path: Path
    frame: int
    page_id: str


@dataclass
class LoadedPage:
    """Decoded pixels (uint8, greyscale 2-D or RGB 3-D) plus what the file said about itself."""
    source: SourcePage
    pixels: np.ndarray
    dpi: float | None
    format: str
    mode: str
    bits: int
    notes: list[str] = field(default_factory=list)

    @property
    def header(self) -> PageHeader:
        return PageHeader(self.source, self.pixels.shape[1], self.pixels.shape[0], self.dpi, self.format, self.mode)

    @functools.cached_property
    def grey(self) -> np.ndarray:
        """The pixels in grey (converted once: QC, seal removal and the plain reading all ask)."""
        if self.pixels.ndim == 2:
            return self.pixels
        return np.asarray(Image.fromarray(self.pixels).convert("L"))


def _open(path: Path) -> Image.Image:
    """Open lazily (header only) after the checks that need no decoder."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise InputError(f"{path}: cannot read file: {exc.strerror}") from exc
    if not head:
        raise InputError(f"{path}: empty file (0 bytes)")
    if head.startswith(b"%PDF"):
        raise InputError(f"{path}: is a PDF, not a page image; rasterise it before OCR")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(path)
    except Image.DecompressionBombError as exc:
        raise InputError(f"{path}: image too large, refused before decoding ({exc})") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InputError(f"{path}: not a readable image ({exc})") from exc
    if img.format not in ACCEPTED_FORMATS:
        img.close()
        raise InputError(f"{path}: unsupported image format {img.format}")
    found = size_problems(*img.size)
    if found:
        img.close()
        raise InputError(f"{path}: {found[0].message}")
    return img


def list_pages(path: str | Path) -> list[SourcePage]:
    """The pages of one input file (several for a multi-page TIFF). Raises InputError."""
    path = Path(path)
    with _open(path) as img:
        frames = getattr(img, "n_frames", 1)
    if frames == 1:
        return [SourcePage(path, 0, path.stem)]
    return [SourcePage(path, i, f"{path.stem}-p{i + 1:03d}") for i in range(frames)]


def _to_uint8(img: Image.Image, notes: list[str]) -> np.ndarray:
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        arr = np.asarray(img).astype(np.float64)
        top = 65535.0 if img.mode.startswith("I;16") or arr.max() > 255 else 255.0
        notes.append(f"{img.mode} samples scaled to 8 bits for recognition")
        return np.clip(arr * (255.0 / top), 0, 255).astype(np.uint8)
    if img.mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    if img.mode in ("LA", "RGBA", "PA"):
        base = "L" if img.mode == "LA" else "RGB"
        flat = Image.new(base, img.size, 255 if base == "L" else (255, 255, 255))
        flat.paste(img.convert("LA" if base == "L" else "RGBA"), mask=img.getchannel("A"))
        notes.append("alpha channel flattened onto white")
        img = flat
    elif img.mode == "CMYK":
        notes.append("CMYK converted to RGB")
        img = img.convert("RGB")
    elif img.mode not in ("L", "RGB"):
        img = img.convert("RGB" if img.mode in ("YCbCr", "LAB", "HSV") else "L")
    return np.asarray(img)


def _dpi(img: Image.Image) -> float | None:
    raw = img.info.get("dpi")
    return float(round(raw[0])) if raw and raw[0] > 1.5 else None


@dataclass(frozen=True)
class PageHeader:
    """What a page file says about itself, read without decoding its pixels."""
    source: SourcePage
    width: int
    height: int
    dpi: float | None
    format: str
    mode: str


def read_header(page: SourcePage) -> PageHeader:
    """Size, resolution, format and mode of one page, from the file's header only. Raises InputError."""
    with _open(page.path) as img:
        try:
            img.seek(page.frame)
        except (OSError, EOFError) as exc:
            raise InputError(f"{page.path}: no frame {page.frame} ({exc})") from exc
        return PageHeader(page, img.width, img.height, _dpi(img), img.format, img.mode)


def load_page(page: SourcePage, *, assume_dpi: float | None = None) -> LoadedPage:
    """Decode one page. Raises InputError for truncated or corrupt data.

    ``dpi`` comes from the file; when the file has none, *assume_dpi* is used and noted,
    otherwise it stays None (the QC stage rejects such a page).
    """
    notes: list[str] = []
    with _open(page.path) as img:
        fmt = img.format
        suffix = page.path.suffix.lower()
        if suffix not in _EXTENSIONS.get(fmt, set()):
            notes.append(f"file extension {suffix or '(none)'} but content is {fmt}")
        try:
            img.seek(page.frame)
            img.load()
            mode = img.mode
            pixels = _to_uint8(img, notes)
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise InputError(f"{page.path}: truncated or corrupt image data ({exc})") from exc
        dpi = _dpi(img)
    if dpi is None and assume_dpi:
        dpi = float(assume_dpi)
        notes.append(f"no resolution in file; {assume_dpi:g} dpi assumed")
    return LoadedPage(page, pixels, dpi, fmt, mode, _BITS.get(mode, 8), notes)
