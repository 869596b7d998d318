"""Vietnamese text normalisation, one implementation for the OCR engine and the archive (``sohoa.vntext``).

:func:`normalize_text` is applied to everything an engine returns and to every text the archive indexes or
extracts from; :func:`fold` strips diacritics for matching, search and diacritics-blind error rates.
"""
import unicodedata

_FIXES = str.maketrans({
    "\u00d0": "\u0110",  # Ð (Icelandic eth) is what engines emit for Đ
    "\u00f0": "\u0111",  # ð -> đ
    "\u2044": "/",  # ⁄ (fraction slash): Tesseract's vie model reads the '/' of dates and numbers as it
    "\u2215": "/",  #   ("5⁄2025", "08⁄3/⁄2016"; tuning seeds: 11 in 9 readings, never in a page's text); ∕ likewise
})


def normalize_text(text: str) -> str:
    """Return *text* in NFC with eth look-alikes mapped to Vietnamese Đ/đ and slash look-alikes to '/'.

    Idempotent; never changes the number of visible words.
    """
    return unicodedata.normalize("NFC", text.translate(_FIXES))


def _fold_char(ch: str) -> str:
    if ch in "đĐ":
        return "d" if ch == "đ" else "D"
    base = unicodedata.normalize("NFD", ch)[0]
    return base if base.isascii() else ch


def fold(text: str) -> str:
    """Strip diacritics one character at a time: ``len(fold(s)) == len(normalize_text(s))``, so offsets carry
    over. A letter whose base is not ASCII, and a combining mark left on its own, are kept.

    ``fold("Số: 15/QĐ-UBND") == "So: 15/QD-UBND"``.
    """
    return "".join(_fold_char(ch) for ch in normalize_text(text))
