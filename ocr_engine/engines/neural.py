"""The ``neural`` engine: Tesseract finds the lines, our CRNN (:mod:`ocr_engine.neural`) reads them.

Per batch of pages: Tesseract's layout analysis (psm 3, or 6 on a line sheet; TSV, ``jobs`` pages at a
time) gives each page's line boxes (cut at column-wide gaps); every line piece is cropped with extra room above for the tone marks
(:data:`TOP_PAD`) and all lines of all pages are read in one width-sorted, batched pass through ONNX
Runtime, so on a GPU one call keeps the device busy. Word boxes come from the CTC alignment split at
spaces; a word's confidence is the geometric mean of its characters' probabilities.

Engine ``neural`` asks libtesseract for the layout alone, in process (:mod:`ocr_engine.neural.tesslayout`:
the CLI cannot stop after layout analysis and would recognise the page only for the reading to be thrown
away); where libtesseract cannot be loaded, or with option ``layout=cli``, it runs the CLI's TSV as engine
``auto`` always does, since auto compares Tesseract's reading with the recogniser's.
"""
from __future__ import annotations

import difflib
import math
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np

from . import OcrEngine, finish_lines, normalised, register, tesseract
from .. import lm as lm_module
from .._exec import tesseract as tess
from ..errors import EngineError, EngineUnavailable, ModelError
from ..layout import GAP_FACTOR
from ..model import Box, Line, PageImage, PageText, Word
from ..neural import decode, infer, tesslayout

PSM_AUTO, PSM_BLOCK = 3, 6  # as engines.tesseract: NĐ 30 pages need psm 3; a line sheet psm 6
TOP_PAD = 0.12  # of the line box's height: Tesseract's boxes cut into stacked tone marks (issue 15: pad 10–15 %)
BOTTOM_PAD = 0.04
SIDE_PAD = 0.25  # of the height: training crops had 0–0.5 em of paper at either end
MIN_LINE_PX = 6  # a box lower than this is a rule or a speck, not text
NOISE_LINE_CONF = decode.DIRT_PROB  # a line whose mean character probability is below this is dirt read as text
MISSING_LOGPROB = -10.0  # engine auto: cost of a token one reading lacks and the other has, and the mean
SWITCH_MARGIN = 0.0  # log-probability per token the recogniser's reading must win by. Tuning seeds (141 pages):
#   costs -6/-10/-14 and margins -0.5 to 2 moved the CER of the per-line choice by ±0.1 (30.38 % at these)


def line_boxes(tsv_text: str, *, what: str) -> list[list[Box]]:
    """Text lines of one page from Tesseract TSV, in its order; each line as one or more pieces
    (:func:`pieces`). EngineError if the text is not TSV."""
    return [p for line in tesseract.tsv_lines(tsv_text, what=what) if (p := pieces(line))]


def pieces(line: tesseract.TsvLine) -> list[Box]:
    """The pieces of one TSV line to read, or none when its box is a rule or a speck (:data:`MIN_LINE_PX`).

    A line is cut where its words (level 5) leave a gap wider than :data:`~ocr_engine.layout.GAP_FACTOR`
    line heights: Tesseract joins the side-by-side blocks of an NĐ 30 header into one line, and the CRNN,
    which never saw such a gap, may read it as no space at all. Each piece spans the line's height (level
    4) and its words' width.
    """
    box = line.box
    if box is None or box.height < MIN_LINE_PX or box.width < MIN_LINE_PX:
        return []
    out, x0, x1 = [], None, None
    for a, b in sorted(line.spans or [(box.x0, box.x1)]):
        if x1 is not None and a - x1 > GAP_FACTOR * box.height:
            out.append(Box(x0, box.y0, x1, box.y1))
            x0 = None
        x0, x1 = (a if x0 is None else x0), (b if x1 is None else max(x1, b))
    out.append(Box(x0, box.y0, x1, box.y1))
    return out


def crop_line(pixels: np.ndarray, box: Box) -> tuple[np.ndarray, Box]:
    """The padded crop of *box* (clipped to the page) and the box it covers."""
    h = box.y1 - box.y0
    page_h, page_w = pixels.shape[:2]
    x0 = max(0, box.x0 - round(SIDE_PAD * h))
    x1 = min(page_w, box.x1 + round(SIDE_PAD * h))
    y0 = max(0, box.y0 - round(TOP_PAD * h))
    y1 = min(page_h, box.y1 + round(BOTTOM_PAD * h))
    return pixels[y0:y1, x0:x1], Box(x0, y0, x1, y1)


def words_of(reading: infer.LineReading, crop_box: Box, line_box: Box) -> list[Word]:
    """Words of a line reading with page coordinates, split at spaces of the CTC alignment."""
    words, chars, xs, probs = [], [], [], []

    def flush() -> None:
        if chars:
            x0 = crop_box.x0 + int(xs[0][0])
            x1 = crop_box.x0 + int(math.ceil(xs[-1][1]))
            conf = math.exp(sum(math.log(max(p, 1e-6)) for p in probs) / len(probs))
            words.append(Word("".join(chars), Box(x0, line_box.y0, max(x1, x0 + 1), line_box.y1), round(conf, 4)))
            chars.clear(), xs.clear(), probs.clear()

    for ch, span, p in zip(reading.text, reading.char_x, reading.char_probs):
        if ch == " ":
            flush()
        else:
            chars.append(ch)
            xs.append(span)
            probs.append(p)
    flush()
    return words


RULE_CHARS = frozenset("1Il|[]!()/\\")  # what a table's vertical rule inside a line crop reads as


def off_rules(words: list[Word], spans: Sequence[tuple[int, int]]) -> list[Word]:
    """*words* without the ones made only of :data:`RULE_CHARS` that lie wholly outside every word box
    Tesseract's layout analysis found on the line (*spans*, read or not): a table's vertical rules, which the
    recogniser reads as "1" or "[" (tuning seeds: table rows "356/TTr-SNV [Bộ phận ... 53 1 50 năm") and
    Tesseract's layout does not take for words. A "1" Tesseract saw as a word keeps its span and stays.
    Tuning seeds, 72 pages (every fourth of 0-299): engine neural clean 0.583 → 0.509, mild 0.691 → 0.632, JPEG 0.256
    → 0.224 % CER (5 pages better, 1 worse by a character); engine auto clean 0.281 → 0.223, mild 0.226 → 0.203, JPEG
    0.252 → 0.228 (the tesseract engine: 0.212 / 0.215 / 0.244), augraphy 34.01 → 34.35 (one junk page whose header
    blocks were cut differently)."""
    if not spans:
        return words
    return [w for w in words if not (set(w.text) <= RULE_CHARS
                                     and all(w.box.x1 <= a or w.box.x0 >= b for a, b in spans))]


@register
class NeuralEngine(OcrEngine):
    """Options: ``model_dir`` (default: the shipped ``ocr_engine/data/neural``), ``threads`` (ONNX Runtime
    intra-op threads, default 1), ``precision`` (``auto``: int8 on CPU, fp32 on CUDA; or ``fp32``, ``int8``),
    ``lang`` for Tesseract's layout pass (default ``vie``), ``layout`` (``auto``: layout analysis alone in
    process where libtesseract loads; ``cli``: the CLI's TSV, layout and reading)."""
    name = "neural"
    layout_only = True  # Tesseract's reading is not needed: take its layout alone where libtesseract allows

    def __init__(self, *, model_dir: str | Path | None = None, threads: int = 1, precision: str = "auto",
                 lang: str = "vie", layout: str = "auto", **options) -> None:
        super().__init__(**options)
        if precision not in infer.PRECISIONS:
            raise EngineUnavailable(f"engine {self.name}: precision must be one of "
                                    f"{', '.join(infer.PRECISIONS)}, got {precision!r}")
        if layout not in ("auto", "cli"):
            raise EngineUnavailable(f"engine {self.name}: layout must be auto or cli, got {layout!r}")
        self.model_dir = str(model_dir) if model_dir else None
        self.threads = int(threads)  # CLI options arrive as strings
        self.precision = precision
        self.lang = lang
        self.layout = layout

    def _in_process(self) -> bool:
        return self.layout_only and self.layout == "auto" and tesslayout.available(self.lang)

    def _recogniser(self) -> infer.Recogniser:
        try:
            return infer.shared(self.model_dir, self.threads, self.precision)
        except ModelError as exc:
            raise EngineUnavailable(f"engine neural: {exc}") from exc

    def version(self) -> str:
        tess.version()
        how = "layout analysis by libtesseract" if self._in_process() else "lines by tesseract"
        return f"neural {self._recogniser().version}; {how} {tess.version()}"

    def _layout(self, page: PageImage) -> list[tesseract.TsvLine] | EngineError:
        """Tesseract's lines of *page* (from the CLI's TSV also its reading of them), or the page's error."""
        if self._in_process():
            return tesslayout.lines(page.pixels, lang=self.lang, psm=PSM_BLOCK if page.lines_only else PSM_AUTO,
                                    dpi=int(round(page.dpi)))
        ok, pgm = cv2.imencode(".pgm", page.pixels)
        if not ok:
            return EngineError(f"{page.page_id}: cannot encode page for tesseract")
        try:
            text = tess.tsv(pgm.tobytes(), what=page.page_id, lang=self.lang,
                            psm=PSM_BLOCK if page.lines_only else PSM_AUTO, dpi=int(round(page.dpi)),
                            timeout=self.timeout)
            return tesseract.tsv_lines(text, what=page.page_id)
        except EngineUnavailable:
            raise
        except EngineError as exc:
            return exc

    def _read(self, pages: Sequence[PageImage]) -> tuple[list[list[tesseract.TsvLine] | EngineError],
                                                          list[dict[int, list[Word] | None]]]:
        """Layout of every page, and per page the recogniser's words per TSV line index — None for a line read
        as dirt (mean character probability below :data:`NOISE_LINE_CONF`); all lines in one batched pass."""
        with ThreadPoolExecutor(max_workers=max(1, min(self.jobs, len(pages)))) as pool:
            layouts = list(pool.map(self._layout, pages))
        crops, where = [], []  # where: (page index, line index, crop box, line piece box)
        for p, (page, page_lines) in enumerate(zip(pages, layouts)):
            if isinstance(page_lines, EngineError):
                continue
            for k, line in enumerate(page_lines):
                for box in pieces(line):
                    crop, crop_box = crop_line(page.pixels, box)
                    if crop.size:
                        crops.append(crop)
                        where.append((p, k, crop_box, box))
        readings = self._recogniser().read(crops)
        words: list[dict[int, list[Word]]] = [{} for _ in pages]
        for reading, (p, k, crop_box, box) in zip(readings, where):
            line_words = words[p].setdefault(k, [])
            if reading.char_probs and float(np.mean(reading.char_probs)) >= NOISE_LINE_CONF:
                line_words.extend(off_rules(words_of(reading, crop_box, box), layouts[p][k].spans))
        return layouts, [{k: (w or None) for k, w in page.items()} for page in words]

    def _lines(self, layout: list[tesseract.TsvLine], neural: dict[int, list[Word] | None]
               ) -> tuple[list[Line], list[Line]]:
        """(lines, noise lines) of one page from its layout and the recogniser's words per line index."""
        return [Line(tuple(w), self.name) for _, w in sorted(neural.items()) if w], []

    def recognize(self, pages: Sequence[PageImage]) -> list[PageText | EngineError]:
        version = self.version()
        start = time.perf_counter()
        layouts, per_page = self._read(pages)
        seconds = round((time.perf_counter() - start) / max(1, len(pages)), 3)
        out: list[PageText | EngineError] = []
        for p, (page, layout) in enumerate(zip(pages, layouts)):
            if isinstance(layout, EngineError):
                out.append(layout)
                continue
            lines, noise = self._lines(layout, per_page[p])
            out.append(PageText(page.page_id, finish_lines(lines, page), self.name, version, seconds,
                                normalised(noise)))
        return out


@register
class AutoEngine(NeuralEngine):
    """Tesseract and the recogniser read every line; per line the reading the syllable language model
    (:mod:`ocr_engine.lm`) finds more plausible is kept (:func:`choose`), and ``Line.source`` says which.

    Both readings come from one pass: the Tesseract run that finds the lines also reads them. Options as
    :class:`NeuralEngine`, plus ``lm`` (path of a syllable model; default the shipped one)."""
    name = "auto"
    layout_only = False  # needs Tesseract's reading: the CLI's TSV

    def __init__(self, *, lm: str | Path | None = None, **options) -> None:
        super().__init__(**options)
        self.lm_path = str(lm) if lm else None

    def _lm(self) -> lm_module.SyllableLM:
        try:
            return lm_module.shared(self.lm_path)
        except ModelError as exc:
            raise EngineUnavailable(f"engine auto: {exc}") from exc

    def version(self) -> str:
        self._lm()
        return f"auto: {super().version()}; syllable LM {lm_module.FORMAT}"

    def _lines(self, layout: list[tesseract.TsvLine], neural: dict[int, list[Word] | None]
               ) -> tuple[list[Line], list[Line]]:
        model = self._lm()
        lines, noise = [], []
        for k, line in enumerate(layout):
            tess_words, tess_noise = tesseract.clean_line(line.words)
            candidates = []
            if not tess_noise:
                candidates.append(Line(tuple(tess_words), "tesseract"))
            if neural.get(k):
                candidates.append(Line(tuple(neural[k]), "neural"))
            if candidates:
                chosen = choose(candidates, model)
                others = [c for c in candidates if c is not chosen]
                lines.append(merge_words(chosen, others[0], model) if others else chosen)
            elif tesseract.readable(line.words):
                noise.append(Line(line.words, "tesseract"))
        return lines, noise


SURE_CONFIDENCE = 0.75  # engine auto keeps Tesseract's reading of a line whose every word is a syllable, number or
#   abbreviation and whose mean word confidence is at least this, whatever the recogniser read. Tuning seeds (72 pages
#   of 0-299, every fourth): without it auto read clean 0.345, mild 0.501, JPEG 0.341 % CER against the tesseract
#   engine's 0.212 / 0.215 / 0.244 (the recogniser's lines won on the language model alone and brought table rules read
#   as '1' and '[' and dropped list numbers); at 0.90: 0.292 / 0.232 / 0.297; at 0.75: 0.281 / 0.226 / 0.260, heavy
#   12.39 → 12.38, typewriter 1.94 → 2.00 (the tesseract engine: 12.94, 5.89), all 5.50 → 5.44
WORD_MARGIN = 2.0  # engine auto: within the kept line, a word of the other reading with the same letters (marks
#   aside), or in a stretch of as many words, replaces the kept one when the syllable model finds it this much likelier
#   (natural log) with the kept line's neighbours. Same 72 tuning pages: all 5.499 → 5.496 % CER, 8 pages better, 3
#   worse (by 1-2 characters)


SENTENCE_END = (".", ":", ";", "!", "?")
SAME_SHAPE_CASE = "cosuvwxz"  # letters whose capital is their small letter enlarged: neither engine can tell the case
#   of a word starting with one from its shape (the recogniser read "thuộc Sở" as "thuộc sở" on a tuning page)


def _lower_mid_sentence(words: list[Word], i: int, other: str) -> bool:
    """Whether *other* is ``words[i]`` in lower case where the sentence goes on: Tesseract reads a monospaced "l" as
    "L" ("Liệu", "Lưu"; fresh seeds: 120 of 790 clean, mild and JPEG edits on three Liberation Mono pages) where the
    recogniser reads it right. Only where the two readings disagree: one reading alone cannot tell the slip from a
    proper name after a lowercase word ("Trung tâm Lưu trữ"). Tuning seeds, 72 pages: 4 better, none worse."""
    word = words[i].text
    if (i == 0 or word == other or word.lower() != other.lower() or not word[:1].isupper() or other[:1].isupper()
            or lm_module.bare(word[:1]).lower() in SAME_SHAPE_CASE):
        return False
    before = words[i - 1].text
    return before[:1].islower() and not before.endswith(SENTENCE_END)


def merge_words(kept: Line, other: Line, model: lm_module.SyllableLM) -> Line:
    """*kept* with single words taken from *other* (the other engine's reading of the same line) where the two
    readings align word for word and the other's word fits its neighbours :data:`WORD_MARGIN` better: Tesseract
    and the recogniser slip on different marks ("nhân đân" / "nhân dân"), so a line can be right where neither
    reading was."""
    a = [lm_module.bare(w.text).lower() for w in kept.words]
    b = [lm_module.bare(w.text).lower() for w in other.words]
    words = list(kept.words)
    pairs = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag in ("equal", "replace") and i2 - i1 == j2 - j1:
            pairs += [(i1 + k, j1 + k) for k in range(i2 - i1) if kept.words[i1 + k].text != other.words[j1 + k].text]
    if not pairs:
        return kept
    toks = [lm_module.token(w.text) for w in words]
    for i, j in pairs:
        if _lower_mid_sentence(words, i, other.words[j].text):
            words[i] = other.words[j]
            continue
        candidate = lm_module.token(other.words[j].text)
        if candidate is None or toks[i] is None:
            continue
        prev = next((t for t in reversed(toks[:i]) if t is not None), lm_module.BOS)
        after = next((t for t in toks[i + 1:] if t is not None), None)

        def fit(tok: str) -> float:  # as lm.SyllableLM.logprob scores a line: junk at BAD_LOGPROB, then a new start
            def logp(word: str, before: str) -> float:
                return lm_module.BAD_LOGPROB if word == lm_module.BAD else math.log(model.prob(word, before))
            return logp(tok, prev) + (logp(after, lm_module.BOS if tok == lm_module.BAD else tok) if after else 0.0)

        if fit(candidate) > fit(toks[i]) + WORD_MARGIN:
            words[i] = other.words[j]
            toks[i] = candidate
    return kept if words == list(kept.words) else Line(tuple(words), kept.source)


def line_merit(tokens: list[str], model: lm_module.SyllableLM, width: int) -> float:
    """Mean log-probability per token of a reading's LM *tokens* under *model*, over *width* tokens: tokens it
    lacks (another reading of the same line has more) cost :data:`MISSING_LOGPROB` each."""
    return (model.logprob(tokens) + (width - len(tokens)) * MISSING_LOGPROB) / max(1, width)


def choose(candidates: list[Line], model: lm_module.SyllableLM) -> Line:
    """The candidate reading of one line with the best :func:`line_merit`; the first (Tesseract's) unless
    another beats it by :data:`SWITCH_MARGIN`."""
    if len(candidates) == 1:
        return candidates[0]
    tokens = [lm_module.tokens(w.text for w in c.words) for c in candidates]
    if (candidates[0].source == "tesseract" and tokens[0] and lm_module.BAD not in tokens[0]
            and candidates[0].confidence >= SURE_CONFIDENCE):
        return candidates[0]  # Tesseract is sure and every word is Vietnamese: nothing to gain, only to lose
    width = max(map(len, tokens))
    merits = [line_merit(t, model, width) for t in tokens]
    best = max(range(1, len(candidates)), key=lambda i: merits[i])
    return candidates[best] if merits[best] > merits[0] + SWITCH_MARGIN else candidates[0]
