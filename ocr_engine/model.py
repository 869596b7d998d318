"""Plain data passed between the stages: boxes, words, lines, recognised pages.

Coordinates are integer pixels, origin top-left, ``x1``/``y1`` exclusive.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np


@dataclass(frozen=True)
class Box:
    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    def mapped(self, matrix: np.ndarray, width: int, height: int) -> Box:
        """Axis-aligned box around this box's corners under the 2×3 affine *matrix*, clipped."""
        corners = np.array([[self.x0, self.y0, 1], [self.x1, self.y0, 1],
                            [self.x0, self.y1, 1], [self.x1, self.y1, 1]], dtype=np.float64)
        pts = corners @ np.asarray(matrix, dtype=np.float64).T
        x0, y0 = np.floor(pts.min(axis=0)).astype(int)
        x1, y1 = np.ceil(pts.max(axis=0)).astype(int)
        return Box(max(0, int(x0)), max(0, int(y0)), min(width, int(x1)), min(height, int(y1)))

    @staticmethod
    def union(boxes: list[Box]) -> Box:
        """Smallest box containing every box of a non-empty list."""
        return Box(min(b.x0 for b in boxes), min(b.y0 for b in boxes),
                   max(b.x1 for b in boxes), max(b.y1 for b in boxes))


@dataclass(frozen=True)
class Word:
    text: str
    box: Box
    confidence: float  # 0.0 .. 1.0


@dataclass(frozen=True)
class Line:
    words: tuple[Word, ...]
    source: str = ""  # which reading the line is (engine auto: "tesseract" or "neural"); empty when one engine read all

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def box(self) -> Box:
        return Box.union([w.box for w in self.words])

    @property
    def confidence(self) -> float:
        return float(np.mean([w.confidence for w in self.words]))


@dataclass
class PageImage:
    """One page ready for recognition: an upright, deskewed greyscale image.

    ``to_source`` is the 2×3 affine matrix mapping these pixel coordinates back to the
    pixels of the source file (identity when nothing was rotated, scaled or cropped).
    ``lines_only`` marks a line sheet (:mod:`ocr_engine.linesheet`): text lines stacked in one
    column, which needs no layout analysis. ``colour`` is set only on the page as scanned (the
    plain reading): Tesseract then thresholds the colour image itself, as plain Tesseract does;
    faint coloured ink that the grey conversion washes out stays readable.
    """
    page_id: str
    pixels: np.ndarray  # uint8, 2-D
    dpi: float
    to_source: np.ndarray = field(default_factory=lambda: np.array([[1.0, 0, 0], [0, 1.0, 0]]))
    lines_only: bool = False
    colour: np.ndarray | None = None  # the same pixels in RGB, when the scan is in colour and an engine may use them


@dataclass
class PageText:
    """What an engine recognised on one page, in reading order (coordinates of the PageImage)."""
    page_id: str
    lines: list[Line]
    engine: str
    engine_version: str
    seconds: float
    noise: list[Line] = field(default_factory=list)  # lines the engine read but judged to be dirt, set aside (not
    #                                                   in ``lines`` or ``text``) so the reading stage can weigh them

    @property
    def text(self) -> str:
        """One text line per line, reading order, trailing newline when not empty."""
        return "".join(line.text + "\n" for line in self.lines)

    @property
    def mean_confidence(self) -> float | None:
        words = [w.confidence for line in self.lines for w in line.words]
        return float(np.mean(words)) if words else None

    def to_dict(self) -> dict:
        return asdict(self)
