"""Two-layer PDF/A-2b: untouched page images plus an invisible, word-aligned text layer.

:class:`PdfAWriter` streams one page at a time to disk, so memory stays flat however long the
document. JPEG scans are embedded byte for byte (DCTDecode); other images are stored
losslessly (FlateDecode) from their decoded pixels. Text is drawn in render mode 3 with an
embedded, subset Type0/CIDFontType2 font with a ToUnicode map, so copying text out gives every
Vietnamese diacritic. The file carries XMP (pdfaid part 2, conformance B) in sync with the
document information dictionary and an sRGB output intent.

:func:`validate_pdfa` checks a produced file and returns a list of problems (empty when fine).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import math
import re
import unicodedata
import zlib
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np

from . import __version__
from ._exec import poppler
from .errors import OcrEngineError, PdfError
from .fonts import TextFont
from .icc import srgb_profile
from .images import LoadedPage, PageHeader, load_page
from .model import PageText

PRODUCER = f"ocr_engine {__version__}"
_FIXED = {"catalog": 1, "pages": 2, "type0": 3, "cidfont": 4, "descriptor": 5, "fontfile": 6,
          "tounicode": 7, "metadata": 8, "icc": 9, "info": 10}


def _pdf_string(text: str) -> bytes:
    """A PDF text string: literal for ASCII, UTF-16BE with BOM otherwise."""
    if text.isascii():
        return b"(" + re.sub(rb"([\\()])", rb"\\\1", text.encode("ascii")) + b")"
    return b"<" + (b"\xfe\xff" + text.encode("utf-16-be")).hex().upper().encode() + b">"


def _pdf_date(when: dt.datetime) -> str:
    off = when.utcoffset() or dt.timedelta(0)
    sign = "+" if off >= dt.timedelta(0) else "-"
    minutes = abs(int(off.total_seconds())) // 60
    return when.strftime("D:%Y%m%d%H%M%S") + f"{sign}{minutes // 60:02d}'{minutes % 60:02d}'"


def _xmp(title: str, author: str | None, when: dt.datetime) -> bytes:
    iso = when.isoformat(timespec="seconds")
    creator = (f"<dc:creator><rdf:Seq><rdf:li>{escape(author)}</rdf:li></rdf:Seq></dc:creator>"
               if author else "")
    xml = f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:pdf="http://ns.adobe.com/pdf/1.3/" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">
<dc:format>application/pdf</dc:format>
<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{escape(title)}</rdf:li></rdf:Alt></dc:title>
{creator}
<xmp:CreateDate>{iso}</xmp:CreateDate>
<xmp:ModifyDate>{iso}</xmp:ModifyDate>
<xmp:MetadataDate>{iso}</xmp:MetadataDate>
<xmp:CreatorTool>{escape(PRODUCER)}</xmp:CreatorTool>
<pdf:Producer>{escape(PRODUCER)}</pdf:Producer>
<pdfaid:part>2</pdfaid:part>
<pdfaid:conformance>B</pdfaid:conformance>
</rdf:Description>
</rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""
    return xml.encode("utf-8")


def _passes_through(header: PageHeader) -> bool:
    """A single-frame greyscale or RGB JPEG is embedded byte for byte, never decoded."""
    return header.format == "JPEG" and header.mode in ("L", "RGB") and header.source.frame == 0


def _image_object(page: LoadedPage | PageHeader) -> tuple[bytes, bytes]:
    """(dictionary entries, stream data) for the page image: JPEG bytes untouched, else lossless Flate."""
    header = page.header if isinstance(page, LoadedPage) else page
    if _passes_through(header):
        data = header.source.path.read_bytes()
        space = "/DeviceGray" if header.mode == "L" else "/DeviceRGB"
        filt = "/DCTDecode"
    else:
        pixels = (page if isinstance(page, LoadedPage) else load_page(page.source)).pixels
        data = zlib.compress(np.ascontiguousarray(pixels).tobytes(), 6)
        space = "/DeviceGray" if pixels.ndim == 2 else "/DeviceRGB"
        filt = "/FlateDecode"
    entries = (f"/Type /XObject /Subtype /Image /Width {header.width} /Height {header.height} "
               f"/ColorSpace {space} /BitsPerComponent 8 /Filter {filt}").encode()
    return entries, data


class PdfAWriter:
    """Write a two-layer PDF/A-2b page by page. Use as a context manager.

    ``add_page`` takes the source page (decoded, or only its header: a JPEG is then never
    decoded), what was recognised (None for an image-only page), the 2×3 matrix from
    recognition coordinates to source pixels, and the clockwise rotation (multiple of 90) a
    viewer must apply to show the page upright.
    """

    def __init__(self, path: str | Path, *, title: str, author: str | None = None,
                 created: dt.datetime | None = None, font: TextFont | None = None) -> None:
        self.path = Path(path)
        self.title, self.author = title, author
        self.created = created or dt.datetime.now(dt.timezone(dt.timedelta(hours=7))).replace(microsecond=0)
        self.font = font or TextFont()
        self._tmp = self.path.with_name(self.path.name + ".part")
        self._fh = open(self._tmp, "wb")
        self._offsets: dict[int, int] = {}
        self._next = max(_FIXED.values()) + 1
        self._pages: list[int] = []
        self._fh.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")

    def __enter__(self) -> PdfAWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self._fh.close()
            self._tmp.unlink(missing_ok=True)

    def _obj(self, num: int, body: bytes, stream: bytes | None = None) -> None:
        self._offsets[num] = self._fh.tell()
        self._fh.write(f"{num} 0 obj\n".encode())
        if stream is None:
            self._fh.write(body)
        else:
            self._fh.write(b"<< " + body + f" /Length {len(stream)} >>\nstream\n".encode())
            self._fh.write(stream)
            self._fh.write(b"\nendstream")
        self._fh.write(b"\nendobj\n")

    def _alloc(self) -> int:
        self._next += 1
        return self._next - 1

    def _text_layer(self, text: PageText, to_source: np.ndarray, height_px: int, dpi: float) -> bytes:
        k = 72.0 / dpi
        to_source_scale = math.sqrt(abs(np.linalg.det(to_source[:, :2])))  # recognition px → scan px
        font = self.font
        em = (font.ascent - font.descent) / font.units_per_em
        ops = [b"BT 3 Tr"]
        for line in text.lines:
            lb = line.box
            size_px = max(lb.height, 1) / em
            size = size_px * to_source_scale * k
            baseline = lb.y1 + font.descent / font.units_per_em * size_px
            ops.append(f"/F1 {size:.2f} Tf".encode())
            for i, word in enumerate(line.words):
                gids = font.glyphs(word.text)
                if not gids:
                    continue
                natural = sum(font.advance(g) for g in gids) / font.units_per_em * size
                if i < len(line.words) - 1:
                    gids += font.glyphs(" ")
                p0, p1 = (to_source @ np.array([[word.box.x0, baseline, 1.0],
                                                 [word.box.x1, baseline, 1.0]]).T).T
                x0, y0 = p0[0] * k, (height_px - p0[1]) * k
                dx, dy = (p1[0] - p0[0]) * k, -(p1[1] - p0[1]) * k
                length = math.hypot(dx, dy)
                if length <= 0 or natural <= 0:
                    continue
                c, s = dx / length, dy / length
                ops.append(f"{c:.5f} {s:.5f} {-s:.5f} {c:.5f} {x0:.2f} {y0:.2f} Tm "
                           f"{100 * length / natural:.2f} Tz".encode())
                ops.append(b"<" + "".join(f"{g:04X}" for g in gids).encode() + b"> Tj")
        ops.append(b"ET")
        return b"\n".join(ops)

    def add_page(self, page: LoadedPage | PageHeader, text: PageText | None, to_source: np.ndarray,
                 rotate: int = 0) -> None:
        if page.dpi is None:
            raise PdfError(f"{page.source.page_id}: resolution unknown, cannot size the PDF page")
        header = page.header if isinstance(page, LoadedPage) else page
        h, w = header.height, header.width
        k = 72.0 / page.dpi
        width_pt, height_pt = w * k, h * k
        image_num, content_num, page_num = self._alloc(), self._alloc(), self._alloc()
        entries, data = _image_object(page)
        self._obj(image_num, entries, data)
        content = f"q {width_pt:.3f} 0 0 {height_pt:.3f} 0 0 cm /Im0 Do Q\n".encode()
        if text is not None and text.lines:
            content += self._text_layer(text, to_source, h, page.dpi)
        self._obj(content_num, b"/Filter /FlateDecode", zlib.compress(content, 6))
        rotate_entry = f" /Rotate {rotate % 360}" if rotate % 360 else ""
        self._obj(page_num, (
            f"<< /Type /Page /Parent {_FIXED['pages']} 0 R /MediaBox [0 0 {width_pt:.3f} {height_pt:.3f}]"
            f"{rotate_entry} /Resources << /XObject << /Im0 {image_num} 0 R >> "
            f"/Font << /F1 {_FIXED['type0']} 0 R >> >> /Contents {content_num} 0 R >>").encode())
        self._pages.append(page_num)

    def _write_font(self) -> None:
        font = self.font
        if not font.used:
            font.glyphs(" ")  # a font with no glyph at all is not a valid program
        name = f"{font.subset_tag()}+{re.sub(r'[^A-Za-z0-9-]', '', font.name)}"
        widths = " ".join(f"{g} [{font.width_1000(g)}]" for g in sorted(font.used))
        self._obj(_FIXED["type0"], (
            f"<< /Type /Font /Subtype /Type0 /BaseFont /{name} /Encoding /Identity-H "
            f"/DescendantFonts [{_FIXED['cidfont']} 0 R] /ToUnicode {_FIXED['tounicode']} 0 R >>").encode())
        self._obj(_FIXED["cidfont"], (
            f"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /{name} "
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
            f"/FontDescriptor {_FIXED['descriptor']} 0 R /CIDToGIDMap /Identity "
            f"/DW {font.width_1000(0)} /W [{widths}] >>").encode())
        scale = 1000 / font.units_per_em
        bbox = " ".join(str(round(v * scale)) for v in font.bbox)
        self._obj(_FIXED["descriptor"], (
            f"<< /Type /FontDescriptor /FontName /{name} /Flags 4 /FontBBox [{bbox}] "
            f"/ItalicAngle 0 /Ascent {round(font.ascent * scale)} /Descent {round(font.descent * scale)} "
            f"/CapHeight {round(font.ascent * scale)} /StemV 80 /FontFile2 {_FIXED['fontfile']} 0 R >>").encode())
        program = font.subset_program()
        self._obj(_FIXED["fontfile"], f"/Length1 {len(program)} /Filter /FlateDecode".encode(),
                  zlib.compress(program, 9))
        entries = sorted(font.used.items())
        chunks = [entries[i:i + 100] for i in range(0, len(entries), 100)]
        body = "".join(f"{len(c)} beginbfchar\n" + "".join(
            f"<{g:04X}> <{t.encode('utf-16-be').hex().upper()}>\n" for g, t in c) + "endbfchar\n"
            for c in chunks)
        cmap = ("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
                "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
                "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
                "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
                f"{body}endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n")
        self._obj(_FIXED["tounicode"], b"/Filter /FlateDecode", zlib.compress(cmap.encode("ascii")))

    def close(self) -> None:
        """Write fonts, metadata, page tree and cross-reference table; move the file in place."""
        if not self._pages:
            self._fh.close()
            self._tmp.unlink(missing_ok=True)
            raise PdfError(f"{self.path}: no pages to write")
        self._write_font()
        kids = " ".join(f"{p} 0 R" for p in self._pages)
        self._obj(_FIXED["pages"], f"<< /Type /Pages /Kids [{kids}] /Count {len(self._pages)} >>".encode())
        self._obj(_FIXED["metadata"], b"/Type /Metadata /Subtype /XML",
                  _xmp(self.title, self.author, self.created))
        self._obj(_FIXED["icc"], b"/N 3", srgb_profile())
        self._obj(_FIXED["catalog"], (
            f"<< /Type /Catalog /Pages {_FIXED['pages']} 0 R /Metadata {_FIXED['metadata']} 0 R "
            "/OutputIntents [<< /Type /OutputIntent /S /GTS_PDFA1 /OutputConditionIdentifier (sRGB) "
            f"/Info (sRGB IEC61966-2.1) /DestOutputProfile {_FIXED['icc']} 0 R >>] /Lang (vi-VN) >>").encode())
        date = _pdf_date(self.created).encode()
        info = [b"/Title " + _pdf_string(self.title), b"/Producer " + _pdf_string(PRODUCER),
                b"/Creator " + _pdf_string(PRODUCER), b"/CreationDate (" + date + b")",
                b"/ModDate (" + date + b")"]
        if self.author:
            info.append(b"/Author " + _pdf_string(self.author))
        self._obj(_FIXED["info"], b"<< " + b" ".join(info) + b" >>")
        xref = self._fh.tell()
        size = self._next
        self._fh.write(f"xref\n0 {size}\n0000000000 65535 f \n".encode())
        for num in range(1, size):
            self._fh.write(f"{self._offsets[num]:010d} 00000 n \n".encode())
        doc_id = hashlib.md5(f"{self.title}|{self.created.isoformat()}|{kids}".encode()).hexdigest()
        self._fh.write((f"trailer\n<< /Size {size} /Root {_FIXED['catalog']} 0 R /Info {_FIXED['info']} 0 R "
                        f"/ID [<{doc_id}> <{doc_id}>] >>\nstartxref\n{xref}\n%%EOF\n").encode())
        self._fh.close()
        self._tmp.replace(self.path)


def _letters(text: str) -> str:
    """NFC text without whitespace: extractors disagree on spaces, never on letters."""
    return "".join(unicodedata.normalize("NFC", text).split())


def _check_syntax(pdf) -> list[str]:
    """qpdf's ``--check`` without decoding JPEG images (most of its time on a scanned document): every other
    stream is decoded, every page's content stream parsed, and a JPEG's header must agree with its image
    dictionary (size and components)."""
    import pikepdf
    from PIL import Image

    problems = []
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Stream):
            continue
        try:
            if obj.get("/Filter") == pikepdf.Name.DCTDecode:
                with Image.open(io.BytesIO(obj.read_raw_bytes())) as jpeg:
                    size, bands = jpeg.size, len(jpeg.getbands())
                want_bands = 1 if obj.get("/ColorSpace") == pikepdf.Name.DeviceGray else 3
                if size != (int(obj.Width), int(obj.Height)) or bands != want_bands:
                    problems.append(f"JPEG image {obj.objgen} is {size[0]}×{size[1]}×{bands}, its dictionary says "
                                    f"{obj.Width}×{obj.Height}×{want_bands}")
            else:
                obj.read_bytes()
        except (pikepdf.PdfError, OSError, SyntaxError, ValueError) as exc:
            problems.append(f"stream {obj.objgen} cannot be decoded: {exc}")
    for number, page in enumerate(pdf.pages, start=1):
        try:
            pikepdf.parse_content_stream(page)
        except pikepdf.PdfError as exc:
            problems.append(f"page {number}: {exc}")
    if not len(pdf.pages):
        problems.append("file does not contain any pages")
    problems += [f"WARNING: {w}" for w in pdf.get_warnings()]
    return [f"syntax: {p}" for p in problems]


def _check_encryption(pdf) -> list[str]:
    return ["encrypted"] if pdf.is_encrypted else []


def _check_trailer_id(pdf) -> list[str]:
    return [] if "/ID" in pdf.trailer else ["trailer has no /ID"]


def _check_xmp_identification(pdf) -> list[str]:
    meta = pdf.open_metadata()
    if str(meta.get("pdfaid:part")) != "2" or str(meta.get("pdfaid:conformance")) != "B":
        return [f"XMP identification is part={meta.get('pdfaid:part')} "
                f"conformance={meta.get('pdfaid:conformance')}, expected 2/B"]
    return []


def _check_info_matches_xmp(pdf) -> list[str]:
    """Title, producer, creator, author and creation date say the same in the info dictionary and XMP."""
    problems = []
    meta, info = pdf.open_metadata(), pdf.docinfo
    pairs = {"/Title": "dc:title", "/Producer": "pdf:Producer", "/Creator": "xmp:CreatorTool",
             "/Author": "dc:creator"}
    for key, prop in pairs.items():
        if key in info:
            xmp_value = meta.get(prop)
            xmp_value = ", ".join(xmp_value) if isinstance(xmp_value, list) else xmp_value
            if str(info[key]) != str(xmp_value):
                problems.append(f"info {key} {str(info[key])!r} differs from XMP {prop} {xmp_value!r}")
    created = str(info.get("/CreationDate", ""))
    xmp_created = str(meta.get("xmp:CreateDate", ""))
    if created and xmp_created and _pdf_date(dt.datetime.fromisoformat(xmp_created)) != created:
        problems.append(f"info /CreationDate {created} differs from XMP xmp:CreateDate {xmp_created}")
    return problems


def _check_output_intent(pdf) -> list[str]:
    """A GTS_PDFA1 output intent whose ICC profile can be read."""
    from PIL import ImageCms

    intents = pdf.Root.get("/OutputIntents") or []
    pdfa_intents = [i for i in intents if i.get("/S") == "/GTS_PDFA1"]
    problems = [] if pdfa_intents else ["no GTS_PDFA1 output intent"]
    for intent in pdfa_intents:
        profile = intent.get("/DestOutputProfile")
        try:
            ImageCms.ImageCmsProfile(io.BytesIO(profile.read_bytes()))
        except (AttributeError, OSError, ImageCms.PyCMSError) as exc:
            problems.append(f"output intent ICC profile unreadable: {exc}")
    return problems


def _font_problems(obj) -> list[str]:
    """A font object: every font program embedded, a ToUnicode map."""
    if obj.get("/Type") != "/Font" or obj.get("/Subtype") not in ("/Type0", "/TrueType", "/Type1"):
        return []
    problems = []
    fonts = [obj] if obj.get("/Subtype") != "/Type0" else list(obj.DescendantFonts)
    for f in fonts:
        desc = f.get("/FontDescriptor")
        if desc is None or not any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3")):
            problems.append(f"font {f.get('/BaseFont')} not embedded")
    if "/ToUnicode" not in obj:
        problems.append(f"font {obj.get('/BaseFont')} has no ToUnicode map")
    return problems


def _forbidden_problems(obj) -> list[str]:
    """What PDF/A forbids in any object: JavaScript, LZW, interpolated images."""
    import pikepdf

    problems = []
    if "/S" in obj and obj.get("/S") == "/JavaScript":
        problems.append("JavaScript action present")
    if isinstance(obj, pikepdf.Stream):
        filters = obj.get("/Filter")
        names = list(filters) if isinstance(filters, pikepdf.Array) else [filters]
        if pikepdf.Name.LZWDecode in names:
            problems.append("LZW-compressed stream")
        if obj.get("/Subtype") == "/Image" and bool(obj.get("/Interpolate", False)):
            problems.append("image with /Interpolate true")
    return problems


def _check_objects(pdf) -> list[str]:
    """Every dictionary and stream, in file order: fonts, then what PDF/A forbids."""
    import pikepdf

    problems = []
    for obj in pdf.objects:
        if isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
            problems += _font_problems(obj) + _forbidden_problems(obj)
    return problems


_CHECKS = (_check_syntax, _check_encryption, _check_trailer_id, _check_xmp_identification,
           _check_info_matches_xmp, _check_output_intent, _check_objects)


def _check_text_layer(path: Path, expected_text: str) -> list[str]:
    """``pdftotext`` gives back *expected_text*'s characters in the same order (NFC; whitespace ignored)."""
    try:
        extracted = poppler.pdftotext(path)
    except OcrEngineError as exc:
        return [f"text extraction failed: {exc}"]
    got, want = _letters(extracted), _letters(expected_text)
    if got == want:
        return []
    first = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
    return [f"text layer round trip differs at character {first}: "
            f"got {got[first:first + 12]!r}, expected {want[first:first + 12]!r}"]


def validate_pdfa(path: str | Path, *, expected_text: str | None = None) -> list[str]:
    """Problems found in *path* as a PDF/A-2b two-layer document; an empty list means none.

    Checks, in order (``_CHECKS``): syntax (qpdf via pikepdf), no encryption, a trailer ID, XMP with pdfaid
    part 2 / conformance B, document info (title, producer, creator, author, creation date) in sync with XMP,
    an sRGB output intent with a readable ICC profile, every font embedded with a ToUnicode map, no LZW or
    JavaScript, images not interpolated. With *expected_text*, ``pdftotext`` must give back the same characters
    in the same order (NFC; whitespace ignored). veraPDF-level conformance is not claimed.
    """
    import pikepdf

    try:
        pdf = pikepdf.open(path)
    except pikepdf.PdfError as exc:
        return [f"not a readable PDF: {exc}"]
    with pdf:
        problems = [problem for check in _CHECKS for problem in check(pdf)]
    if expected_text is not None:
        problems += _check_text_layer(Path(path), expected_text)
    return problems
