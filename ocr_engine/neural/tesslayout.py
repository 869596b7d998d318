"""Tesseract's line boxes without its reading: ``TessBaseAPIAnalyseLayout`` through libtesseract's C API.

The ``tesseract`` CLI cannot stop after layout analysis (``--psm 2`` prints the orientation, not the boxes), so
engine ``neural`` ran a full recognition per page only to throw the words away. Layout analysis alone is the
first stage of the same library (Debian ``libtesseract5``, which ``tesseract-ocr`` depends on): the same
blocks and lines; line boxes equal or a few pixels apart (the CLI's are recomputed from the recognised
words) and word extents from the layout's word split, which recognition sometimes splits differently. On 11
broad-suite pages it took 9.7 s of CPU against 22.7 s for the CLI's psm 3 TSV (0.1–0.3 s against 0.6–2 s
on most pages; a noisy heavy page 5.2 against 7.9).

In process: no subprocess timeout of its own (the ``recognize`` worker's per-page timeout still applies).
An API handle serves one page at a time (handles are not thread-safe); handles are cleared after each page
and kept for the next, as many as pages were ever read at once, and freed at exit. :func:`available` is
False where libtesseract or the language cannot be loaded; the engine then runs the CLI as before.
"""
from __future__ import annotations

import atexit
import ctypes
import ctypes.util
import functools
import threading

import numpy as np

from ..engines.tesseract import TsvLine
from ..model import Box

LIBRARY = "libtesseract.so.5"  # Debian bookworm's libtesseract5 (tesseract 5.3)
RIL_BLOCK, RIL_PARA, RIL_TEXTLINE, RIL_WORD = 0, 1, 2, 3  # tesseract::PageIteratorLevel


@functools.lru_cache(maxsize=1)
def _lib() -> ctypes.CDLL | None:
    for name in (LIBRARY, ctypes.util.find_library("tesseract")):
        if not name:
            continue
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            continue
        vp, c_int, p_int = ctypes.c_void_p, ctypes.c_int, ctypes.POINTER(ctypes.c_int)
        signatures = {
            "TessBaseAPICreate": ([], vp),
            "TessBaseAPIDelete": ([vp], None),
            "TessBaseAPIInit3": ([vp, ctypes.c_char_p, ctypes.c_char_p], c_int),
            "TessBaseAPISetVariable": ([vp, ctypes.c_char_p, ctypes.c_char_p], c_int),
            "TessBaseAPISetPageSegMode": ([vp, c_int], None),
            "TessBaseAPISetImage": ([vp, ctypes.c_char_p, c_int, c_int, c_int, c_int], None),
            "TessBaseAPISetSourceResolution": ([vp, c_int], None),
            "TessBaseAPIAnalyseLayout": ([vp], vp),
            "TessBaseAPIClear": ([vp], None),
            "TessPageIteratorDelete": ([vp], None),
            "TessPageIteratorNext": ([vp, c_int], c_int),
            "TessPageIteratorIsAtBeginningOf": ([vp, c_int], c_int),
            "TessPageIteratorBoundingBox": ([vp, c_int, p_int, p_int, p_int, p_int], c_int),
        }
        try:
            for fn, (args, res) in signatures.items():
                getattr(lib, fn).argtypes, getattr(lib, fn).restype = args, res
        except AttributeError:
            continue
        return lib
    return None


_free_handles: dict[str, list[int]] = {}  # per language, handles not in use; a thread takes one per page
_handles: list[int] = []  # every handle made, freed at exit
_handles_lock = threading.Lock()


def _acquire(lang: str) -> int | None:
    """An API handle initialised for *lang*, for this thread alone until :func:`_release`; None when none
    can be made. Handles are reused across calls and threads: as many exist as pages were ever read at once."""
    with _handles_lock:
        free = _free_handles.setdefault(lang, [])
        if free:
            return free.pop()
    lib = _lib()
    api = lib.TessBaseAPICreate() if lib else None
    if api and lib.TessBaseAPIInit3(api, None, lang.encode()) != 0:
        lib.TessBaseAPIDelete(api)
        api = None
    if api:  # tprintf's progress notes ("Detected 1863 diacritics") would go to the worker's stderr
        lib.TessBaseAPISetVariable(api, b"debug_file", b"/dev/null")
        with _handles_lock:
            _handles.append(api)
    return api


def _release(lang: str, api: int) -> None:
    with _handles_lock:
        _free_handles.setdefault(lang, []).append(api)


@atexit.register
def _free() -> None:
    with _handles_lock:
        lib = _lib() if _handles else None
        for api in _handles:
            lib.TessBaseAPIDelete(api)
        _handles.clear()
        _free_handles.clear()


@functools.lru_cache(maxsize=8)
def available(lang: str = "vie") -> bool:
    """Whether layout analysis in process works here for *lang* (library found, language loads)."""
    api = _acquire(lang)
    if api is None:
        return False
    _release(lang, api)
    return True


def _box(lib, it, level: int) -> Box | None:
    v = [ctypes.c_int() for _ in range(4)]
    if not lib.TessPageIteratorBoundingBox(it, level, *(ctypes.byref(x) for x in v)):
        return None
    return Box(*(x.value for x in v))


def lines(pixels: np.ndarray, *, lang: str, psm: int, dpi: int) -> list[TsvLine]:
    """The text lines of a greyscale page as Tesseract's TSV would list them (same keys, line boxes and word
    extents), without words read. RuntimeError if libtesseract cannot be used (see :func:`available`)."""
    if pixels.ndim != 2 or pixels.dtype != np.uint8:
        raise ValueError(f"page must be 2-D uint8 greyscale, got {pixels.dtype} {pixels.shape}")
    lib, api = _lib(), _acquire(lang)
    if api is None:
        raise RuntimeError(f"libtesseract ({LIBRARY}) with language {lang!r} is not usable here")
    try:
        return _layout_lines(lib, api, np.ascontiguousarray(pixels), psm, dpi)
    finally:
        _release(lang, api)


def _layout_lines(lib, api: int, img: np.ndarray, psm: int, dpi: int) -> list[TsvLine]:
    h, w = img.shape
    lib.TessBaseAPISetPageSegMode(api, psm)
    lib.TessBaseAPISetImage(api, img.tobytes(), w, h, 1, w)
    lib.TessBaseAPISetSourceResolution(api, dpi)
    out: list[TsvLine] = []
    it = lib.TessBaseAPIAnalyseLayout(api)
    try:
        if not it:
            return out
        block = para = line = 0
        key, box, spans = None, None, []
        while True:
            if lib.TessPageIteratorIsAtBeginningOf(it, RIL_BLOCK):
                block, para, line = block + 1, 0, 0
            if lib.TessPageIteratorIsAtBeginningOf(it, RIL_PARA):
                para, line = para + 1, 0
            if lib.TessPageIteratorIsAtBeginningOf(it, RIL_TEXTLINE):
                if key is not None:
                    out.append(TsvLine(key, box, tuple(spans), ()))
                line += 1
                key, box, spans = (str(block), str(para), str(line)), _box(lib, it, RIL_TEXTLINE), []
            word = _box(lib, it, RIL_WORD)
            if word is not None:
                spans.append((word.x0, word.x1))
            if not lib.TessPageIteratorNext(it, RIL_WORD):
                break
        if key is not None:
            out.append(TsvLine(key, box, tuple(spans), ()))
        return out
    finally:
        if it:
            lib.TessPageIteratorDelete(it)
        lib.TessBaseAPIClear(api)
