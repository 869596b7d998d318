"""Wrapper for the ``tesseract`` binary (Debian tesseract-ocr + tesseract-ocr-vie).

Images go in on stdin as PGM, TSV comes out on stdout: no temporary files. Each call is one
process limited to one OpenMP thread (``OMP_THREAD_LIMIT=1``); parallelism is across pages.
"""
from __future__ import annotations

import functools
import re

from . import decode_utf8, run
from ..errors import EngineError, EngineUnavailable

PROGRAM = "tesseract"
ENV = {"OMP_THREAD_LIMIT": "1"}


@functools.cache
def version() -> str:
    """Version string of the installed tesseract, e.g. ``5.3.0``; EngineUnavailable if absent."""
    out = run([PROGRAM, "--version"], what="tesseract --version", timeout=30, env=ENV)
    match = re.search(rb"tesseract v?(\d[\w.\-]*)", out)
    if not match:
        raise EngineUnavailable(f"cannot parse tesseract version from {out[:80]!r}")
    return match.group(1).decode()


@functools.cache
def languages() -> frozenset[str]:
    """Installed traineddata names."""
    out = run([PROGRAM, "--list-langs"], what="tesseract --list-langs", timeout=30, env=ENV)
    return frozenset(line.strip() for line in out.decode().splitlines()[1:] if line.strip())


def tsv(image: bytes, *, what: str, lang: str, psm: int, dpi: int, timeout: float,
        program: str = PROGRAM) -> str:
    """Recognise one encoded image (PGM/PNG bytes) with LSTM (``--oem 1``); return TSV text."""
    args = [program, "stdin", "stdout", "-l", lang, "--oem", "1", "--psm", str(psm),
            "--dpi", str(dpi), "-c", "tessedit_create_tsv=1"]
    return decode_utf8(run(args, what=what, timeout=timeout, stdin=image, env=ENV), what=what)


def osd(image: bytes, *, what: str, dpi: int, timeout: float, program: str = PROGRAM) -> dict | None:
    """Tesseract's orientation and script detection (``--psm 0``, Debian tesseract-ocr-osd) of one
    encoded image: ``{"rotate": clockwise degrees that make it upright, "confidence": float,
    "script": str}``, or None when it finds too little text to say (it then exits non-zero)."""
    if "osd" not in languages():
        return None
    args = [program, "stdin", "stdout", "--psm", "0", "--dpi", str(dpi)]
    try:
        out = decode_utf8(run(args, what=what, timeout=timeout, stdin=image, env=ENV), what=what)
    except EngineError:
        return None  # "Too few characters. Skipping this page": no verdict, not a failure
    rotate = re.search(r"Rotate:\s*(\d+)", out)
    confidence = re.search(r"Orientation confidence:\s*([\d.]+)", out)
    script = re.search(r"Script:\s*(\S+)", out)
    if not (rotate and confidence):
        return None
    return {"rotate": int(rotate.group(1)) % 360, "confidence": float(confidence.group(1)),
            "script": script.group(1) if script else None}
