"""Where processing writes in the ``derivatives`` bucket, and how files are named (TT 05/2025).

Per page: ``<ma_ho_so>/ocr/<page:04d>.<kind>`` with kind ``txt``, ``alto.xml``, ``json`` (QC and timings) and
``words.json`` (lines, words, boxes — what the PDF text layer is built from). Per văn bản: the two-layer
PDF/A ``<ma_ho_so>/<ma_ho_so>.<STT:02d>.pdf`` — TT 05's file name ``<mã hồ sơ>.<STT tài liệu>``.
"""
from __future__ import annotations

CONTENT_TYPES = {"txt": "text/plain; charset=utf-8", "alto.xml": "application/xml",
                 "json": "application/json", "words.json": "application/json", "pdf": "application/pdf"}


def derivative(ma_ho_so: str, so_trang: int, kind: str) -> str:
    return f"{ma_ho_so}/ocr/{so_trang:04d}.{kind}"


def pdf_name(ma_ho_so: str, stt: int) -> str:
    """``<mã hồ sơ>.<STT>.pdf``, STT zero-padded to two digits."""
    return f"{ma_ho_so}.{stt:02d}.pdf"


def pdf_key(ma_ho_so: str, stt: int) -> str:
    return f"{ma_ho_so}/{pdf_name(ma_ho_so, stt)}"
