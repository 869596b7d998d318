"""Vietnamese text helpers shared by extraction and search: NFC, Đ/Ð, and diacritics folding."""
from __future__ import annotations

import unicodedata

_ETH_TO_DSTROKE = str.maketrans({"\u00d0": "\u0110"})  # Ð (Icelandic eth) is an OCR/encoding confusion for Đ


def nfc(text: str) -> str:
    """NFC-normalise and map Ð U+00D0 to Đ U+0110."""
    return unicodedata.normalize("NFC", text).translate(_ETH_TO_DSTROKE)


def _fold_char(ch: str) -> str:
    if ch in "đĐ":
        return "d" if ch == "đ" else "D"
    base = unicodedata.normalize("NFD", ch)[0]
    return base if base.isascii() else ch


def fold(text: str) -> str:
    """Strip diacritics one character at a time: ``len(fold(s)) == len(nfc(s))``, so offsets carry over.

    ``fold("Số: 15/QĐ-UBND") == "So: 15/QD-UBND"``.
    """
    return "".join(_fold_char(ch) for ch in nfc(text))
