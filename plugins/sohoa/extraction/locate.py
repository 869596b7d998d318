"""Where a văn bản's metadata stands on its page: the word boxes of a field's value, found in the page's ALTO.

The extraction (:mod:`sohoa.extraction.nd30`) works on plain text and records no positions, so a field is found
again in the page's words: the value, folded like the text it was cut from (:func:`sohoa.vntext.fold`, lower
case, runs of spaces as one), is looked for in the page's words joined in reading order; the words it overlaps
are its boxes, one rectangle per text line. A date is looked for as the page writes it («ngày 12 tháng 3 năm
2015», with or without leading zeros); a số as the number before the ký hiệu's slash. A value the page does not
hold as read (a corrected or a repaired value) has no boxes.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from ..vntext import fold


@dataclass(frozen=True)
class Word:
    text: str
    line: int
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 in pixels of the master


@dataclass(frozen=True)
class PageWords:
    width: int
    height: int
    words: list[Word]


@dataclass(frozen=True)
class Area:
    """A rectangle as fractions of the page's width and height (0..1), ready for CSS percentages."""

    left: float
    top: float
    width: float
    height: float


def alto_words(alto: bytes) -> PageWords:
    """The words of an ALTO document (any ALTO version) in reading order, with the page size."""
    from lxml import etree

    root = etree.fromstring(alto, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    page = next(el for el in root.iter() if etree.QName(el).localname == "Page")
    words = []
    for n, line in enumerate(el for el in root.iter() if etree.QName(el).localname == "TextLine"):
        for string in (el for el in line.iter() if etree.QName(el).localname == "String"):
            x, y = int(float(string.get("HPOS", 0))), int(float(string.get("VPOS", 0)))
            w, h = int(float(string.get("WIDTH", 0))), int(float(string.get("HEIGHT", 0)))
            words.append(Word(string.get("CONTENT", ""), n, (x, y, x + w, y + h)))
    return PageWords(int(float(page.get("WIDTH"))), int(float(page.get("HEIGHT"))), words)


def _folded(text: str) -> str:
    return re.sub(r"\s+", " ", fold(text).lower()).strip()


def _pattern(field: str, value) -> str | None:
    """The regular expression a field's value is looked for with, in folded lower-case text."""
    if value is None or str(value).strip() == "":
        return None
    if field == "ngay_ban_hanh":
        day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
        return rf"ngay 0?{day.day} thang 0?{day.month} nam {day.year}"
    if field == "so":
        return rf"(?<![0-9]){re.escape(_folded(str(value)))} ?/"
    return r"\s*".join(re.escape(part) for part in _folded(str(value)).split(" "))


def locate(page: PageWords, values: dict[str, object]) -> dict[str, list[Area]]:
    """For each field of ``values`` (name → value) found on ``page``, its areas (one per line it spans); fields
    not found are left out. The first occurrence wins (the header block comes first)."""
    text, starts = "", []
    for word in page.words:
        starts.append(len(text))
        text += _folded(word.text) + " "
    found: dict[str, list[Area]] = {}
    for field, value in values.items():
        try:
            pattern = _pattern(field, value)
        except ValueError:
            continue  # a date that is not one: nothing to look for
        match = re.search(pattern, text) if pattern else None
        if not match:
            continue
        hit = [w for w, start in zip(page.words, starts)
               if start < match.end() and start + len(_folded(w.text)) > match.start()]
        lines: dict[int, list[tuple[int, int, int, int]]] = {}
        for word in hit:
            lines.setdefault(word.line, []).append(word.box)
        found[field] = [_area(page, boxes) for boxes in lines.values()]
    return found


def _area(page: PageWords, boxes: list[tuple[int, int, int, int]]) -> Area:
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
    return Area(x0 / page.width, y0 / page.height, (x1 - x0) / page.width, (y1 - y0) / page.height)
