"""Pages with streaks across their text, read as a line sheet.

Streaks that cross the text glue lines together and pass for words or column gaps, so an
engine's layout analysis fails on such pages (bench/dev aug300: 24–31 % CER on the two streaked
pages). Here the text lines are found from the columns free of streaks, each line is cut to the
extent of its ink in those columns (a streak beyond the end of a short line stays out), and the
strips are stacked on white with a gap between them. The engine reads that sheet as one column
of lines; :meth:`LineSheet.read_back` moves what it found back to page coordinates.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import cv2
import numpy as np

from .layout import split_columns
from .model import Box, Line, PageImage, PageText, Word
from .preprocess import text_rows

STREAK_COLUMN_INK = 0.12  # a column darker than this down the whole page lies under a streak
TEXT_ROW_INK = 0.01  # a row with this much ink in the free columns carries text
MIN_LINE_INCH = 0.04  # shorter runs of text rows are specks, not lines
PAD_INCH, GAP_INCH, EXTEND_INCH = 0.02, 0.12, 0.06  # around a strip; between strips; past its last ink
LETTER_INCH = (0.045, 0.5)  # marks this tall (and at most the upper bound wide) are letters: shorter ones are tone
#   marks, dots and specks (an 11-14 pt x-height is 0.075-0.1 in); their median height is the page's letter height
MERGED_LETTERS = 3.0  # a band of text rows taller than this many letter heights holds more than one line (a single
#   line with its tone marks and descenders is 1.5-2 letter heights: tuning seeds 0-299, every band of the 6 other
#   streaked pages that have bands measured 0.9-1.94)
MERGED_SHARE = 0.5  # a page whose merged bands hold more than this share of its text rows gets no sheet: its lines
#   wave or slope (augraphy's geometric distortion) and a strip would hold two or three of them, read as one line
#   with their words interleaved. Tuning seeds: s000018 (92 % of its rows in merged bands; 74 % CER as a sheet against
#   plain Tesseract's 26 %) and s000173 (83 %); the 12 other streaked pages 0 %


@dataclass(frozen=True)
class Strip:
    """One text line's strip: where it sits on the sheet and where it came from on the page."""

    sheet_y: int
    page_y: int
    height: int

    def distance(self, sheet_y: float) -> float:
        """How far sheet row *sheet_y* lies outside this strip (0 inside it)."""
        return max(self.sheet_y - sheet_y, sheet_y - (self.sheet_y + self.height), 0)


@dataclass
class LineSheet:
    """The sheet to recognise (its own coordinates) and the strips it is made of."""

    page: PageImage
    strips: list[Strip]
    streak_columns: np.ndarray  # page columns under a streak (bool, one per pixel column)

    def read_back(self, text: PageText) -> PageText:
        """*text* recognised on the sheet, moved to the page: one line per strip that holds words,
        in strip order, its words left to right (the sheet's lines are known, whatever order or
        grouping the engine gave them)."""
        by_strip: dict[int, list[Word]] = {}
        for word in (w for line in text.lines for w in line.words):
            centre = (word.box.y0 + word.box.y1) / 2
            index = min(range(len(self.strips)), key=lambda i: self.strips[i].distance(centre))
            dy = self.strips[index].page_y - self.strips[index].sheet_y
            by_strip.setdefault(index, []).append(
                Word(word.text, Box(word.box.x0, word.box.y0 + dy, word.box.x1, word.box.y1 + dy), word.confidence))
        lines = [Line(tuple(sorted(by_strip[i], key=lambda w: w.box.x0))) for i in sorted(by_strip)]
        return dataclasses.replace(text, lines=split_columns(lines, self.streak_columns))


def _text_bands(dark: np.ndarray, free: np.ndarray, min_rows: int) -> list[tuple[int, int]]:
    """(top, bottom) of every run of text rows, judged on the free columns only."""
    rows = text_rows(dark, free, smooth=3, min_ink=TEXT_ROW_INK)
    edges = np.diff(np.concatenate([[0], rows.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return [(int(a), int(b)) for a, b in zip(starts, ends) if b - a >= min_rows]


def _merged_share(ink: np.ndarray, heights: list[int], dpi: float) -> float:
    """The share of the text rows (band *heights*) in bands taller than MERGED_LETTERS letter heights of *ink*
    (0 when the page shows no letter-sized mark)."""
    _, _, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    tall, wide = stats[1:, cv2.CC_STAT_HEIGHT], stats[1:, cv2.CC_STAT_WIDTH]
    low, high = (inch * dpi for inch in LETTER_INCH)
    letters = tall[(tall >= low) & (tall <= high) & (wide <= high)]
    if letters.size == 0 or not heights:
        return 0.0
    limit = MERGED_LETTERS * float(np.median(letters))
    return sum(h for h in heights if h > limit) / sum(heights)


def line_sheet(page: PageImage) -> LineSheet | None:
    """The line sheet of *page*, or None when it has no line to cut, no column free of streaks, or lines that its
    rows do not separate (:data:`MERGED_SHARE`)."""
    pixels = page.pixels
    height, width = pixels.shape
    dark = pixels < 128
    free = dark.mean(axis=0) < STREAK_COLUMN_INK
    if not free.any():
        return None
    pad, gap, extend = (max(1, round(inch * page.dpi)) for inch in (PAD_INCH, GAP_INCH, EXTEND_INCH))
    bands = _text_bands(dark, free, max(2, round(MIN_LINE_INCH * page.dpi)))
    if _merged_share(dark & free[None, :], [bottom - top for top, bottom in bands], page.dpi) > MERGED_SHARE:
        return None
    strips, pieces, sheet_y = [], [], 0
    for top, bottom in bands:
        top, bottom = max(0, top - pad), min(height, bottom + pad)
        inked = (dark[top:bottom].sum(axis=0) >= 2) & free
        columns = np.flatnonzero(np.convolve(inked, np.ones(9), mode="same") >= 3)
        if columns.size == 0:
            continue
        x0, x1 = max(0, columns[0] - extend), min(width, columns[-1] + extend + 1)
        piece = np.full((bottom - top + gap, width), 255, np.uint8)
        piece[:bottom - top, x0:x1] = pixels[top:bottom, x0:x1]
        strips.append(Strip(sheet_y, top, bottom - top))
        pieces.append(piece)
        sheet_y += piece.shape[0]
    if not pieces:
        return None
    return LineSheet(PageImage(page.page_id, np.vstack(pieces), page.dpi, lines_only=True), strips, ~free)
