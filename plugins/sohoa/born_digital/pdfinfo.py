"""What an archive must know about a submitted PDF before keeping it: read with pikepdf (qpdf), never written.

:func:`inspect_pdf` returns the PDF version, page count, PDF/A identification (from the XMP ``pdfaid``),
encryption, JavaScript or other active content, embedded files, and the text of each page (pdfium), which
says which pages need OCR for the access copy and feeds metadata extraction.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf
import pypdfium2

from ..intake.checks import Problem

# A page with fewer letters than this in its own text layer is taken for an image-only page (a scan): the
# access copy OCRs it. A signed scan often carries a one-line stamp of text ("Ký bởi: …"), hence not zero.
MIN_PAGE_LETTERS = 40
ACTIVE_KEYS = ("/JS", "/JavaScript")
ACTIVE_ACTIONS = ("/JavaScript", "/Launch", "/ImportData", "/SubmitForm", "/RichMediaExecute")


@dataclass
class PdfFacts:
    version: str = ""
    pages: int = 0
    pdfa: str | None = None  # e.g. "2B"; None when the file does not declare PDF/A
    encrypted: bool = False
    javascript: bool = False
    embedded_files: list[str] = field(default_factory=list)
    page_texts: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # rejections
    flags: list[Problem] = field(default_factory=list)  # accepted, told

    @property
    def text(self) -> str:
        return "\n".join(self.page_texts)

    def image_only_pages(self) -> list[int]:
        """1-based numbers of the pages whose own text layer is (nearly) empty."""
        return [n for n, text in enumerate(self.page_texts, start=1)
                if sum(ch.isalpha() for ch in text) < MIN_PAGE_LETTERS]


def _pdfa_of(pdf: pikepdf.Pdf) -> str | None:
    try:
        meta = pdf.open_metadata()
    except (pikepdf.PdfError, ValueError):
        return None
    part, conformance = meta.get("pdfaid:part"), meta.get("pdfaid:conformance")
    return f"{part}{(conformance or '').upper()}" if part else None


def _active_content(pdf: pikepdf.Pdf) -> bool:
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Dictionary):
            if any(key in obj for key in ACTIVE_KEYS) and "/S" not in obj:
                return True
            if obj.get("/S") in ACTIVE_ACTIONS:
                return True
    names = pdf.Root.get("/Names")
    return bool(names is not None and "/JavaScript" in names)


def _page_texts(path: Path, password: str | None) -> list[str]:
    document = pypdfium2.PdfDocument(str(path), password=password)
    try:
        texts = []
        for page in document:
            textpage = page.get_textpage()
            texts.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return [re.sub(r"\r\n?", "\n", t) for t in texts]
    finally:
        document.close()


def inspect_pdf(path: str | Path) -> PdfFacts:
    """Facts, problems and flags of the PDF at ``path``. Never raises for a bad file (problem ``pdf_unreadable``)."""
    path = Path(path)
    facts = PdfFacts()
    try:
        with pikepdf.open(path) as pdf:
            facts.version, facts.pages = pdf.pdf_version, len(pdf.pages)
            facts.encrypted = pdf.is_encrypted
            facts.pdfa = _pdfa_of(pdf)
            facts.javascript = _active_content(pdf)
            facts.embedded_files = sorted(pdf.attachments.keys())
    except pikepdf.PasswordError:
        facts.encrypted = True
        facts.problems.append(Problem("pdf_encrypted_password", "tệp PDF được mã hóa bằng mật khẩu: không đọc "
                                                                "được; đề nghị nộp bản không đặt mật khẩu"))
        return facts
    except (pikepdf.PdfError, OSError, ValueError) as exc:
        facts.problems.append(Problem("pdf_unreadable", f"không đọc được tệp PDF (hỏng hoặc bị cắt cụt): {exc}"))
        return facts
    if facts.encrypted:
        facts.problems.append(Problem("pdf_encrypted", "tệp PDF được mã hóa (hạn chế quyền in, sao chép): tài "
                                                       "liệu lưu trữ không được mã hóa; đề nghị nộp bản không "
                                                       "mã hóa"))
    if facts.javascript:
        facts.problems.append(Problem("pdf_javascript", "tệp PDF chứa mã JavaScript hoặc lệnh tự chạy: không "
                                                        "nhận; đề nghị xuất lại tệp PDF không có mã"))
    if facts.embedded_files:
        facts.flags.append(Problem("pdf_embedded_files",
                                   f"tệp PDF có {len(facts.embedded_files)} tệp đính kèm bên trong "
                                   f"({', '.join(facts.embedded_files)}): được giữ nguyên trong bản gốc, "
                                   "không có trong bản PDF/A để khai thác"))
    try:
        facts.page_texts = _page_texts(path, "" if facts.encrypted else None)
    except pypdfium2.PdfiumError as exc:
        facts.problems.append(Problem("pdf_unreadable", f"không hiển thị được nội dung tệp PDF: {exc}"))
    return facts
