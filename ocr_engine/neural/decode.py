"""CTC decoding of the recogniser's output frames.

:func:`greedy_decode` takes the best class per frame, collapses repeats and drops blanks. It also returns,
per character, the frames it spans and its probability, from which the engine derives word boxes (split at
spaces) and word confidences. A beam search rescored by a syllable language model (issue 15, step 4) plugs in
as another function with the same signature: :data:`DECODERS`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import charset


@dataclass(frozen=True)
class Decoded:
    """One line's reading: text, per-character first/last frame (inclusive) and probability."""
    text: str
    spans: tuple[tuple[int, int], ...]
    probs: tuple[float, ...]


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def greedy_decode(logits: np.ndarray) -> tuple[str, Decoded]:
    """Best path of one line's (frames, classes) logits → (text, :class:`Decoded`)."""
    if logits.ndim != 2 or logits.shape[0] == 0:
        return "", Decoded("", (), ())
    probs = softmax(logits.astype(np.float32))
    best = probs.argmax(-1)
    chars, spans, char_probs = [], [], []
    prev = charset.BLANK
    for t, k in enumerate(best):
        k = int(k)
        if k != charset.BLANK and k != prev:
            chars.append(charset.CHARS[k - 1])
            spans.append([t, t])
            char_probs.append(float(probs[t, k]))
        elif k != charset.BLANK and k == prev:
            spans[-1][1] = t
            char_probs[-1] = max(char_probs[-1], float(probs[t, k]))
        prev = k
    text = "".join(chars)
    return text, Decoded(text, tuple(tuple(s) for s in spans), tuple(char_probs))


DECODERS = {"greedy": greedy_decode}  # the place for "beam" (+ syllable LM) later
