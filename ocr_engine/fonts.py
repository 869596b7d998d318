"""The font of the invisible text layer: a TrueType font covering Vietnamese, subset per document.

Glyphs are addressed by glyph id (CID = GID, ``Identity-H``), so the subset keeps glyph ids
(``retain_gids``) and the PDF needs no CIDToGIDMap stream.
"""
from __future__ import annotations

import hashlib
import io
import unicodedata
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

from .errors import PdfError

UNUSED_TABLES = ("GSUB", "GPOS", "GDEF", "kern", "FFTM")  # an invisible text layer needs no shaping

CANDIDATES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),  # Debian fonts-dejavu-core
    Path("/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"),  # fonts-liberation2
)


def find_font() -> Path:
    """First installed candidate font; PdfError naming the Debian packages otherwise."""
    for path in CANDIDATES:
        if path.is_file():
            return path
    raise PdfError("no text-layer font found; install fonts-dejavu-core or fonts-liberation2")


class TextFont:
    """Glyph lookup, metrics and subsetting for one document."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or find_font()
        self._font = TTFont(str(self.path), lazy=True)
        self._cmap = self._font.getBestCmap()
        self._names = self._font.getGlyphOrder()
        self._order = {name: gid for gid, name in enumerate(self._names)}
        self._hmtx = self._font["hmtx"]
        head, hhea = self._font["head"], self._font["hhea"]
        self.units_per_em = head.unitsPerEm
        self.ascent = hhea.ascent
        self.descent = hhea.descent  # negative
        self.bbox = (head.xMin, head.yMin, head.xMax, head.yMax)
        self.name = self._font["name"].getDebugName(6) or self.path.stem
        self.used: dict[int, str] = {}  # gid -> unicode text it stands for

    def glyphs(self, text: str) -> list[int]:
        """Glyph ids for *text*; a character without a glyph falls back to its NFD parts,
        and is dropped only if those are missing too (never .notdef)."""
        gids = []
        for ch in text:
            parts = [ch] if ord(ch) in self._cmap else list(unicodedata.normalize("NFD", ch))
            if not all(ord(p) in self._cmap for p in parts):
                continue
            for p in parts:
                gid = self._order[self._cmap[ord(p)]]
                self.used.setdefault(gid, p if len(parts) > 1 else ch)
                gids.append(gid)
        return gids

    def advance(self, gid: int) -> int:
        """Advance width in units per em."""
        return self._hmtx[self._names[gid]][0]

    def width_1000(self, gid: int) -> int:
        return round(self.advance(gid) * 1000 / self.units_per_em)

    def subset_tag(self) -> str:
        digest = hashlib.sha256(repr(sorted(self.used)).encode()).digest()
        return "".join(chr(ord("A") + b % 26) for b in digest[:6])

    def subset_program(self) -> bytes:
        """The TrueType program reduced to the used glyphs, glyph ids unchanged."""
        options = subset.Options()
        options.retain_gids = True
        options.notdef_outline = True
        options.layout_features = []
        options.name_IDs = ["*"]
        font = TTFont(str(self.path), recalcTimestamp=False)  # head.modified stays: same pages, same bytes
        for tag in UNUSED_TABLES:  # deleted before subsetting: decompiling the layout tables costs most
            if tag in font:
                del font[tag]
        subsetter = subset.Subsetter(options)
        subsetter.populate(gids=sorted(set(self.used) | {0}))
        subsetter.subset(font)
        buf = io.BytesIO()
        font.save(buf)
        return buf.getvalue()
