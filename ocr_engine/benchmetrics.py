"""Benchmark figures beyond :mod:`ocr_engine.metrics`: diacritic errors and rank correlation.

Diacritic error rate: over an optimal character alignment of the (normalised) truth and reading,
the substitutions whose two letters are the same letter once tone marks, vowel marks and the bar
of đ are stripped (``ế`` read as ``é`` or ``e``, ``đ`` as ``d``), divided by the truth's characters.
It counts only what went wrong in the marks, where ``CER − CER without diacritics`` would also
move with insertions and deletions. Also given over the truth's marked characters only.
"""
from __future__ import annotations

import numpy as np
from rapidfuzz.distance import Levenshtein

from .metrics import normalise
from .textnorm import fold


def diacritic_counts(truth: str, hyp: str) -> dict[str, int]:
    """``diacritic_errors``, ``chars`` and ``marked_chars`` (truth characters carrying a mark) of one page."""
    t, h = normalise(truth), normalise(hyp)
    errors = 0
    for op in Levenshtein.editops(t, h):
        if op.tag == "replace":
            a, b = t[op.src_pos], h[op.dest_pos]
            errors += fold(a) == fold(b)
    marked = sum(1 for c in t if fold(c) != c)
    return {"diacritic_errors": errors, "chars": len(t), "marked_chars": marked}


def diacritic_rates(counts: list[dict[str, int]]) -> dict[str, float]:
    """Pooled diacritic error rate over all characters and over marked characters."""
    errors = sum(c["diacritic_errors"] for c in counts)
    return {"diacritic_error_rate": errors / max(1, sum(c["chars"] for c in counts)),
            "diacritic_error_rate_marked": errors / max(1, sum(c["marked_chars"] for c in counts))}


def ranks(values) -> np.ndarray:
    """Ranks from 1, ties given their average rank."""
    x = np.asarray(values, dtype=float)
    order = np.argsort(x, kind="mergesort")
    sorted_x = x[order]
    out = np.empty(len(x))
    start = 0
    while start < len(x):
        end = start
        while end + 1 < len(x) and sorted_x[end + 1] == sorted_x[start]:
            end += 1
        out[order[start:end + 1]] = (start + end) / 2 + 1
        start = end + 1
    return out


def spearman(a, b) -> float | None:
    """Spearman's rank correlation of two equal-length sequences; None when undefined (fewer than
    3 pairs, or one side constant)."""
    if len(a) != len(b):
        raise ValueError(f"spearman needs equal lengths, got {len(a)} and {len(b)}")
    if len(a) < 3:
        return None
    ra, rb = ranks(a), ranks(b)
    if ra.std() == 0 or rb.std() == 0:
        return None
    return float(np.corrcoef(ra, rb)[0, 1])
