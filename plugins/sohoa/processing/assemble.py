"""Per hồ sơ, once every page is OCR'd (or parked): one two-layer PDF/A per văn bản, and proposed metadata.

A hồ sơ whose manifest gave no văn bản boundaries is one văn bản (STT 1) spanning all its pages. Each PDF is
built from the untouched master images plus the stored words, validated (PDF/A identification, structure,
text round trip), stored in ``derivatives`` as ``<mã hồ sơ>.<STT>.pdf`` with its SHA-256, and recorded in the
catalogue. Parked pages keep their image and simply carry no text layer. Re-running changes nothing for a
hồ sơ whose PDFs are already stored, unless ``rebuild`` is asked for.
"""
from __future__ import annotations

import datetime as dt
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import psycopg2.extras

from ocr_engine.errors import OcrEngineError
from ocr_engine.images import list_pages, read_header
from ocr_engine.pdf import PdfAWriter, validate_pdfa
from ocr_engine.pipeline import IDENTITY

from .. import storage
from ..catalogue.db import transaction
from ..catalogue.events import Event, record_event
from ..extraction.nd30 import extract
from ..vntime import VN_TZ
from . import keys, words
from .errors import AssemblyError
from .fetch import download_verified
from .review import flag_ho_so, flag_van_ban

log = logging.getLogger(__name__)
AGENT = "sohoa.processing.assemble"


@dataclass(frozen=True)
class PageForPdf:
    """One page as the catalogue holds it: its master, its stored words (none when parked) and its text."""
    so_trang: int
    sha256: str
    master_key: str
    master_version_id: str | None
    words_key: str | None
    text: str | None
    ocr_status: str
    text_version: int = 1  # trang.text_version: 1 is the OCR's reading, higher after corrections


class VanBanSpan(NamedTuple):
    id: int
    stt: int
    first: int
    last: int


def _named_rows(cur, row_type: type) -> list:
    """The rows of the last query as ``row_type``, built by column name (the query names its columns so)."""
    columns = [column.name for column in cur.description]
    return [row_type(**dict(zip(columns, row))) for row in cur.fetchall()]


def ready_ho_so(cur, *, batch_pk: int | None = None) -> list[str]:
    """Mã of hồ sơ whose every page is done or parked and whose PDFs are not stored yet; a hồ sơ parked for
    review after a failed assembly waits until its review item is resolved."""
    cur.execute(
        """SELECT h.ma_ho_so FROM ho_so h
           WHERE (%(batch)s::bigint IS NULL OR h.batch_id = %(batch)s)
             AND h.pdf_keys = '{}'::jsonb
             AND NOT EXISTS (SELECT 1 FROM review_item r WHERE r.object_type = 'ho_so' AND r.object_id = h.id
                             AND r.reason = 'pdf_failed' AND r.status = 'open')
             AND EXISTS (SELECT 1 FROM trang t WHERE t.ho_so_id = h.id)
             AND NOT EXISTS (SELECT 1 FROM trang t WHERE t.ho_so_id = h.id
                             AND t.ocr_status NOT IN ('done', 'parked'))
           ORDER BY h.ma_ho_so""", {"batch": batch_pk})
    return [row[0] for row in cur.fetchall()]


def _van_ban_spans(cur, ho_so_id: int, ma_ho_so: str, page_count: int) -> list[VanBanSpan]:
    """The pages every văn bản spans, in STT order; creates STT 1 over all pages if none."""
    cur.execute("""INSERT INTO van_ban (ho_so_id, stt, ma_luu_tru, trang_dau, trang_cuoi, so_trang)
                   SELECT %s, 1, %s, 1, %s, %s
                   WHERE NOT EXISTS (SELECT 1 FROM van_ban WHERE ho_so_id = %s)""",
                (ho_so_id, f"{ma_ho_so}.01", page_count, page_count, ho_so_id))
    cur.execute("""SELECT id, stt, trang_dau AS first, trang_cuoi AS last FROM van_ban
                   WHERE ho_so_id = %s ORDER BY stt""", (ho_so_id,))
    return _named_rows(cur, VanBanSpan)


def assemble_ho_so(conn, s3, ma_ho_so: str, *, rebuild: bool = False) -> dict:
    """Build, validate and store the PDF/A of every văn bản of one hồ sơ; propose their metadata.

    Returns {stt: {"key", "sha256", "pages"}}. Raises AssemblyError when a page is not ready or a PDF fails
    validation (nothing is recorded for that hồ sơ then).
    """
    with transaction(conn) as cur:
        cur.execute("SELECT id, tieu_de, pdf_keys FROM ho_so WHERE ma_ho_so = %s", (ma_ho_so,))
        row = cur.fetchone()
        if row is None:
            raise AssemblyError(f"hồ sơ {ma_ho_so} is not in the catalogue")
        ho_so_id, tieu_de, stored = row
        if stored and not rebuild:
            return stored
        cur.execute("""SELECT so_trang, sha256, master_key, master_version_id,
                              derivative_keys -> 'words.json' ->> 'key' AS words_key, ocr_text AS text, ocr_status
                       FROM trang WHERE ho_so_id = %s ORDER BY so_trang""", (ho_so_id,))
        rows = _named_rows(cur, PageForPdf)
        not_ready = [page.so_trang for page in rows if page.ocr_status not in ("done", "parked")]
        if not_ready:
            raise AssemblyError(f"hồ sơ {ma_ho_so}: pages {not_ready} are not OCR'd yet")
        pages = {page.so_trang: page for page in rows}
        spans = _van_ban_spans(cur, ho_so_id, ma_ho_so, len(rows))
    result = {}
    with tempfile.TemporaryDirectory(prefix="sohoa-pdf-") as tmp:
        workdir = Path(tmp)
        for van_ban in spans:
            span = [pages[n] for n in range(van_ban.first, van_ban.last + 1) if n in pages]
            result[str(van_ban.stt)] = _build_and_store(s3, ma_ho_so, tieu_de, van_ban, span, workdir)
            _propose_metadata(conn, van_ban.id, span)
    with transaction(conn) as cur:
        first_pdf = result[min(result, key=int)]
        cur.execute("UPDATE ho_so SET pdf_keys = %s, pdf_key = %s, pdf_sha256 = %s WHERE id = %s",
                    (psycopg2.extras.Json(result), first_pdf["key"], first_pdf["sha256"], ho_so_id))
        record_event(cur, Event("creation", "ho_so", ma_ho_so, AGENT, "success",
                                {"pdf": result, "format": "PDF/A-2b two-layer"}))
    return result


def rebuild_van_ban_pdf(conn, s3, ma_ho_so: str, so_trang: int) -> dict | None:
    """Rebuild, validate and store the PDF/A of the văn bản holding page ``so_trang`` from the pages' current
    words (after a text correction); its metadata is left alone. None when the hồ sơ has no PDF yet: its
    assembly will read the current words anyway.

    Rebuilds of one hồ sơ run one at a time (a transaction-level advisory lock held from reading the pages to
    recording the PDF), so the last to finish has read every correction committed before it started: two
    corrections at once cannot leave a PDF without the later one. The entry records the text version of each
    page it was built from (``text_versions``); a rebuild that finds them unchanged does nothing, so many saves
    in a row cost one rebuild once the first has run. Returns the văn bản's entry of ``ho_so.pdf_keys``
    ({"key", "sha256", "pages", "text_versions"}). Raises AssemblyError when the PDF cannot be built or fails
    validation (the stored PDF is then unchanged).
    """
    with transaction(conn) as cur, tempfile.TemporaryDirectory(prefix="sohoa-pdf-") as tmp:
        cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"sohoa.pdf:{ma_ho_so}",))
        cur.execute("SELECT id, tieu_de, pdf_keys FROM ho_so WHERE ma_ho_so = %s", (ma_ho_so,))
        ho_so_id, tieu_de, stored = cur.fetchone() or (None, None, None)
        if not stored:
            return None
        cur.execute("""SELECT id, stt, trang_dau AS first, trang_cuoi AS last FROM van_ban
                       WHERE ho_so_id = %s AND %s BETWEEN trang_dau AND trang_cuoi ORDER BY stt LIMIT 1""",
                    (ho_so_id, so_trang))
        spans = _named_rows(cur, VanBanSpan)
        if not spans:
            raise AssemblyError(f"hồ sơ {ma_ho_so}: no văn bản holds page {so_trang}")
        van_ban = spans[0]
        cur.execute("""SELECT so_trang, sha256, master_key, master_version_id,
                              derivative_keys -> 'words.json' ->> 'key' AS words_key, ocr_text AS text, ocr_status,
                              text_version
                       FROM trang WHERE ho_so_id = %s AND so_trang BETWEEN %s AND %s ORDER BY so_trang""",
                    (ho_so_id, van_ban.first, van_ban.last))
        span = _named_rows(cur, PageForPdf)
        built_from = {str(page.so_trang): page.text_version for page in span}
        if (stored.get(str(van_ban.stt)) or {}).get("text_versions") == built_from:
            return stored[str(van_ban.stt)]
        entry = {**_build_and_store(s3, ma_ho_so, tieu_de, van_ban, span, Path(tmp)), "text_versions": built_from}
        pdf_keys = {**stored, str(van_ban.stt): entry}
        first = pdf_keys[min(pdf_keys, key=int)]
        cur.execute("UPDATE ho_so SET pdf_keys = %s, pdf_key = %s, pdf_sha256 = %s WHERE id = %s",
                    (psycopg2.extras.Json(pdf_keys), first["key"], first["sha256"], ho_so_id))
        record_event(cur, Event("creation", "van_ban", str(van_ban.id), AGENT, "success",
                                {"pdf": entry, "format": "PDF/A-2b two-layer", "reason": "text corrected",
                                 "page": so_trang}))
    return entry


def _build_and_store(s3, ma_ho_so: str, tieu_de: str, van_ban: VanBanSpan, span: list[PageForPdf],
                     workdir: Path) -> dict:
    """Write one văn bản's PDF/A, validate it (text round trip included) and store it; its pdf_keys entry."""
    pdf_path = workdir / keys.pdf_name(ma_ho_so, van_ban.stt)
    try:
        _write_pdf(s3, span, pdf_path, title=f"{ma_ho_so}.{van_ban.stt:02d} — {tieu_de}", workdir=workdir)
    except (storage.StorageError, OcrEngineError) as exc:  # a master gone, unreadable or refused
        raise AssemblyError(f"{pdf_path.name}: a page cannot be put in the PDF: {exc}") from exc
    expected = "\n".join(p.text or "" for p in span)
    problems = validate_pdfa(pdf_path, expected_text=expected)
    if problems:
        raise AssemblyError(f"{pdf_path.name} failed validation: {'; '.join(problems)}")
    put = storage.put_bytes(s3, storage.DERIVATIVES, keys.pdf_key(ma_ho_so, van_ban.stt), pdf_path.read_bytes(),
                            content_type=keys.CONTENT_TYPES["pdf"])
    return {"key": put.key, "sha256": put.sha256, "pages": [van_ban.first, van_ban.last]}


def assemble_ready(conn, s3, ready: list[str]) -> tuple[list[str], dict[str, str]]:
    """Assemble each hồ sơ of ``ready``; one that fails is parked for review (an event and a ``pdf_failed``
    item) and the others go on. Returns (assembled, {mã hồ sơ: error})."""
    assembled, parked = [], {}
    for ma_ho_so in ready:
        try:
            assemble_ho_so(conn, s3, ma_ho_so)
            assembled.append(ma_ho_so)
        except AssemblyError as exc:
            log.error("assembly of %s failed, parked for review: %s", ma_ho_so, exc)
            parked[ma_ho_so] = str(exc)
            with transaction(conn) as cur:
                cur.execute("SELECT id FROM ho_so WHERE ma_ho_so = %s", (ma_ho_so,))
                ho_so_id = cur.fetchone()[0]
                record_event(cur, Event("creation", "ho_so", ma_ho_so, AGENT, "failure", {"error": str(exc)}))
                flag_ho_so(cur, ho_so_id, "pdf_failed", {"error": str(exc)})
    return assembled, parked


def _write_pdf(s3, span: list[PageForPdf], path: Path, *, title: str, workdir: Path) -> None:
    with PdfAWriter(path, title=title, created=dt.datetime.now(VN_TZ).replace(microsecond=0)) as writer:
        for page in span:
            image = download_verified(s3, storage.MASTERS, page.master_key,
                                      workdir / f"p{page.so_trang}{Path(page.master_key).suffix}", page.sha256,
                                      version_id=page.master_version_id)
            header = read_header(list_pages(image)[0])  # JPEG masters are embedded without decoding
            text, to_source, rotate = None, IDENTITY, 0  # a parked page: image only
            if page.words_key:
                body = s3.get_object(Bucket=storage.DERIVATIVES, Key=page.words_key)["Body"].read()
                text, to_source, rotate = words.loads(body)
            writer.add_page(header, text, to_source, rotate)
            image.unlink()


def _propose_metadata(conn, van_ban_id: int, span: list[PageForPdf]) -> None:
    """Extract NĐ 30 fields from the văn bản's first (and last) page; fill what the manifest left empty."""
    text = (span[0].text or "") + ("\n" + (span[-1].text or "") if len(span) > 1 else "")
    meta = extract(text)
    proposal = meta.to_dict()
    values = {
        "ten_loai": meta.ten_loai.value, "so": None if meta.so.value is None else str(meta.so.value),
        "ky_hieu": meta.ky_hieu.value, "so_ky_hieu": meta.so_ky_hieu, "ngay_ban_hanh": meta.ngay_ban_hanh.value,
        "co_quan_ban_hanh": meta.co_quan_ban_hanh.value, "trich_yeu": meta.trich_yeu.value,
        "nguoi_ky": meta.nguoi_ky.value,
    }
    with transaction(conn) as cur:
        cur.execute(
            """UPDATE van_ban SET proposed = %(proposed)s,
                      ten_loai = coalesce(ten_loai, %(ten_loai)s), so = coalesce(so, %(so)s),
                      ky_hieu = coalesce(ky_hieu, %(ky_hieu)s), so_ky_hieu = coalesce(so_ky_hieu, %(so_ky_hieu)s),
                      ngay_ban_hanh = coalesce(ngay_ban_hanh, %(ngay_ban_hanh)s),
                      co_quan_ban_hanh = coalesce(co_quan_ban_hanh, %(co_quan_ban_hanh)s),
                      trich_yeu = coalesce(trich_yeu, %(trich_yeu)s), nguoi_ky = coalesce(nguoi_ky, %(nguoi_ky)s)
               WHERE id = %(id)s AND status = 'proposed'""",
            {**values, "proposed": psycopg2.extras.Json(proposal), "id": van_ban_id})
        if cur.rowcount:
            record_event(cur, Event("metadata extraction", "van_ban", str(van_ban_id), AGENT, "success", proposal))
            flag_van_ban(cur, van_ban_id, {"proposed": proposal})
