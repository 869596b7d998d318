"""Helpers shared by the ocr_engine tests (a uniquely named module: tests/ has several conftests)."""
from __future__ import annotations

import unicodedata

SHORT = {"paragraphs": 1}  # a header, a title, one paragraph, a signer: about 12 lines


def cer(expected: str, got: str) -> float:
    """Character error rate over NFC text with lines joined by single newlines."""
    from rapidfuzz.distance import Levenshtein

    norm = lambda s: "\n".join(l.strip() for l in unicodedata.normalize("NFC", s).splitlines() if l.strip())
    a, b = norm(expected), norm(got)
    return Levenshtein.distance(a, b) / max(1, len(a))
