"""An archivist's correction of one OCR'd line, kept as a new text version of its page.

A page's text is at a version (``trang.text_version``; 1 is the OCR's reading). :func:`correct_line` replaces the
text of one line of the current version and, in one transaction that holds the page's row:

* stores the new version's ``words.json``, ALTO and text in ``derivatives`` under version-numbered keys
  (:func:`sohoa.processing.keys.text_version`); the earlier versions' objects are never overwritten;
* adds a ``trang_text_version`` row (and the OCR's version 1 row, the first time a page is corrected);
* points the page (``ocr_text``, ``derivative_keys``, ``alto_key``) at the new version and re-indexes it for search;
* records a PREMIS ``modification`` event with the old and the new line, by the archivist.

The save is refused (:class:`CorrectionConflict`) unless the page is still at the version the archivist corrected
from, so of two archivists correcting at once the later one is told instead of silently overwriting. Then
:func:`rebuild_pdf` rebuilds the PDF/A of the văn bản holding the page from the pages' current words
(:func:`sohoa.processing.assemble.rebuild_van_ban_pdf`: serialised per hồ sơ, and a no-op when the PDF already
holds every page's current version); it is a separate step so a web page can answer the save first and rebuild
after. If the rebuild fails, the correction stands, the failure is an event and the hồ sơ goes on the review
queue (``pdf_failed``), as an assembly failure does.

Corrections are plain text: a line is one line of at most :data:`MAX_LINE_CHARS` characters, not empty, with no
markup (``<tag``) and no control characters; anything else is a :class:`CorrectionError` in Vietnamese.
"""
from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from pathlib import PurePosixPath

import botocore.exceptions
import numpy as np
import psycopg2.extras

from ocr_engine.alto import alto_xml
from ocr_engine.model import Box, Line, PageText, Word

from .. import storage
from ..catalogue.db import transaction
from ..catalogue.events import Event, record_event
from ..search import index_page
from ..vnformat import vn_number
from ..vntext import nfc
from . import keys, words
from .assemble import rebuild_van_ban_pdf
from .errors import AssemblyError, CorrectionConflict, CorrectionError
from .review import flag_ho_so

log = logging.getLogger(__name__)

# A line across an A4 page holds 100-150 characters (at most 154 on the development catalogue's OCR'd pages,
# December 2026); 1,000 leaves room for any real line and refuses a pasted document (the 100 kB).
MAX_LINE_CHARS = 1000
CORRECTED_CONFIDENCE = 1.0  # a word an archivist typed is as certain as the text gets
_MARKUP = re.compile(r"<\s*[A-Za-z/!?]")
AGENT_OCR_VERSION = "ocr"  # created_by of version 1 when its engine is unknown


@dataclass(frozen=True)
class PageRow:
    """One page as the viewer and a correction need it."""
    trang_id: int
    ho_so_id: int
    ma_ho_so: str
    so_trang: int
    muc_do_tiep_can: str
    tieu_de: str
    page_count: int
    width: int | None
    height: int | None
    master_key: str
    sha256: str
    master_version_id: str | None
    ocr_status: str
    ocr_text: str | None
    ocr_engine: str | None
    derivative_keys: dict
    text_version: int


_PAGE_SQL = """
SELECT t.id AS trang_id, h.id AS ho_so_id, h.ma_ho_so, t.so_trang, h.muc_do_tiep_can, h.tieu_de,
       (SELECT max(so_trang) FROM trang WHERE ho_so_id = h.id) AS page_count, t.width, t.height, t.master_key,
       t.sha256, t.master_version_id, t.ocr_status, t.ocr_text, t.ocr_engine, t.derivative_keys, t.text_version
FROM trang t JOIN ho_so h ON h.id = t.ho_so_id
WHERE h.ma_ho_so = %(ma_ho_so)s AND t.so_trang = %(so_trang)s AND h.muc_do_tiep_can = ANY(%(levels)s)
"""


def find_page(cur, ma_ho_so: str, so_trang: int, levels: tuple[str, ...], *, lock: bool = False) -> PageRow | None:
    """The page, or None when it does not exist *or* its hồ sơ's access level is not among ``levels`` (the two
    are not told apart, so a reader learns nothing of a secret record). ``lock`` holds its row until the
    transaction ends."""
    cur.execute(_PAGE_SQL + (" FOR UPDATE OF t" if lock else ""),
                {"ma_ho_so": ma_ho_so, "so_trang": so_trang, "levels": list(levels)})
    row = cur.fetchone()
    return None if row is None else PageRow(*row)


def page_words(s3, page: PageRow) -> tuple[PageText, np.ndarray, int] | None:
    """The current version's lines and words (``words.json``), or None for a page with no text (parked).
    Raises StorageError when the stored words cannot be read."""
    key = (page.derivative_keys.get("words.json") or {}).get("key")
    if not key:
        return None
    try:
        body = s3.get_object(Bucket=storage.DERIVATIVES, Key=key)["Body"].read()
    except botocore.exceptions.ClientError as exc:
        raise storage.StorageError(f"s3://{storage.DERIVATIVES}/{key}: cannot be read ({exc})") from exc
    return words.loads(body)


def clean_line(text: str) -> str:
    """A corrected line as it will be stored (NFC, spaces trimmed); raises CorrectionError when it is refused."""
    if not isinstance(text, str):
        raise CorrectionError("Nội dung dòng phải là chữ.")
    if len(text) > MAX_LINE_CHARS:
        raise CorrectionError(f"Dòng dài {vn_number(len(text))} ký tự; một dòng tối đa {vn_number(MAX_LINE_CHARS)}"
                              " ký tự.")
    line = " ".join(nfc(text).split())
    if not line:
        raise CorrectionError("Dòng không được để trống: hãy gõ chữ của dòng như trên bản gốc.")
    if "\n" in text or "\r" in text:
        raise CorrectionError("Một dòng chỉ có một dòng chữ: hãy bỏ dấu xuống dòng.")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co") for c in line):
        raise CorrectionError("Dòng có ký tự điều khiển không in được; hãy gõ lại dòng.")
    if _MARKUP.search(line):
        raise CorrectionError("Dòng có thẻ HTML hoặc mã (như «<script>»); chỉ gõ chữ của văn bản.")
    return line


def retype_line(line: Line, text: str) -> Line:
    """``line`` with its words replaced by the words of ``text``: each keeps its old box when the word count is
    unchanged, otherwise the line's box is shared out by word length. Every word gets CORRECTED_CONFIDENCE."""
    typed = text.split()
    if len(typed) == len(line.words):
        boxes = [w.box for w in line.words]
    else:
        box, total = line.box, sum(len(w) + 1 for w in typed) - 1
        boxes, start = [], 0
        for word in typed:
            x0 = box.x0 + round(box.width * start / total)
            x1 = box.x0 + round(box.width * (start + len(word)) / total)
            boxes.append(Box(x0, box.y0, max(x1, x0 + 1), box.y1))
            start += len(word) + 1
    return Line(tuple(Word(t, b, CORRECTED_CONFIDENCE) for t, b in zip(typed, boxes)), line.source)


@dataclass(frozen=True)
class Correction:
    """What a saved correction did: the page's version after it (unchanged when the text was)."""
    ma_ho_so: str
    so_trang: int
    line: int
    version: int
    old: str
    new: str


def correct_line(conn, s3, ma_ho_so: str, so_trang: int, line_no: int, text: str, *, base_version: int,
                 by: str, levels: tuple[str, ...]) -> Correction:
    """Replace line ``line_no`` (1-based) of a page's text, corrected from version ``base_version`` by ``by``.

    Raises CorrectionError when the page is not found or not visible at ``levels``, has no text, has no such
    line or ``text`` is refused (:func:`clean_line`); CorrectionConflict when the page is no longer at
    ``base_version``. A correction that changes nothing makes no version and returns the current one.
    """
    new = clean_line(text)
    with transaction(conn) as cur:
        page = find_page(cur, ma_ho_so, so_trang, levels, lock=True)
        if page is None:
            raise CorrectionError(f"Không có trang {so_trang} của hồ sơ {ma_ho_so}, hoặc bạn không được xem nó.")
        if page.text_version != base_version:
            raise CorrectionConflict(
                f"Trang {so_trang} của hồ sơ {ma_ho_so} vừa được sửa ({_last_editor(cur, page)}, nay là phiên "
                f"bản {page.text_version}) sau khi bạn mở nó (phiên bản {base_version}). Chỗ sửa của bạn chưa "
                f"được lưu: hãy tải lại trang để xem bản mới rồi sửa lại.")
        loaded = page_words(s3, page)
        if loaded is None:
            raise CorrectionError(f"Trang {so_trang} chưa có chữ nhận dạng (OCR) nên chưa sửa được.")
        text_now, to_source, rotate = loaded
        if not 1 <= line_no <= len(text_now.lines):
            raise CorrectionError(f"Trang {so_trang} không có dòng {line_no} (có {len(text_now.lines)} dòng).")
        old = text_now.lines[line_no - 1].text
        if old == new:
            return Correction(ma_ho_so, so_trang, line_no, page.text_version, old, new)
        lines = list(text_now.lines)
        lines[line_no - 1] = retype_line(lines[line_no - 1], new)
        corrected = PageText(text_now.page_id, lines, text_now.engine, text_now.engine_version, text_now.seconds)
        version = page.text_version + 1
        stored = _store_version(s3, page, corrected, to_source, rotate, version)
        if page.text_version == 1:
            _record_ocr_version(cur, page)
        detail = {"line": line_no, "old": old, "new": new, "from_version": base_version}
        cur.execute("""INSERT INTO trang_text_version (trang_id, version, text, derivative_keys, created_by, detail)
                       VALUES (%s, %s, %s, %s, %s, %s)""",
                    (page.trang_id, version, corrected.text, psycopg2.extras.Json(stored), by,
                     psycopg2.extras.Json(detail)))
        cur.execute("""UPDATE trang SET text_version = %s, ocr_text = %s, alto_key = %s,
                              derivative_keys = derivative_keys || %s
                       WHERE id = %s AND text_version = %s""",
                    (version, corrected.text, stored["alto.xml"]["key"], psycopg2.extras.Json(stored),
                     page.trang_id, base_version))
        index_page(cur.connection, page.trang_id, corrected.text, previous=page.ocr_text)
        record_event(cur, Event("modification", "trang", str(page.trang_id), by, "success",
                                {**detail, "version": version, "derivatives": stored}))
    return Correction(ma_ho_so, so_trang, line_no, version, old, new)


def _store_version(s3, page: PageRow, text: PageText, to_source: np.ndarray, rotate: int, version: int) -> dict:
    """Upload the version's words, ALTO and text; {kind: {"key", "sha256"}}."""
    width, height = page.width, page.height
    if not (width and height):
        raise CorrectionError(f"Trang {page.so_trang}: danh mục thiếu kích thước ảnh gốc; chưa sửa được.")
    outputs = {
        "words.json": words.dumps(text, to_source, rotate),
        "alto.xml": alto_xml(text, source_name=PurePosixPath(page.master_key).name, width=width, height=height,
                             to_source=to_source, software="sohoa corrections"),
        "txt": text.text.encode("utf-8"),
    }
    stored = {}
    for kind, data in outputs.items():
        put = storage.put_bytes(s3, storage.DERIVATIVES, keys.text_version(page.ma_ho_so, page.so_trang, version,
                                                                           kind),
                                data, content_type=keys.CONTENT_TYPES[kind])
        stored[kind] = {"key": put.key, "sha256": put.sha256}
    return stored


def _record_ocr_version(cur, page: PageRow) -> None:
    """Version 1, the OCR's reading, as a row (its objects stay where OCR wrote them)."""
    kept = {kind: page.derivative_keys[kind] for kind in ("words.json", "alto.xml", "txt")
            if kind in page.derivative_keys}
    cur.execute("""INSERT INTO trang_text_version (trang_id, version, text, derivative_keys, created_by)
                   VALUES (%s, 1, %s, %s, %s) ON CONFLICT (trang_id, version) DO NOTHING""",
                (page.trang_id, page.ocr_text or "", psycopg2.extras.Json(kept),
                 page.ocr_engine or AGENT_OCR_VERSION))


def _last_editor(cur, page: PageRow) -> str:
    cur.execute("""SELECT created_by FROM trang_text_version WHERE trang_id = %s ORDER BY version DESC LIMIT 1""",
                (page.trang_id,))
    row = cur.fetchone()
    return f"bởi {row[0]}" if row else "bởi người khác"


def rebuild_pdf(conn, s3, ma_ho_so: str, so_trang: int, *, by: str) -> tuple[dict | None, str | None]:
    """After a correction of page ``so_trang``: the PDF/A of its văn bản rebuilt. Returns (its pdf_keys entry,
    None), (None, None) when the hồ sơ has no PDF yet, or (None, the error) when it could not be rebuilt: that
    failure is an event by ``by`` and a ``pdf_failed`` review item, and the correction stands."""
    try:
        return rebuild_van_ban_pdf(conn, s3, ma_ho_so, so_trang), None
    except (AssemblyError, storage.StorageError) as exc:
        log.error("PDF of %s p.%s not rebuilt after a correction by %s: %s", ma_ho_so, so_trang, by, exc)
        with transaction(conn) as cur:
            cur.execute("SELECT id FROM ho_so WHERE ma_ho_so = %s", (ma_ho_so,))
            (ho_so_id,) = cur.fetchone()
            record_event(cur, Event("creation", "ho_so", ma_ho_so, by, "failure",
                                    {"error": str(exc), "reason": "text corrected", "page": so_trang}))
            flag_ho_so(cur, ho_so_id, "pdf_failed", {"error": str(exc)})
        return None, str(exc)


def versions(cur, trang_id: int) -> list[dict]:
    """Every stored text version of a page, oldest first: version, created_by, created_at, detail."""
    cur.execute("""SELECT version, created_by, created_at, detail FROM trang_text_version
                   WHERE trang_id = %s ORDER BY version""", (trang_id,))
    return [dict(zip(("version", "created_by", "created_at", "detail"), row)) for row in cur.fetchall()]
