"""Accuracy of recognised text against ground truth: CER, WER and diacritics-stripped CER.

Texts are compared after NFC normalisation with runs of whitespace collapsed and empty lines dropped, so
layout noise does not count as errors. Rates are pooled over pages (total edits / total length). Diacritics are
stripped by :func:`ocr_engine.textnorm.fold`.
"""
from __future__ import annotations

import unicodedata

from rapidfuzz.distance import Levenshtein

from .textnorm import fold


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    return "\n".join(" ".join(line.split()) for line in text.splitlines() if line.strip())


def error_counts(truth: str, hyp: str) -> dict[str, int]:
    """Edit distances and lengths for CER, WER and diacritics-stripped CER of one page."""
    t, h = normalise(truth), normalise(hyp)
    ts, hs = fold(t), fold(h)
    return {"char_edits": Levenshtein.distance(t, h), "chars": len(t),
            "word_edits": Levenshtein.distance(t.split(), h.split()), "words": len(t.split()),
            "plain_edits": Levenshtein.distance(ts, hs), "plain_chars": len(ts)}


def rates(counts: list[dict[str, int]]) -> dict[str, float]:
    """Pooled CER, WER and diacritics-stripped CER of several pages' :func:`error_counts`."""
    total = {k: sum(c[k] for c in counts) for k in counts[0]}
    return {"cer": total["char_edits"] / max(1, total["chars"]), "wer": total["word_edits"] / max(1, total["words"]),
            "cer_no_diacritics": total["plain_edits"] / max(1, total["plain_chars"])}
