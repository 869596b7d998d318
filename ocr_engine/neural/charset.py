"""The recogniser's character set: every Vietnamese letter in both cases, digits, and the punctuation and
symbols of administrative documents (NĐ 30/2020), plus the rest of printable ASCII.

Index 0 of the model's output is the CTC blank; character ``i`` of :data:`CHARS` is output ``i + 1``.
:data:`CHARSET_VERSION` is a digest of :data:`CHARS`: a model trained on another character set is refused
(its outputs would spell the wrong letters).
"""
from __future__ import annotations

import hashlib
import string
import unicodedata

_VOWELS = "aăâeêioôơuưy"
_TONES = ("", "\u0300", "\u0309", "\u0303", "\u0301", "\u0323")  # none, huyền, hỏi, ngã, sắc, nặng
_VIETNAMESE_LOWER = sorted({unicodedata.normalize("NFC", v + t) for v in _VOWELS for t in _TONES} | {"đ"})
_PUNCTUATION = "–—“”‘’…•·°§№€×÷±≤≥→«»"  # beyond ASCII: dashes, curly quotes, ellipsis, bullets, §, №, °

CHARS: str = "".join(dict.fromkeys(
    " " + string.digits + string.ascii_lowercase + string.ascii_uppercase
    + "".join(_VIETNAMESE_LOWER) + "".join(c.upper() for c in _VIETNAMESE_LOWER)
    + string.punctuation + _PUNCTUATION))
CHARSET_VERSION: str = hashlib.sha256(CHARS.encode("utf-8")).hexdigest()[:12]
BLANK = 0
INDEX = {c: i + 1 for i, c in enumerate(CHARS)}
NUM_CLASSES = len(CHARS) + 1  # + the CTC blank

_FOLD = str.maketrans({"\u00d0": "Đ", "\u00f0": "đ", "\u00a0": " ", "\t": " ", "\u2011": "-", "\u2010": "-",
                       "\u2212": "-", "\u201e": "“", "\u00b4": "’", "\u02bc": "’"})


def normalise_text(text: str) -> str:
    """NFC, look-alikes folded to the character set's spelling, runs of spaces collapsed."""
    return " ".join(unicodedata.normalize("NFC", text.translate(_FOLD)).split())


def encode(text: str) -> list[int]:
    """Class indices of *text* (already :func:`normalise_text`-ed); KeyError on a character outside the set."""
    return [INDEX[c] for c in text]


def encodable(text: str) -> bool:
    return all(c in INDEX for c in text)


def decode(indices) -> str:
    """Text of class indices that are already collapsed (no blanks, no CTC repeats)."""
    return "".join(CHARS[i - 1] for i in indices if i != BLANK)
