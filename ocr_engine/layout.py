"""Reading order fixes applied to every engine's lines.

NĐ 30/2020 pages open with two side-by-side blocks (issuing agency and number on the left,
national motto and date on the right). Engines often read them as joined lines
("SỞ NỘI VỤ Độc lập - Tự do - Hạnh phúc"); :func:`split_columns` cuts such lines at a common
wide gap and reads the left column before the right one.
"""
from __future__ import annotations

import re

import numpy as np

from .model import Box, Line

GAP_FACTOR = 1.5  # a column gap is wider than this many line heights
HEADER_GAP_FACTOR = 1.0  # ... or, in the page's first line (where an NĐ 30 header's two blocks start), this many.
#   Tuning seeds: headers joined on their first row had gaps of 0.57-3.37 line heights (two clean pages 1.45 and
#   1.47, missed at 1.5). 1.2 everywhere also cut table rows with one wide cell gap into blocks (s000271: 19 → 24 %)
LIST_MARKER = re.compile(r"^(\(?(\d{1,3}|[IVXLC]{1,6}|[a-zđ])[.):]|[-+•–*])$", re.IGNORECASE)  # "1." "a)" "II." "-"
#   a numbered list with a hanging indent leaves a wide gap after each item's number, line after line: the numbers
#   are no column, whether the engine joined them to their items across the gap (_reorder: no tuning-seed page
#   changes) or read them as lines of their own (join_markers)
MARKER_MAX_GAP = 4.0  # a list marker read as a line of its own belongs to the line that starts at most this many of
#   its heights to its right, on the same row (Tesseract's layout analysis put a list's numbers in a block of their own
#   on a fresh-seed 'list' page and they were read first: "1." "25" "3." "4.", then the items). Tuning seeds 0-299,
#   sohoa's readings: 2 typewritten list pages change, both better (102 → 96, 17 → 16 edits), no other page changes
MAX_BLOCK_LINES = 8  # side-by-side blocks (an NĐ 30 header, a signing block beside "Nơi nhận") are a few lines
#                      long; a longer run of lines cut by one gap is a two-column table, read row by row


def _gaps(line: Line, streaks: np.ndarray | None, factor: float = GAP_FACTOR) -> list[tuple[int, int, int]]:
    """(x0, x1, index of the word after the gap) for every column-wide gap (*factor* line heights) in *line*; a gap
    that a streak crosses is none (the streak may have hidden the words that filled it)."""
    height = max(line.box.height, 1)
    words = line.words
    return [(a.box.x1, b.box.x0, i + 1) for i, (a, b) in enumerate(zip(words, words[1:]))
            if b.box.x0 - a.box.x1 > factor * height
            and (streaks is None or not streaks[max(a.box.x1, 0):max(b.box.x0, 0)].any())]


def _reorder(run: list[tuple[Line, tuple[int, int, int] | None]], channel: tuple[int, int],
             header: bool = False) -> list[Line]:
    """The run's left parts, then its right parts, when it holds side-by-side blocks: two to MAX_BLOCK_LINES lines
    cut by the gap, or, at the top of the page (*header*), one such line with lines of their own on both sides of
    it (an NĐ 30 header that the engine joined on its first row only; elsewhere that is a table row whose cells
    wrapped: tuning seed s000221, 32 → 40 % CER when reordered)."""
    middle = (channel[0] + channel[1]) / 2
    cut = sum(1 for _, gap in run if gap)
    sides = {line.box.x1 <= middle for line, gap in run if not gap}
    if not (2 <= cut <= MAX_BLOCK_LINES or (header and cut == 1 and sides == {True, False})):
        return [line for line, _ in run]
    if all(gap[2] == 1 and LIST_MARKER.match(line.words[0].text) for line, gap in run if gap):
        return [line for line, _ in run]  # list items' numbers, not a column
    left, right = [], []
    for line, gap in run:
        if gap:
            left.append(Line(line.words[:gap[2]], line.source))
            right.append(Line(line.words[gap[2]:], line.source))
        else:
            (left if line.box.x1 <= middle else right).append(line)
    return left + right


def _same_row(a: Box, b: Box) -> bool:
    """Whether *a* and *b* overlap by at least half the lower one's height."""
    return min(a.y1, b.y1) - max(a.y0, b.y0) >= 0.5 * min(a.height, b.height)


def join_markers(lines: list[Line]) -> list[Line]:
    """*lines* with every list marker ("1.", "a)", "-") that was read as a line of its own put at the start of the
    line whose first word follows it on the same row (:data:`MARKER_MAX_GAP`); the others as they were."""
    out = list(lines)
    for marker in [line for line in lines if len(line.words) == 1 and LIST_MARKER.match(line.words[0].text)]:
        box = marker.box
        after = [line for line in out if line is not marker and len(line.words) > 0
                 and 0 <= line.words[0].box.x0 - box.x1 <= MARKER_MAX_GAP * max(box.height, 1)
                 and _same_row(box, line.words[0].box)]
        if not after:
            continue
        item = min(after, key=lambda line: line.words[0].box.x0)
        at = out.index(item)
        out[at] = Line(marker.words + item.words, item.source)
        out.remove(marker)
    return out


def split_columns(lines: list[Line], streaks: np.ndarray | None = None) -> list[Line]:
    """Lines in reading order with side-by-side blocks read one after the other.

    A run of consecutive lines that share one vertical gap (two to MAX_BLOCK_LINES of them cut by it, or one
    with lines on both sides; the others lying wholly on one side) becomes the left parts, then the right parts.
    The page's first line counts a narrower gap (HEADER_GAP_FACTOR). A line cut by more than one gap is a table
    row and is kept whole, in place.
    Lines without such a shared gap are left as they are. *streaks* marks page columns under
    vertical streaks (a line sheet's): a gap they cross is not taken for one between columns.
    """
    lines = join_markers(lines)
    out: list[Line] = []
    run: list[tuple[Line, tuple[int, int, int] | None]] = []
    channel: tuple[int, int] | None = None
    for line in lines:
        header = not out  # the run (if any) started at the page's first line
        gap = None
        if len(_gaps(line, streaks)) > 1:  # a table row: its cells are read left to right, as printed
            if run:
                out += _reorder(run, channel, header)
            run, channel = [], None
            out.append(line)
            continue
        if channel is not None:
            gap = next((g for g in _gaps(line, streaks) if g[0] < channel[1] and g[1] > channel[0]), None)
        elif gaps := _gaps(line, streaks, HEADER_GAP_FACTOR if header else GAP_FACTOR):  # no run: header = 1st line
            gap = max(gaps, key=lambda g: g[1] - g[0])
        if gap:
            channel = (max(gap[0], channel[0]), min(gap[1], channel[1])) if channel else gap[:2]
            run.append((line, gap))
        elif channel is not None and (line.box.x1 <= channel[1] or line.box.x0 >= channel[0]):
            run.append((line, None))
        else:
            if run:
                out += _reorder(run, channel, header)
            run, channel = [], None
            out.append(line)
    if run:
        out += _reorder(run, channel, not out)
    return out
