"""The ``tesseract`` engine: Debian tesseract-ocr with the ``vie`` model, LSTM only.

One tesseract process per page (``OMP_THREAD_LIMIT=1``), ``jobs`` pages at a time.
"""
from __future__ import annotations

import csv
import dataclasses
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from . import PerPageEngine, register
from .._exec import tesseract as tess
from ..errors import EngineError, EngineUnavailable
from ..model import Box, Line, PageImage, Word

PSM_AUTO = 3  # automatic segmentation: finds the side-by-side blocks of an NĐ 30 header
PSM_BLOCK = 6  # one uniform block: for a line sheet (PageImage.lines_only), 24.5 % against psm 3's 26.5 %
#                CER on augraphy DirtyDrum pages
NOISE_WORD_CONF = 0.35  # a word without letters or digits below this confidence is noise
NOISE_LINE_CONF = 0.50  # a line whose mean confidence is below this is noise
SPECK_LINE_CONF = 0.90  # a line with fewer than 2 letters or digits must be read at least this surely
EDGE_WORD_CONF = 0.05  # a word this unsure at either end of a line is dirt (streak speckle beside the text)
RULING = "|¦"  # what Tesseract reads a table's vertical rule as: never text in an administrative document (cut off
#               a word's ends, dropped when that is all the word is). Removing the rules from the image instead was
#               worse: without them Tesseract reads a table column by column (tuning seeds, tables: 1.7 → 70 % CER)
BULLETS = frozenset("-–—")
FIGURE_LOOKALIKES = str.maketrans("oOilzsS", "0011255")  # letters Tesseract's vie model reads old-style figures as
#   (EB Garamond's default figures: "2oi6" for 2016, "22/os/2oz4" for 22/05/2024); mapped back only inside a number,
#   see _figures
NUMBER_PART = re.compile(r"[0-9oOilzsS]+|[^0-9oOilzsS]+")
LIST_MARK = re.compile(r"^(?:\d{1,3}|[a-zđ]|[IVXLC]{1,6})[.)]$")  # "1." "12)" "a)" "IV." starting a list item
MARKER_SHAPE = re.compile(r"^[^\s.)]{1,2}[.)]$")  # what a misread one starts a line as: "€)", "#)" for "c)", "g)"
MARKER_REACH = 2.5  # line heights left of a line's lone leading "." or ")" searched for the number it ends: with
#   layout analysis (psm 3) Tesseract drops a hanging list number and keeps only its dot ("1. Yêu cầu" → ". Yêu
#   cầu"), on the broad suite's list pages one such loss per item; read alone as one line (psm 7) it comes back
MAX_MARKER_READS = 40  # at most this many such re-reads per page (a tesseract call each, ~50 ms)
PSM_LINE = 7  # the only words without a letter or digit that may start a line


def parse_tsv(text: str, *, what: str) -> list[Line]:
    """Lines (reading order) from tesseract TSV.

    Words with empty text or conf < 0 are skipped, so are noise words, dirt at either end of a
    line, and then noise lines (see NOISE_WORD_CONF, EDGE_WORD_CONF, NOISE_LINE_CONF).
    """
    return split_tsv(text, what=what)[0]


@dataclass(frozen=True)
class TsvLine:
    """One text line of Tesseract TSV: its key (block, paragraph, line), its box (level 4), the horizontal
    extent of every word box in it (level 5, read or not) and the words read (text, conf ≥ 0)."""
    key: tuple[str, str, str]
    box: Box | None
    spans: tuple[tuple[int, int], ...]
    words: tuple[Word, ...]


def tsv_lines(text: str, *, what: str) -> list[TsvLine]:
    """The lines of Tesseract TSV in its order; EngineError if *text* is not TSV."""
    rows = csv.reader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE)
    header = next(rows, None)
    if not header or header[:1] != ["level"]:
        raise EngineError(f"{what}: tesseract output is not TSV: {text[:60]!r}")
    boxes: dict[tuple[str, str, str], Box | None] = {}
    spans: dict[tuple[str, str, str], list[tuple[int, int]]] = {}
    words: dict[tuple[str, str, str], list[Word]] = {}
    for row in rows:
        if len(row) < 10 or row[0] not in ("4", "5"):
            continue
        left, top, width, height = (int(v) for v in row[6:10])
        key = (row[2], row[3], row[4])
        if row[0] == "4":
            boxes[key] = Box(left, top, left + width, top + height)
            continue
        boxes.setdefault(key, None)
        spans.setdefault(key, []).append((left, left + width))
        if len(row) < 12:
            continue
        conf, word = float(row[10]), row[11].strip()
        if conf >= 0 and word:
            words.setdefault(key, []).append(Word(word, Box(left, top, left + width, top + height),
                                                  round(conf / 100.0, 4)))
    return [TsvLine(key, box, tuple(spans.get(key, ())), tuple(words.get(key, ()))) for key, box in boxes.items()]


def clean_line(words: Sequence[Word]) -> tuple[list[Word], bool]:
    """(the words of a line without noise words and edge dirt, whether the line as a whole is noise)."""
    trimmed = _trim_edges(_denoise(list(words)))
    return [_figures(w) for w in trimmed], _noise_line(trimmed)


def _figures(word: Word) -> Word:
    """*word* with old-style figures read as letters turned back into digits (:data:`FIGURE_LOOKALIKES`).

    Only inside a number: a run of look-alikes that also holds a real digit ("2oi6", "3o"), or, in a slash-
    separated number such as a date, a run of at least two look-alikes with a lowercase one beside a real number
    ("22/os/2024", "7/zozs"). A Vietnamese word never mixes letters and digits; a lone "I" or "II" (quý I/2025,
    Roman numerals) is left alone."""
    if not any(c.isdigit() for c in word.text):
        return word
    parts = NUMBER_PART.findall(word.text)
    dated = "/" in word.text and any(p.isdigit() for p in parts)
    out = []
    for part in parts:
        lookalike = part[0] in "0123456789oOilzsS" and not part.isdigit()
        if lookalike and (any(c.isdigit() for c in part)
                          or (dated and len(part) >= 2 and any(c.islower() for c in part))):
            part = part.translate(FIGURE_LOOKALIKES)
        out.append(part)
    text = "".join(out)
    return word if text == word.text else Word(text, word.box, word.confidence)


def split_tsv(text: str, *, what: str) -> tuple[list[Line], list[Line]]:
    """(lines, noise lines) from tesseract TSV: :func:`parse_tsv`'s lines, and the whole lines it judged to be
    noise, as read (``ocr_engine.evidence`` weighs whether they were text after all: on heavily damaged pages
    Tesseract reads real lines at low confidence)."""
    return split_lines(tsv_lines(text, what=what))


def split_lines(lines: Sequence[TsvLine]) -> tuple[list[Line], list[Line]]:
    """:func:`split_tsv` of lines already parsed."""
    kept, noise = [], []
    for line in lines:
        if not line.words:
            continue
        trimmed, is_noise = clean_line(line.words)
        if not is_noise:
            kept.append(Line(tuple(trimmed)))
        elif readable(line.words):
            noise.append(Line(line.words))
    return kept, noise


def _trim_edges(words: list[Word]) -> list[Word]:
    """Drop dirt read at either end of a line: words without a letter or digit (except a leading
    dash, a list item's bullet, and a closing dash after one, "- 18 -") and unsure specks of one or two
    letters or digits (EDGE_WORD_CONF)."""
    def dirt(word: Word, *, leading: bool, framed: bool = False) -> bool:
        alnum = _alnum(word)
        if alnum == 0:
            return not ((leading or framed) and word.text in BULLETS)
        return alnum <= 2 and word.confidence < EDGE_WORD_CONF

    start, end = 0, len(words)
    while start < end and dirt(words[start], leading=True):
        start += 1
    framed = 2 <= end - start <= 4 and words[start].text in BULLETS  # "- 18 -": a page number between dashes
    while end > start and dirt(words[end - 1], leading=False, framed=framed):
        end -= 1
    return words[start:end]


def readable(words: Sequence[Word]) -> bool:
    """Whether a line set aside as noise holds a letter or digit at all (worth weighing again later)."""
    return any(_alnum(w) for w in words)


def _alnum(word: Word) -> int:
    """How many letters and digits *word* has."""
    return sum(c.isalnum() for c in word.text)


def _noise_line(words: list[Word]) -> bool:
    """A line of dirt: empty, unsure, or a lone speck that is not read with confidence."""
    if not words:
        return True
    confidence = float(np.mean([w.confidence for w in words]))
    alnum = sum(map(_alnum, words))
    return confidence < NOISE_LINE_CONF or alnum == 0 or (alnum < 2 and confidence < SPECK_LINE_CONF)


def _denoise(words: list[Word]) -> list[Word]:
    """Drop low-confidence specks (no letter or digit) that dirt and streaks produce, and table rules read as
    "|" (:data:`RULING`)."""
    out = []
    for w in words:
        text = w.text.strip(RULING)
        if not text:
            continue
        if text != w.text:
            w = Word(text, w.box, w.confidence)
        if w.confidence >= NOISE_WORD_CONF or _alnum(w) > 0:
            out.append(w)
    return out


@register
class TesseractEngine(PerPageEngine):
    """Options: ``lang`` (default ``vie``), ``psm`` (default 3: automatic layout analysis,
    which NĐ 30/2020 pages need for their two-block header; 4 or 6 suit single-column text)."""
    name = "tesseract"

    def __init__(self, *, lang: str = "vie", psm: int = PSM_AUTO, **options) -> None:
        super().__init__(**options)
        self.lang = lang
        self.psm = psm

    def version(self) -> str:
        version = tess.version()
        missing = set(self.lang.split("+")) - tess.languages()
        if missing:
            raise EngineUnavailable(f"tesseract has no traineddata for {', '.join(sorted(missing))}; "
                                    "install tesseract-ocr-vie")
        return f"tesseract {version} ({self.lang}, oem 1, psm {self.psm})"

    def recognize_page(self, page: PageImage) -> list[Line]:
        return self.recognize_page_and_noise(page)[0]

    def recognize_page_and_noise(self, page: PageImage) -> tuple[list[Line], list[Line]]:
        if page.colour is not None:  # Tesseract thresholds a colour page itself, channel by channel
            ok, pgm = cv2.imencode(".ppm", cv2.cvtColor(page.colour, cv2.COLOR_RGB2BGR))
        else:
            ok, pgm = cv2.imencode(".pgm", page.pixels)
        if not ok:
            raise EngineError(f"{page.page_id}: cannot encode page for tesseract")
        psm = PSM_BLOCK if page.lines_only else self.psm
        text = tess.tsv(pgm.tobytes(), what=page.page_id, lang=self.lang, psm=psm, dpi=int(round(page.dpi)),
                        timeout=self.timeout)
        lines = tsv_lines(text, what=page.page_id)
        if psm != PSM_BLOCK:
            lines = self._list_numbers(lines, page)
        return split_lines(lines)

    def _list_numbers(self, lines: list[TsvLine], page: PageImage) -> list[TsvLine]:
        """Lines that start with a lone "." or ")" get back the list number layout analysis dropped, and lines that
        start with a marker misread as a sign ("€)", "#)": :data:`MARKER_SHAPE`) get it read again: the strip
        left of it (:data:`MARKER_REACH`) is read as one line, and kept only when it reads as a list marker
        (:data:`LIST_MARK`) — anything else leaves the line as it was. Tuning seeds, 77 list and NĐ 30 pages:
        clean 1.18 → 1.17, mild 0.38 → 0.34 % CER, three list pages better, none worse."""
        out, reads = [], 0
        for line in lines:
            first = line.words[0] if line.words else None
            misread = first is not None and MARKER_SHAPE.match(first.text) and not LIST_MARK.match(first.text)
            if (first is None or not (first.text in (".", ")") or misread) or len(line.words) < 2
                    or reads >= MAX_MARKER_READS):
                out.append(line)
                continue
            height = max(w.box.height for w in line.words[1:])
            x0 = max(0, first.box.x0 - int(MARKER_REACH * height))
            y0, y1 = max(0, first.box.y1 - int(1.3 * height)), min(page.pixels.shape[0], first.box.y1 + height // 3)
            crop = page.pixels[y0:y1, x0:first.box.x1 + 2]
            reads += 1
            ok, pgm = cv2.imencode(".pgm", np.ascontiguousarray(crop)) if crop.size else (False, None)
            marker = None
            if ok:
                found = [w for row in tsv_lines(tess.tsv(pgm.tobytes(), what=page.page_id, lang=self.lang,
                                                         psm=PSM_LINE, dpi=int(round(page.dpi)),
                                                         timeout=self.timeout), what=page.page_id)
                         for w in row.words]
                if len(found) == 1 and LIST_MARK.match(found[0].text):
                    b = found[0].box
                    marker = Word(found[0].text, Box(x0 + b.x0, y0 + b.y0, x0 + b.x1, y0 + b.y1),
                                  found[0].confidence)
            out.append(dataclasses.replace(line, words=(marker, *line.words[1:])) if marker else line)
        return out
