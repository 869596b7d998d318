"""Serialising what an engine recognised (lines, words, boxes) and its coordinate mapping, losslessly.

The PDF text layer of a hồ sơ is assembled after its pages were OCR'd in separate tasks, possibly on other
workers; it is rebuilt from these JSON documents.
"""
from __future__ import annotations

import json

import numpy as np

from ocr_engine.model import Box, Line, PageText, Word


def dumps(text: PageText, to_source: np.ndarray, rotate: int) -> bytes:
    """``rotate``: the clockwise turn a viewer must apply to show the source image upright."""
    doc = {
        "page_id": text.page_id, "engine": text.engine, "engine_version": text.engine_version,
        "seconds": text.seconds, "to_source": np.asarray(to_source, dtype=float).tolist(), "rotate": rotate,
        "lines": [[[w.text, [w.box.x0, w.box.y0, w.box.x1, w.box.y1], round(w.confidence, 4)] for w in line.words]
                  for line in text.lines],
    }
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def loads(data: bytes) -> tuple[PageText, np.ndarray, int]:
    """Inverse of :func:`dumps`: (text, to_source matrix, rotate)."""
    doc = json.loads(data)
    lines = [Line(tuple(Word(t, Box(*box), conf) for t, box, conf in line)) for line in doc["lines"]]
    text = PageText(doc["page_id"], lines, doc["engine"], doc["engine_version"], doc["seconds"])
    return text, np.array(doc["to_source"], dtype=float), int(doc["rotate"])
