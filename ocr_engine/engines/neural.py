"""The ``neural`` engine: Tesseract finds the lines, our CRNN (:mod:`ocr_engine.neural`) reads them.

Per batch of pages: Tesseract's layout analysis (psm 3, or 6 on a line sheet; TSV, ``jobs`` pages at a
time) gives each page's line boxes (cut at column-wide gaps); every line piece is cropped with extra room above for the tone marks
(:data:`TOP_PAD`) and all lines of all pages are read in one width-sorted, batched pass through ONNX
Runtime, so on a GPU one call keeps the device busy. Word boxes come from the CTC alignment split at
spaces; a word's confidence is the geometric mean of its characters' probabilities.

Today the TSV run also recognises the page with Tesseract (the CLI cannot stop after layout); its
reading is discarded here and is what engine ``auto`` will compare against (issue 15, step 4).
"""
from __future__ import annotations

import csv
import io
import math
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np

from . import OcrEngine, finish_lines, register
from .._exec import tesseract as tess
from ..errors import EngineError, EngineUnavailable, ModelError
from ..layout import GAP_FACTOR
from ..model import Box, Line, PageImage, PageText, Word
from ..neural import infer

PSM_AUTO, PSM_BLOCK = 3, 6  # as engines.tesseract: NĐ 30 pages need psm 3; a line sheet psm 6
TOP_PAD = 0.12  # of the line box's height: Tesseract's boxes cut into stacked tone marks (issue 15: pad 10–15 %)
BOTTOM_PAD = 0.04
SIDE_PAD = 0.25  # of the height: training crops had 0–0.5 em of paper at either end
MIN_LINE_PX = 6  # a box lower than this is a rule or a speck, not text
NOISE_LINE_CONF = 0.5  # a line whose mean character probability is below this is dirt read as text


def line_boxes(tsv_text: str, *, what: str) -> list[list[Box]]:
    """Text lines of one page from Tesseract TSV, in its order; each line as one or more pieces.

    A line is cut where its words (level 5) leave a gap wider than :data:`~ocr_engine.layout.GAP_FACTOR`
    line heights: Tesseract joins the side-by-side blocks of an NĐ 30 header into one line, and the CRNN,
    which never saw such a gap, may read it as no space at all. Each piece spans the line's height (level
    4) and its words' width. EngineError if the text is not TSV.
    """
    rows = csv.reader(io.StringIO(tsv_text), delimiter="\t", quoting=csv.QUOTE_NONE)
    header = next(rows, None)
    if not header or header[:1] != ["level"]:
        raise EngineError(f"{what}: tesseract output is not TSV: {tsv_text[:60]!r}")
    lines: dict[tuple[str, str, str], Box] = {}
    words: dict[tuple[str, str, str], list[tuple[int, int]]] = {}
    for row in rows:
        if len(row) < 10 or row[0] not in ("4", "5"):
            continue
        left, top, width, height = (int(v) for v in row[6:10])
        key = (row[2], row[3], row[4])
        if row[0] == "4":
            lines[key] = Box(left, top, left + width, top + height)
        else:
            words.setdefault(key, []).append((left, left + width))
    out = []
    for key, box in lines.items():
        if box.height < MIN_LINE_PX or box.width < MIN_LINE_PX:
            continue
        pieces, x0, x1 = [], None, None
        for a, b in sorted(words.get(key, [(box.x0, box.x1)])):
            if x1 is not None and a - x1 > GAP_FACTOR * box.height:
                pieces.append(Box(x0, box.y0, x1, box.y1))
                x0 = None
            x0, x1 = (a if x0 is None else x0), (b if x1 is None else max(x1, b))
        pieces.append(Box(x0, box.y0, x1, box.y1))
        out.append(pieces)
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


@register
class NeuralEngine(OcrEngine):
    """Options: ``model_dir`` (default: the shipped ``ocr_engine/data/neural``), ``threads`` (ONNX Runtime
    intra-op threads, default 1), ``lang`` for Tesseract's layout pass (default ``vie``)."""
    name = "neural"

    def __init__(self, *, model_dir: str | Path | None = None, threads: int = 1, lang: str = "vie",
                 **options) -> None:
        super().__init__(**options)
        self.model_dir = str(model_dir) if model_dir else None
        self.threads = int(threads)  # CLI options arrive as strings
        self.lang = lang

    def _recogniser(self) -> infer.Recogniser:
        try:
            return infer.shared(self.model_dir, self.threads)
        except ModelError as exc:
            raise EngineUnavailable(f"engine neural: {exc}") from exc

    def version(self) -> str:
        tess.version()
        return f"neural {self._recogniser().version}; lines by tesseract {tess.version()}"

    def _boxes(self, page: PageImage) -> list[Box] | EngineError:
        ok, pgm = cv2.imencode(".pgm", page.pixels)
        if not ok:
            return EngineError(f"{page.page_id}: cannot encode page for tesseract")
        try:
            text = tess.tsv(pgm.tobytes(), what=page.page_id, lang=self.lang,
                            psm=PSM_BLOCK if page.lines_only else PSM_AUTO, dpi=int(round(page.dpi)),
                            timeout=self.timeout)
            return line_boxes(text, what=page.page_id)
        except EngineUnavailable:
            raise
        except EngineError as exc:
            return exc

    def recognize(self, pages: Sequence[PageImage]) -> list[PageText | EngineError]:
        version = self.version()
        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=max(1, min(self.jobs, len(pages)))) as pool:
            boxes = list(pool.map(self._boxes, pages))
        crops, where = [], []  # where: (page index, line index, crop box, line piece box)
        for p, (page, page_lines) in enumerate(zip(pages, boxes)):
            if isinstance(page_lines, EngineError):
                continue
            for k, pieces in enumerate(page_lines):
                for box in pieces:
                    crop, crop_box = crop_line(page.pixels, box)
                    if crop.size:
                        crops.append(crop)
                        where.append((p, k, crop_box, box))
        readings = self._recogniser().read(crops)
        words: dict[tuple[int, int], list[Word]] = {}
        for reading, (p, k, crop_box, box) in zip(readings, where):
            if reading.char_probs and float(np.mean(reading.char_probs)) >= NOISE_LINE_CONF:
                words.setdefault((p, k), []).extend(words_of(reading, crop_box, box))
        lines: list[list[Line]] = [[] for _ in pages]
        for (p, _), line_words in sorted(words.items()):
            if line_words:
                lines[p].append(Line(tuple(line_words)))
        seconds = round((time.perf_counter() - start) / max(1, len(pages)), 3)
        return [b if isinstance(b, EngineError) else PageText(page.page_id, finish_lines(lines[p], page),
                                                              self.name, version, seconds)
                for p, (page, b) in enumerate(zip(pages, boxes))]
