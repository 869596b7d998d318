"""Where processing writes in the ``derivatives`` bucket, and how files are named (TT 05/2025).

Per page: ``<ma_ho_so>/ocr/<page:04d>.<kind>`` with kind ``txt``, ``alto.xml``, ``json`` (QC and timings) and
``words.json`` (lines, words, boxes — what the PDF text layer is built from). Per văn bản: the two-layer
PDF/A ``<ma_ho_so>/<ma_ho_so>.<STT:02d>.pdf`` — TT 05's file name ``<mã hồ sơ>.<STT tài liệu>``.

A page's text as corrected by an archivist (version 2 on; version 1 is OCR's, above):
``<ma_ho_so>/ocr/<page:04d>.v<version:03d>.<kind>`` for kinds ``txt``, ``alto.xml`` and ``words.json``. The page
viewer's downscaled image of a master: ``<ma_ho_so>/view/<page:04d>-<master SHA-256, 16 hex>[-r<turn>].jpg``.
"""
from __future__ import annotations

CONTENT_TYPES = {"txt": "text/plain; charset=utf-8", "alto.xml": "application/xml",
                 "json": "application/json", "words.json": "application/json", "pdf": "application/pdf",
                 "jpg": "image/jpeg"}


def derivative(ma_ho_so: str, so_trang: int, kind: str) -> str:
    return f"{ma_ho_so}/ocr/{so_trang:04d}.{kind}"


def pdf_name(ma_ho_so: str, stt: int) -> str:
    """``<mã hồ sơ>.<STT>.pdf``, STT zero-padded to two digits."""
    return f"{ma_ho_so}.{stt:02d}.pdf"


def pdf_key(ma_ho_so: str, stt: int) -> str:
    return f"{ma_ho_so}/{pdf_name(ma_ho_so, stt)}"


def text_version(ma_ho_so: str, so_trang: int, version: int, kind: str) -> str:
    """Where version ``version`` (≥ 2) of a page's corrected text is stored, per kind."""
    return f"{ma_ho_so}/ocr/{so_trang:04d}.v{version:03d}.{kind}"


def rendition(ma_ho_so: str, so_trang: int, master_sha256: str, rotate: int = 0) -> str:
    """The page viewer's downscaled JPEG of a master (a replaced master gets a new one), as scanned or turned
    ``rotate`` degrees clockwise (``-r<rotate>``)."""
    return f"{ma_ho_so}/view/{so_trang:04d}-{master_sha256[:16]}{f'-r{rotate}' if rotate else ''}.jpg"
