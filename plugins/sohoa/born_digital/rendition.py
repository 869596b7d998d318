"""The access copy of a born-digital văn bản: a PDF/A-2b made beside the signed original, never instead of it.

OCRmyPDF (its own pikepdf PDF/A backend, Tesseract ``vie`` for pages that are only an image) reads the original
and writes a new file; pages that carry their own text keep it (``mode="skip"``: the text layer comes
from the PDF itself), image-only pages get an OCR text layer. The signatures are not carried into the copy —
they belong to the original, which stays the preservation master. An original that already declares PDF/A
needs no copy: :func:`needs_rendition` says so, and the original serves as its own access copy.

Before OCRmyPDF sees it, a temporary working copy drops what has no place in an access copy and that PDF/A
forbids or OCRmyPDF's own (Ghostscript-free) PDF/A backend does not convert: the signature fields and their
widgets (``/AcroForm``, ``/Perms``, ``/DSS``, the ESIC/ISO ``/Extensions`` of PAdES), the catalogue's ``/Version``
(pyHanko and some signing tools write 2.0), ``/OpenAction``. Ghostscript is not used: Debian 12's 10.0.0
corrupts PDFs with existing text.

The copy is checked with :func:`ocr_engine.pdf.validate_pdfa` (XMP identification, output intent, fonts
embedded, no JavaScript, …) before it is used.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

from ocr_engine.pdf import validate_pdfa

from . import BornDigitalError
from .pdfinfo import PdfFacts

log = logging.getLogger(__name__)
LANGUAGE = "vie"
PDFA_PARTS = ("1", "2", "3")  # an original declaring any PDF/A part is kept as its own access copy


class RenditionError(BornDigitalError):
    """The PDF/A-2b access copy could not be made or failed validation; the message names the file."""


@dataclass(frozen=True)
class Rendition:
    path: Path
    ocr_pages: list[int]  # 1-based pages whose text layer came from OCR
    cpu_seconds: float  # this process and its children (Tesseract runs as a child process)
    problems: list[str]  # validate_pdfa's findings on the copy (empty when sound)


def needs_rendition(facts: PdfFacts) -> bool:
    """False when the original already declares PDF/A (it is then its own access copy)."""
    return not (facts.pdfa and facts.pdfa[0] in PDFA_PARTS)


CREATION_DATE_PROBLEM = re.compile(r"^info /CreationDate D:(\d{14})([+-]\d\d)'(\d\d)'? differs from XMP "
                                   r"xmp:CreateDate (\S+)$")


def _same_creation_date(problem: str) -> bool:
    """validate_pdfa compares the info date as text and wants ``+07'00'``; OCRmyPDF writes the equally valid
    ``+07'00`` (the closing apostrophe is optional since PDF 1.7). True when the two name the same moment."""
    match = CREATION_DATE_PROBLEM.match(problem)
    if not match:
        return False
    stamp, hours, minutes, xmp = match.groups()
    info = dt.datetime.strptime(stamp + hours + minutes, "%Y%m%d%H%M%S%z")
    return info == dt.datetime.fromisoformat(xmp)


def _working_copy(original: Path, target: Path) -> None:
    """A copy of ``original`` without signature fields, catalogue version and open action (see module doc)."""
    import pikepdf

    with pikepdf.open(original) as pdf:
        for key in ("/AcroForm", "/Perms", "/Version", "/OpenAction", "/Extensions", "/DSS"):
            if key in pdf.Root:
                del pdf.Root[key]
        for page in pdf.pages:
            annots = page.obj.get("/Annots")
            if annots is not None:
                kept = [a for a in annots if not (a.get("/Subtype") == "/Widget" and a.get("/FT") == "/Sig")]
                if kept:
                    page.obj.Annots = pikepdf.Array(kept)
                else:
                    del page.obj["/Annots"]
        pdf.save(target)


def _cpu_seconds() -> float:
    now = os.times()
    return now.user + now.system + now.children_user + now.children_system


def make_rendition(original: Path, target: Path, facts: PdfFacts, *, title: str, author: str | None = None,
                   ocr: bool = True) -> Rendition:
    """Write the PDF/A-2b access copy of ``original`` to ``target``. Raises RenditionError when OCRmyPDF or
    Ghostscript fails, or the result is not a sound PDF/A-2b. ``original`` is only read."""
    import ocrmypdf

    ocr_pages = facts.image_only_pages() if ocr else []
    started = _cpu_seconds()
    work = target.with_name(target.name + ".work.pdf")
    try:
        _working_copy(original, work)
        ocrmypdf.ocr(work, target, language=[LANGUAGE], output_type="pdfa-2", pdfa_backend="internal", mode="skip",
                     invalidate_digital_signatures=True, jobs=1, use_threads=True, progress_bar=False,
                     optimize=0, title=title, author=author or "", pages=None if ocr else "",
                     tesseract_timeout=180 if ocr else 0)
    except ocrmypdf.exceptions.ExitCodeException as exc:
        raise RenditionError(f"PDF/A-2b rendition of {original.name} failed: {type(exc).__name__}: {exc}") from exc
    finally:
        work.unlink(missing_ok=True)
    cpu = _cpu_seconds() - started
    problems = [p for p in validate_pdfa(target) if not _same_creation_date(p)]
    if problems:
        raise RenditionError(f"PDF/A-2b rendition of {original.name} is not sound: {'; '.join(problems)}")
    log.info("PDF/A-2b rendition of %s: %d pages, OCR on %s, %.2f CPU s", original.name,
             facts.pages, ocr_pages or "none", cpu)
    return Rendition(target, ocr_pages, cpu, problems)
