"""The form of a Vietnamese administrative document (Nghị định 30/2020/NĐ-CP, Phụ lục I), as a Word document.

:class:`Nd30Document` lays out what the decree fixes, leaving the content to the caller: A4 paper and its
margins, Times New Roman throughout (black, headings included), the header block (cơ quan chủ quản and cơ quan
ban hành with the rule under it, số and ký hiệu; quốc hiệu, tiêu ngữ with its rule, địa danh and date), the
document type and trích yếu with the rule under them, body paragraphs (justified, first line indented, 6 pt
apart), the closing "./.", the signing block (quyền hạn, chức vụ, room for signature and seal, họ tên) beside
nơi nhận, and page numbers from page 2 on. :class:`Issuer` says who issues it.

Sizes and margins are the decree's (mm, pt); the length of each horizontal rule is measured from the text it
underlines with Liberation Serif, which has the metrics of Times New Roman.
"""
from __future__ import annotations

import datetime as dt
import functools
import io
from dataclasses import dataclass, field
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt, RGBColor

FONT = "Times New Roman"
BLACK = RGBColor(0, 0, 0)
A4 = (Mm(210), Mm(297))
MARGINS = {"top": Mm(20), "bottom": Mm(20), "left": Mm(30), "right": Mm(15)}  # decree: 20-25, 20-25, 30-35, 15-20
BODY_PT = 14  # body text 13-14 pt
HEADER_PT = 12  # quốc hiệu, tên cơ quan: 12-13 pt (12 keeps quốc hiệu on one line in its column)
NUMBER_PT = 13  # số, ký hiệu: 13 pt
TIEU_NGU_PT = 13  # tiêu ngữ, địa danh and date: 13-14 pt
NOI_NHAN_PT, NOI_NHAN_LIST_PT = 12, 11
TABLE_PT = 12
FIRST_LINE_INDENT = Cm(1.27)  # decree: 1 cm or 1.27 cm
QUOC_HIEU = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
TIEU_NGU = "Độc lập - Tự do - Hạnh phúc"
LEFT_COLUMN, RIGHT_COLUMN = Cm(6.3), Cm(10.2)  # the header block's two columns across the 16.5 cm text width
SERIF_FILES = {False: "LiberationSerif-Regular.ttf", True: "LiberationSerif-Bold.ttf"}
FONT_DIRS = (Path("/usr/share/fonts/truetype/liberation2"), Path("/usr/share/fonts/truetype/liberation"))


@dataclass(frozen=True)
class Issuer:
    """Who issues the document: names as written in the header (capitals), ký hiệu, place, signatory, recipients."""

    name: str  # tên cơ quan ban hành, e.g. "SỞ NGOẠI VỤ"
    parent: str = ""  # tên cơ quan chủ quản, e.g. "ỦY BAN NHÂN DÂN THÀNH PHỐ HẢI PHÒNG"
    symbol: str = ""  # chữ viết tắt tên cơ quan in the ký hiệu, e.g. "SNgV"
    place: str = "Hải Phòng"  # địa danh
    authority: str = ""  # quyền hạn and chức vụ of the one signing for the head, e.g. "KT. GIÁM ĐỐC"
    title: str = "GIÁM ĐỐC"  # chức vụ of the signatory
    signer: str = ""  # họ và tên; empty leaves the line for the văn thư to fill
    recipients: tuple[str, ...] = ()  # nơi nhận, before "Lưu"
    archive: str = "VT"  # "Lưu: VT, ..." — the văn thư's copy and the drafting unit's


def place_and_date(day: dt.date, place: str) -> str:
    """The date line: day < 10 and months 1–2 take a leading zero ("Hải Phòng, ngày 05 tháng 02 năm 2026")."""
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    return f"{place}, ngày {day.day:02d} tháng {month} năm {day.year}"


def number_line(type_code: str, issuer: Issuer, number: str = "") -> str:
    """``Số: 15/BC-SNgV``; without a number the space is left for the văn thư to write it when registering."""
    symbol = "-".join(part for part in (type_code, issuer.symbol) if part)
    return f"Số: {number or ' ' * 6}/{symbol}"


@functools.cache
def _font(bold: bool, size: float):
    from PIL import ImageFont

    for folder in FONT_DIRS:
        if (folder / SERIF_FILES[bold]).exists():
            return ImageFont.truetype(str(folder / SERIF_FILES[bold]), round(size * 20))
    return None


def text_width(text: str, size_pt: float, bold: bool) -> Pt:
    """Width of ``text`` set in Times New Roman at ``size_pt`` (measured with Liberation Serif; 0.5 em per
    character when that font is missing)."""
    font = _font(bold, size_pt)
    if font is None:
        return Pt(len(text) * size_pt * 0.5)
    return Pt(font.getlength(text) / 20)


def _set_run(run, size: float, bold: bool = False, italic: bool = False) -> None:
    run.font.name, run.font.size, run.bold, run.italic = FONT, Pt(size), bold, italic
    run.font.color.rgb = BLACK
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)


def _bottom_rule(paragraph) -> None:
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    paragraph._p.get_or_add_pPr().append(borders)


def _no_borders(table) -> None:
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    table._tbl.tblPr.append(borders)


def _widths(table, widths) -> None:
    """Fixed column widths (Word reads the cells', LibreOffice the grid's: both are set)."""
    table.autofit = False
    for column, width in zip(table.columns, widths):
        column.width = width
        for cell in column.cells:
            cell.width = width


def _field(paragraph, instruction: str, size: float) -> None:
    run = paragraph.add_run()
    _set_run(run, size)
    simple = OxmlElement("w:fldSimple")
    simple.set(qn("w:instr"), instruction)
    simple.append(run._r)
    paragraph._p.append(simple)


@dataclass
class Nd30Document:
    """A document in the decree's form. Build it in reading order: :meth:`header`, :meth:`title`, the content
    (:meth:`heading`, :meth:`paragraph`, :meth:`table`, :meth:`picture`), then :meth:`signature`; :meth:`save`."""

    issuer: Issuer
    doc: object = field(default_factory=Document)

    def __post_init__(self) -> None:
        section = self.doc.sections[0]
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = A4
        section.top_margin, section.bottom_margin = MARGINS["top"], MARGINS["bottom"]
        section.left_margin, section.right_margin = MARGINS["left"], MARGINS["right"]
        section.header_distance = section.footer_distance = Mm(10)
        for name in ("Normal", "Heading 1", "Heading 2", "Heading 3", "Title", "List Bullet", "Table Grid"):
            style = self.doc.styles[name]
            style.font.name, style.font.color.rgb = FONT, BLACK
            fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
            fonts.set(qn("w:eastAsia"), FONT)
            for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):  # a theme font wins
                fonts.attrib.pop(qn(theme), None)
        self.doc.styles["Normal"].font.size = Pt(BODY_PT)
        for name in ("Heading 1", "Heading 2", "Heading 3"):
            style = self.doc.styles[name]
            style.font.size, style.font.bold, style.font.italic = Pt(BODY_PT), True, False
            style.paragraph_format.space_before, style.paragraph_format.space_after = Pt(6), Pt(6)
            style.paragraph_format.keep_with_next = True
        self._page_numbers(section)

    def _page_numbers(self, section) -> None:
        """Arabic page numbers, centred at the top, from the second page on (the decree: not on page 1)."""
        section.different_first_page_header_footer = True
        paragraph = section.header.paragraphs[0]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _field(paragraph, "PAGE", BODY_PT)

    def _line(self, container, text: str, size: float, *, bold: bool = False, italic: bool = False,
              align=WD_ALIGN_PARAGRAPH.CENTER, after: float = 0):
        paragraph = container.add_paragraph()
        paragraph.alignment = align
        paragraph.paragraph_format.space_before, paragraph.paragraph_format.space_after = Pt(0), Pt(after)
        paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
        if text:
            _set_run(paragraph.add_run(text), size, bold, italic)
        return paragraph

    def _rule(self, container, width: Pt, column: Pt) -> None:
        """A horizontal rule ``width`` long, centred in a column ``column`` wide."""
        paragraph = self._line(container, "", 1, after=2)
        side = max(0, int((column - width) / 2))
        paragraph.paragraph_format.left_indent = paragraph.paragraph_format.right_indent = side
        _bottom_rule(paragraph)
        _set_run(paragraph.add_run(""), 1)

    def header(self, type_code: str, day: dt.date, number: str = "") -> None:
        """The header block: cơ quan and số on the left; quốc hiệu, tiêu ngữ and the date line on the right."""
        table = self.doc.add_table(rows=1, cols=2)
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        _no_borders(table)
        _widths(table, (LEFT_COLUMN, RIGHT_COLUMN))
        left, right = table.rows[0].cells
        for cell in (left, right):
            cell._element.remove(cell.paragraphs[0]._p)
        if self.issuer.parent:
            self._line(left, self.issuer.parent, HEADER_PT)
        self._line(left, self.issuer.name, HEADER_PT, bold=True)
        self._rule(left, text_width(self.issuer.name, HEADER_PT, True) * 0.4, LEFT_COLUMN)
        self._line(left, number_line(type_code, self.issuer, number), NUMBER_PT, after=6)
        self._line(right, QUOC_HIEU, HEADER_PT, bold=True)
        self._line(right, TIEU_NGU, TIEU_NGU_PT, bold=True)
        self._rule(right, text_width(TIEU_NGU, TIEU_NGU_PT, True), RIGHT_COLUMN)
        self._line(right, place_and_date(day, self.issuer.place), TIEU_NGU_PT, italic=True, after=6)

    def title(self, type_name: str, summary: str) -> None:
        """Tên loại (capitals) and trích yếu, bold and centred, with a rule a third of the summary's length."""
        self._line(self.doc, "", BODY_PT, after=6)
        self._line(self.doc, type_name.upper(), BODY_PT, bold=True)
        self._line(self.doc, summary, BODY_PT, bold=True)
        width = min(text_width(summary, BODY_PT, True), Cm(16)) / 3
        self._rule(self.doc, width, self.doc.sections[0].page_width - MARGINS["left"] - MARGINS["right"])
        self._line(self.doc, "", BODY_PT, after=6)

    def heading(self, text: str, level: int = 1) -> None:
        """A section heading: bold, black (level 1: "I. …"; level 2: "1. …"; level 3: italic bold)."""
        paragraph = self.doc.add_heading("", level=level)
        paragraph.paragraph_format.first_line_indent = FIRST_LINE_INDENT if level > 1 else None
        _set_run(paragraph.add_run(text), BODY_PT, bold=True, italic=level >= 3)

    def paragraph(self, text: str, *, italic: bool = False) -> None:
        """Body text: justified, first line indented, 6 pt after, single-to-1.2 line spacing."""
        paragraph = self.doc.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        fmt = paragraph.paragraph_format
        fmt.first_line_indent, fmt.space_before, fmt.space_after = FIRST_LINE_INDENT, Pt(0), Pt(6)
        fmt.line_spacing = 1.15
        _set_run(paragraph.add_run(text), BODY_PT, italic=italic)

    def table(self, header: list[str], rows: list[list[str]], widths: list[float] | None = None,
              numeric: frozenset[int] = frozenset()) -> None:
        """A bordered table (Times New Roman 12): bold centred header repeated on every page, numbers (columns
        in ``numeric``) right-aligned; ``widths`` in cm."""
        table = self.doc.add_table(rows=1, cols=len(header))
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        head = table.rows[0]
        head_pr = head._tr.get_or_add_trPr()
        repeat = OxmlElement("w:tblHeader")
        repeat.set(qn("w:val"), "true")
        head_pr.append(repeat)
        for i, text in enumerate(header):
            self._cell(head.cells[i], text, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
        for row in rows:
            cells = table.add_row().cells
            for i, text in enumerate(row):
                self._cell(cells[i], text, align=WD_ALIGN_PARAGRAPH.RIGHT if i in numeric else
                           WD_ALIGN_PARAGRAPH.LEFT)
        if widths:
            _widths(table, [Cm(w) for w in widths])
        self._line(self.doc, "", 6)

    def _cell(self, cell, text: str, *, bold: bool = False, align=WD_ALIGN_PARAGRAPH.LEFT) -> None:
        paragraph = cell.paragraphs[0]
        paragraph.alignment = align
        paragraph.paragraph_format.space_after = Pt(0)
        _set_run(paragraph.add_run(text), TABLE_PT, bold=bold)

    def picture(self, data: bytes, width_cm: float = 16, caption: str = "") -> None:
        """A chart, centred, at most the text width, with an italic caption under it."""
        self.doc.add_picture(io.BytesIO(data), width=Cm(width_cm))
        self.doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
        if caption:
            self._line(self.doc, caption, TABLE_PT, italic=True, after=6)

    def signature(self) -> None:
        """The closing "./." is the caller's last sentence; this adds nơi nhận (left) beside the signing block
        (right): quyền hạn and chức vụ in bold capitals, room for signature and seal, họ và tên in bold."""
        self.doc.paragraphs[-1].paragraph_format.keep_with_next = True  # the closing sentence stays with it
        table = self.doc.add_table(rows=1, cols=2)
        _no_borders(table)
        _widths(table, (Cm(8), Cm(8.5)))
        whole = OxmlElement("w:cantSplit")  # the block is never split over two pages
        whole.set(qn("w:val"), "true")
        table.rows[0]._tr.get_or_add_trPr().append(whole)
        left, right = table.rows[0].cells
        for cell in (left, right):
            cell._element.remove(cell.paragraphs[0]._p)
        self._line(left, "Nơi nhận:", NOI_NHAN_PT, bold=True, italic=True, align=WD_ALIGN_PARAGRAPH.LEFT)
        recipients = [f"- {r};" for r in self.issuer.recipients] + [f"- Lưu: {self.issuer.archive}."]
        for line in recipients:
            self._line(left, line, NOI_NHAN_LIST_PT, align=WD_ALIGN_PARAGRAPH.LEFT)
        authority = self.issuer.authority
        if authority:
            self._line(right, authority, HEADER_PT, bold=True)
        self._line(right, self.issuer.title, HEADER_PT, bold=True)
        for _ in range(4):
            self._line(right, "", BODY_PT)
        self._line(right, self.issuer.signer or "(ký, đóng dấu, ghi rõ họ tên)",
                   BODY_PT, bold=bool(self.issuer.signer), italic=not self.issuer.signer)

    def save(self, path: Path, *, title: str, author: str) -> Path:
        self.doc.core_properties.title, self.doc.core_properties.author = title, author
        self.doc.core_properties.language = "vi-VN"
        path.parent.mkdir(parents=True, exist_ok=True)
        self.doc.save(path)
        return path
