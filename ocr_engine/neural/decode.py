"""CTC decoding of the recogniser's output frames.

:func:`greedy_decode` takes the best class per frame, collapses repeats and drops blanks. It also returns,
per character, the frames it spans and its probability, from which the engine derives word boxes (split at
spaces) and word confidences. :func:`beam_decode` is a CTC prefix beam search whose words are scored by the
syllable language model (:mod:`ocr_engine.lm`) as they are completed. Decoders are chosen by name: :data:`DECODERS`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import charset
from .. import lm as syllable_lm


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


BEAM_WIDTH = 8  # prefixes kept per frame
BEAM_PRUNE = 1e-3  # a class less likely than this at a frame is not tried there (frames are peaky: 1-3 classes)
MAX_TRIED = 16  # nor is one below the frame's 16 likeliest: a flat frame of speckle offered up to 250 classes
#   to 8 beams (a fresh augraphy page, its re-reads included: 50 → 38 s of beam). 40 tuning pages, non-dirt lines:
#   16 changed no reading and took the beam 11.7 → 3.2 s (all 993 lines); 8 changed 5 junk lines (2.8 s)
LM_WEIGHT = 0.5  # weight of the syllable LM's log-probability of each completed word, against the CTC's, and
WORD_BONUS = 2.0  # a bonus per completed word, so that the LM's cost per word does not favour merging words.
#   Chosen on the training run's validation lines (306, eval text × eval-only fonts × 3 damage levels; model step
#   6537), line CER % greedy → beam: all 3.19 → 2.44 (clean 1.08 → 0.51, mild 1.19 → 0.35, heavy 7.64 → 6.79);
#   0.3/1.0 gave 2.50, 0.7/3.5 2.42, 1.0/3.5 2.67; no LM (0/0) 3.14. Reported on other lines (the same text
#   pool, images passed through even_ink): 5.56 → 4.72 (clean 1.02 → 0.47, mild 1.69 → 0.86). 3-5 ms a line
DIRT_PROB = 0.5  # a line whose best path's mean character probability is below this is dirt read as text:
#   engine neural drops it, so the beam does not search it. Such lines (speckle, rules, a turned page's
#   columns) have flat frames with tens of classes to try and took 73 % of the beam's time on 40 tuning
#   pages (195 of 993 lines); not one of them came out of the beam at or above this mean. Nor is a line whose
#   best path reads nothing: a sliver of a rule squeezed to 1,024 frames took 0.25 s of beam to read nothing
#   (80 of a fresh augraphy page's 109 lines: its beam 11.7 → 0.1 s); it read nothing on all 60 tuning lines
SPACE = charset.INDEX[" "]


@dataclass
class _Beam:
    blank: float  # probability of the prefix ending in a blank (rescaled per frame)
    char: float  # ... ending in its last character
    lm: float  # LM weight × log-probability of its completed words, + WORD_BONUS each
    prev: str  # the LM token of the last completed word
    last: int  # class of the last character (0 when none)
    spans: tuple | None  # per character (first frame, last frame, probability), as a linked list, last first:
    #   (the spans before it, the last one); extending a prefix then costs the same at any length

    def score(self) -> float:
        total = self.blank + self.char
        return (math.log(total) if total > 0 else -1e30) + self.lm


def _word_score(model, text: str, prev: str) -> tuple[float, str]:
    """(weighted LM score, new context) for the last word of *text*."""
    word = text.rsplit(" ", 1)[-1]
    tok = syllable_lm.token(word) if word else None
    if tok is None:
        return 0.0, prev
    logprob = syllable_lm.BAD_LOGPROB if tok == syllable_lm.BAD else math.log(model.prob(tok, prev))
    return LM_WEIGHT * logprob + WORD_BONUS, (tok if tok != syllable_lm.BAD else syllable_lm.BOS)


def beam_decode(logits: np.ndarray, model: syllable_lm.SyllableLM | None = None) -> tuple[str, Decoded]:
    """CTC prefix beam search (:data:`BEAM_WIDTH`) over one line's (frames, classes) logits, each word scored by
    the syllable LM when the space after it (or the line's end) is reached → (text, :class:`Decoded`). A frame
    extends the beams with its :data:`MAX_TRIED` likeliest classes at most, and none below :data:`BEAM_PRUNE`;
    of a run of frames where only the blank reaches that, only the first counts (the others would rescale every
    beam alike, which changes no ranking). A line whose best path reads nothing or is dirt (:data:`DIRT_PROB`)
    is returned as that path, unsearched."""
    if logits.ndim != 2 or logits.shape[0] == 0:
        return "", Decoded("", (), ())
    best = greedy_decode(logits)
    if not best[1].probs or sum(best[1].probs) < DIRT_PROB * len(best[1].probs):
        return best
    model = model or syllable_lm.shared()
    probs = softmax(logits.astype(np.float32))
    tried = probs >= BEAM_PRUNE
    sure_blank = tried[:, charset.BLANK] & (tried.sum(-1) == 1)
    beams = {"": _Beam(1.0, 0.0, 0.0, syllable_lm.BOS, 0, None)}
    for t in range(probs.shape[0]):
        if t and sure_blank[t] and sure_blank[t - 1]:
            continue
        row = probs[t]
        candidates = np.flatnonzero(tried[t])
        if len(candidates) > MAX_TRIED:
            candidates = np.sort(candidates[np.argsort(-row[candidates], kind="stable")[:MAX_TRIED]])
        nxt: dict[str, _Beam] = {}

        def add(text: str, parent: _Beam, blank: float, char: float, lm_score: float, prev: str, last: int,
                spans: tuple | None) -> None:
            have = nxt.get(text)
            if have is None:
                nxt[text] = _Beam(blank, char, lm_score, prev, last, spans)
                return
            if char > have.char and spans is not have.spans:
                have.spans = spans
            have.blank += blank
            have.char += char

        for text, beam in beams.items():
            total = beam.blank + beam.char
            for k in candidates:
                k = int(k)
                p = float(row[k])
                if k == charset.BLANK:
                    add(text, beam, total * p, 0.0, beam.lm, beam.prev, beam.last, beam.spans)
                    continue
                if k == beam.last:  # the same character again: continues it unless a blank came between
                    before, (a, _, q) = beam.spans
                    add(text, beam, 0.0, beam.char * p, beam.lm, beam.prev, k, (before, (a, t, max(q, p))))
                    if beam.blank == 0.0:
                        continue
                    grow = beam.blank * p
                else:
                    grow = total * p
                lm_score, prev = beam.lm, beam.prev
                if k == SPACE and text and not text.endswith(" "):
                    gain, prev = _word_score(model, text, prev)
                    lm_score += gain
                add(text + charset.CHARS[k - 1], beam, 0.0, grow, lm_score, prev, k, (beam.spans, (t, t, p)))
        ranked = sorted(nxt.items(), key=lambda kv: kv[1].score(), reverse=True)[:BEAM_WIDTH]
        scale = max(b.blank + b.char for _, b in ranked) or 1.0
        beams = {}
        for text, beam in ranked:
            beam.blank /= scale
            beam.char /= scale
            beams[text] = beam

    def final(item: tuple[str, _Beam]) -> float:
        text, beam = item
        return beam.score() + (_word_score(model, text, beam.prev)[0] if text and not text.endswith(" ") else 0.0)

    text, beam = max(beams.items(), key=final)
    spans, node = [], beam.spans
    while node is not None:
        node, span = node
        spans.append(span)
    spans.reverse()
    return text, Decoded(text, tuple((a, b) for a, b, _ in spans), tuple(q for _, _, q in spans))


DECODERS = {"greedy": greedy_decode, "beam": beam_decode}
