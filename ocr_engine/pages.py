"""What a file must be to count as a scanned page: one rule set, applied by OCR and by sohoa's intake.

Intake (``sohoa.intake.checks``) refuses a page that breaks any rule here, so it never accepts a page that OCR
(:mod:`ocr_engine.images`, :mod:`ocr_engine.qc`) would then refuse. Each rule returns the problems it finds as
:class:`PageProblem` — a code, an English message for operators and a Vietnamese one for vendors; none raises.
The colour rule is the archive's (TT 05/2025: ≥ 24-bit colour; greyscale and bitonal accepted, palette refused):
OCR records a page's colour mode and reads any of them, so it never refuses a page this rule accepts.
"""
from __future__ import annotations

from dataclasses import dataclass

MIN_DPI = 200  # TT 05/2025/TT-BNV: digitised paper records at least 200 dpi
MIN_SIDE = 64  # px; below this no line of text fits (a 10 pt line is 28 px tall at 200 dpi)
MAX_PIXELS = 150_000_000  # A0 at 300 dpi is 139 Mpx; anything larger is refused before decoding

# PIL mode -> colour class of a scanned page.
COLOUR_MODES = {"1": "bitonal", "L": "grayscale", "LA": "grayscale", "I;16": "grayscale", "I;16B": "grayscale",
                "I;16L": "grayscale", "I": "grayscale", "RGB": "color", "RGBA": "color", "RGBX": "color",
                "CMYK": "color", "YCbCr": "color", "LAB": "color"}


@dataclass(frozen=True)
class PageProblem:
    """A rule a page breaks: ``code`` for machines, ``message`` (English) and ``message_vi`` (Vietnamese)."""

    code: str
    message: str
    message_vi: str


def size_problems(width: int, height: int) -> list[PageProblem]:
    """Too many pixels to decode safely, or too few to be a page (empty when acceptable)."""
    if width * height > MAX_PIXELS:
        return [PageProblem("too_many_pixels",
                            f"{width}×{height} px is more than the {MAX_PIXELS // 1_000_000} Mpx limit; refused "
                            "before decoding (decompression bomb?)",
                            f"ảnh {width}×{height} điểm ảnh vượt giới hạn {MAX_PIXELS:,} điểm ảnh")]
    if min(width, height) < MIN_SIDE:
        return [PageProblem("too_small",
                            f"{width}×{height} px is too small to be a scanned page",
                            f"ảnh chỉ {width}×{height} điểm ảnh, quá nhỏ để là một trang quét (mỗi cạnh phải "
                            f"từ {MIN_SIDE} điểm ảnh); quét lại cả trang")]
    return []


def dpi_problems(dpi: float | None) -> list[PageProblem]:
    """No resolution recorded, or below :data:`MIN_DPI` (empty when acceptable)."""
    if not dpi:
        return [PageProblem("dpi_missing", "no resolution recorded in the file",
                            "ảnh không ghi độ phân giải (dpi); máy quét phải ghi dpi vào tệp")]
    if dpi < MIN_DPI:
        return [PageProblem("dpi_too_low", f"{dpi:g} dpi is below the {MIN_DPI} dpi minimum",
                            f"độ phân giải {dpi:g} dpi, thấp hơn mức tối thiểu {MIN_DPI} dpi")]
    return []


def colour_class(mode: str) -> str:
    """``color``, ``grayscale``, ``bitonal`` or ``palette`` (any mode not listed: fewer than 24 bits of colour)."""
    return COLOUR_MODES.get(mode, "palette")


def colour_problems(mode: str) -> list[PageProblem]:
    """A palette (or otherwise unlisted) mode is below 24-bit colour (empty when acceptable)."""
    if mode in COLOUR_MODES:
        return []
    return [PageProblem("color_depth", f"colour mode {mode} has fewer than 24 bits of colour",
                        f"chế độ màu {mode} (màu bảng 8 bit) thấp hơn mức tối thiểu 24 bit; quét lại ở chế độ "
                        "màu RGB")]


def header_problems(width: int, height: int, dpi: float | None, mode: str) -> list[PageProblem]:
    """Every rule that can be judged from a page's header: size, resolution, colour."""
    return [*size_problems(width, height), *dpi_problems(dpi), *colour_problems(mode)]
