"""Wrapper for poppler's ``pdftotext`` (Debian poppler-utils), used to check text layers."""
from __future__ import annotations

from pathlib import Path

from . import decode_utf8, run


def pdftotext(path: Path, *, timeout: float = 120) -> str:
    """Text of every page of *path*, UTF-8, in content-stream order (``-raw``)."""
    out = run(["pdftotext", "-raw", "-enc", "UTF-8", str(path), "-"], what=str(path), timeout=timeout)
    return decode_utf8(out, what=str(path))
