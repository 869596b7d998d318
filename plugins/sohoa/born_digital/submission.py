"""Intake of an electronic hồ sơ submitted (nộp lưu) by an agency: ``inbox/nop-luu/<agency>/<submission_id>/``.

A submission holds one hồ sơ: its metadata file (``ho_so.json`` or ``ho_so.xlsx``, :mod:`.metadata`), the văn
bản files it names (signed PDFs) and their attachments (PDF, DOCX, XLSX, ODF, images). The contract, for the
agencies: ``docs/born-digital-contract.md``. Phases, one function each:

1. :func:`judge` — read and check everything, write nothing: the metadata against the schema and the
   submitting agency; every file's name, size, SHA-256, and for each văn bản the PDF (:mod:`.pdfinfo`), its
   signatures (:mod:`.signatures`) and its own text against the submitted số, ký hiệu and date. A hồ sơ is
   accepted whole or not at all.
2. :func:`render` makes every access copy on local disk first (one that cannot be made rejects the hồ sơ with
   nothing stored); :func:`keep` — an accepted hồ sơ: originals and attachments to ``masters`` bit-exact
   (object lock, read back and hashed), the PDF/A-2b access copy of each văn bản to ``derivatives``;
   :func:`quarantine` — a rejected one: every byte read to ``quarantine``. Nothing is deleted from the inbox.
3. :func:`register` — one transaction: hồ sơ (mức độ tin cậy ``goc_dien_tu``), văn bản (final when the agency
   gave the fields a package needs; else proposed from the NĐ 30 extractor and put on the review queue),
   the kept files with their signature evidence, the submission's verdict, and the events (ingestion,
   ``validation`` = digital signature validation per văn bản, message digest calculation, accession).
4. the verdict back to the agency: ``_REPORT.json`` and ``_REPORT.txt`` in Vietnamese.

Idempotent: a submission already judged returns its stored report (re-written to the inbox); a run stopped
before the catalogue transaction redoes the checks and finds its objects already stored (same bytes are never
written twice). The same files under a new submission id, or a mã hồ sơ already in the catalogue, are refused.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psycopg2.errors
import psycopg2.extras

from .. import storage
from ..catalogue.db import transaction
from ..catalogue.events import Event, record_events
from ..extraction.nd30 import extract
from ..glossary import VERDICT
from ..intake.checks import Problem, display_name, extension, name_problems
from ..intake.source import BatchSource, S3Batch
from ..processing.keys import pdf_key, pdf_name
from ..processing.review import flag_van_ban
from . import metadata as meta
from .pdfinfo import PdfFacts, inspect_pdf
from .rendition import RenditionError, make_rendition, needs_rendition
from .signatures import FileVerification, TrustStore, digest_label, verify_file

log = logging.getLogger(__name__)
AGENT = "sohoa.born_digital"
PREFIX = storage.BORN_DIGITAL_INBOX
MAX_FILE_BYTES = 512 * 1024 * 1024
ATTACHMENT_EXTENSIONS = ("pdf", "docx", "xlsx", "odt", "ods", "doc", "xls", "jpg", "jpeg", "png", "tif", "tiff")
# Fields without which a văn bản's metadata is not final (the handover package needs them; handover.records)
FINAL_FIELDS = ("ten_loai", "ngay_ban_hanh", "co_quan_ban_hanh", "trich_yeu")
EXTRACTED_FIELDS = ("ten_loai", "so", "ky_hieu", "ngay_ban_hanh", "co_quan_ban_hanh", "trich_yeu", "nguoi_ky")
REJECTING_SIGNATURE_CODES = {"modified_after_signing"}
NOT_JUDGED = Problem("submission_rejected", "tệp không được xét vì tệp siêu dữ liệu thiếu hoặc không hợp lệ")


def prefix(agency_ma: str) -> str:
    """The inbox folder of an agency's submissions (``nop-luu/<agency>``; each submission a folder below)."""
    return f"{PREFIX}/{agency_ma}"


@dataclass
class Item:
    """One file of a submission and its verdict."""
    name: str
    role: str  # metadata | original | attachment | unlisted
    stt: int | None = None
    sha256: str | None = None
    size: int = 0
    reasons: list[Problem] = field(default_factory=list)
    flags: list[Problem] = field(default_factory=list)
    signatures: list[dict] = field(default_factory=list)
    facts: dict = field(default_factory=dict)
    path: Path | None = None  # where its bytes were copied to be read (None: never read)

    @property
    def status(self) -> str:
        return "rejected" if self.reasons else "accepted"

    def as_json(self) -> dict:
        return {"name": display_name(self.name), "role": self.role, "stt": self.stt, "status": self.status,
                "sha256": self.sha256, "size": self.size, "reasons": [asdict(p) for p in self.reasons],
                "flags": [asdict(p) for p in self.flags], "signatures": self.signatures}


@dataclass
class Judged:
    """What :func:`judge` found: the metadata (None when unusable), the items, and submission-wide problems."""
    document: dict | None
    items: list[Item]
    problems: list[Problem]
    workdir: Path
    facts: dict[str, PdfFacts] = field(default_factory=dict)
    verifications: dict[str, FileVerification] = field(default_factory=dict)

    @property
    def accepted(self) -> bool:
        return self.document is not None and not self.problems and all(
            i.status == "accepted" for i in self.items if i.role in ("original", "attachment", "metadata"))

    @property
    def fingerprint(self) -> str:
        digests = sorted(i.sha256 for i in self.items if i.role in ("original", "attachment") and i.sha256)
        return hashlib.sha256("\n".join(digests).encode()).hexdigest()

    def item(self, name: str) -> Item:
        return next(i for i in self.items if i.name == name)


def _declared(document: dict) -> list[tuple[str, str, int, str | None]]:
    """(name, role, stt, declared sha256) of every file the metadata names, văn bản before attachments."""
    files = []
    for row in sorted(document["van_ban"], key=lambda r: r["stt"]):
        files.append((row["tep"], "original", row["stt"], row.get("sha256")))
        files += [(att["tep"], "attachment", row["stt"], att.get("sha256")) for att in row.get("dinh_kem", [])]
    return files


def _metadata_checks(cur, document: dict, agency_ma: str) -> list[Problem]:
    problems = []
    if document["co_quan"]["ma"] != agency_ma:
        problems.append(Problem("agency_mismatch", f"mã cơ quan trong tệp siêu dữ liệu ({document['co_quan']['ma']})"
                                                   f" khác cơ quan nộp lưu ({agency_ma})"))
    cur.execute("SELECT 1 FROM agency WHERE ma = %s", (agency_ma,))
    if cur.fetchone() is None:
        problems.append(Problem("agency_unknown", f"cơ quan {agency_ma} chưa được đăng ký trong hệ thống"))
    code = document["ho_so"]["ma_ho_so"]
    cur.execute("SELECT 1 FROM ho_so WHERE ma_ho_so = %s", (code,))
    if cur.fetchone() is not None:
        problems.append(Problem("ho_so_exists", f"hồ sơ {code} đã được tiếp nhận trước đây; không nộp lại"))
    stts = [row["stt"] for row in document["van_ban"]]
    if len(set(stts)) != len(stts):
        problems.append(Problem("van_ban_stt", "số thứ tự (stt) văn bản bị trùng"))
    h = document["ho_so"]
    if h.get("thoi_gian_bat_dau") and h.get("thoi_gian_ket_thuc") and h["thoi_gian_ket_thuc"] < h["thoi_gian_bat_dau"]:
        problems.append(Problem("dates", "thời gian kết thúc của hồ sơ trước thời gian bắt đầu"))
    return problems


def _file_problems(name: str, role: str, size: int | None) -> list[Problem]:
    problems = [p for p in name_problems(name) if p.code != "name_extension"]
    ext = extension(name)
    if role == "original" and ext != "pdf":
        problems.append(Problem("name_extension", f"văn bản phải là tệp PDF đã ký số (đuôi .pdf), không phải '.{ext}'"))
    elif role == "attachment" and ext not in ATTACHMENT_EXTENSIONS:
        problems.append(Problem("name_extension", f"đuôi tệp đính kèm '.{ext}' không được chấp nhận; dùng "
                                                  f"{', '.join('.' + e for e in ATTACHMENT_EXTENSIONS)}"))
    if problems:
        return problems
    if size is None:
        return [Problem("file_missing", "tệp được khai trong siêu dữ liệu nhưng không có trong thư mục nộp lưu")]
    if size == 0:
        return [Problem("empty_file", "tệp rỗng (0 byte)")]
    if size > MAX_FILE_BYTES:
        return [Problem("file_too_large", f"tệp quá lớn ({size / 2**30:,.1f} GiB), vượt mức tối đa "
                                          f"{MAX_FILE_BYTES // 2**20} MiB cho một tệp")]
    return []


def _judge_pdf(judged: Judged, item: Item, row: dict, path: Path, trust: TrustStore) -> None:
    facts = inspect_pdf(path)
    verification = verify_file(path, trust, name=item.name)
    judged.facts[item.name], judged.verifications[item.name] = facts, verification
    item.facts = {"pdf_version": facts.version, "pages": facts.pages, "pdfa": facts.pdfa,
                  "embedded_files": facts.embedded_files, "image_only_pages": facts.image_only_pages()}
    item.signatures = [s.as_json() for s in verification.signatures]
    item.reasons += facts.problems
    item.flags += facts.flags
    if facts.problems and any(p.code == "pdf_unreadable" for p in facts.problems):
        return
    for sig in verification.signatures:
        item.reasons += [Problem(p.code, f"chữ ký {sig.field} ({sig.signer}): {p.message}") for p in sig.problems]
        for flag in sig.flags:
            target = item.reasons if flag.code in REJECTING_SIGNATURE_CODES else item.flags
            target.append(Problem(flag.code, f"chữ ký {sig.field} ({sig.signer}): {flag.message}"))
    item.reasons += [p for p in verification.problems if p.code not in {q.code for q in item.reasons}]
    if not verification.signatures and verification.readable:
        item.flags.append(Problem("unsigned", "văn bản không có chữ ký số: cần kiểm tra đây có phải bản gốc "
                                              "điện tử không"))
    if facts.page_texts and facts.image_only_pages() != list(range(1, facts.pages + 1)):
        item.reasons += meta.compare_with_text(row, extract(facts.page_texts[0]))
    if row.get("so_trang") and row["so_trang"] != facts.pages:
        item.reasons.append(Problem("page_count",
                                    f"số trang khai là {row['so_trang']} nhưng tệp có {facts.pages} trang"))


def judge(conn, source: BatchSource, *, agency_ma: str, workdir: Path, trust: TrustStore | None = None) -> Judged:
    """Check a submission from ``source`` (files are copied into ``workdir`` to be read). Writes nothing."""
    trust = trust if trust is not None else TrustStore.from_settings()
    present = source.files()
    meta_name = next((n for n in meta.METADATA_NAMES if n in present), None)
    if meta_name is None:
        items = [Item(name, "unlisted", size=size, reasons=[NOT_JUDGED]) for name, size in sorted(present.items())]
        return Judged(None, items, [Problem("metadata_missing", "thiếu tệp siêu dữ liệu ho_so.json hoặc ho_so.xlsx")],
                      workdir)
    if present[meta_name] > meta.MAX_METADATA_BYTES:
        raw, document, problems = None, None, [Problem("metadata_invalid", f"{meta_name} quá lớn (tối đa "
                                                                           f"{meta.MAX_METADATA_BYTES} byte)")]
    else:
        raw = source.read(meta_name)
        document, problems = meta.parse(meta_name, raw)
    metadata_item = Item(meta_name, "metadata", sha256=hashlib.sha256(raw).hexdigest() if raw is not None else None,
                         size=present[meta_name], reasons=problems)
    items = [metadata_item]
    if document is None:
        items += [Item(name, "unlisted", size=size, reasons=[NOT_JUDGED]) for name, size in sorted(present.items())
                  if name != meta_name]
        return Judged(None, items, [Problem("metadata_invalid", "tệp siêu dữ liệu không hợp lệ")], workdir)
    with transaction(conn) as cur:
        problems = _metadata_checks(cur, document, agency_ma)
    judged = Judged(document, items, problems, workdir)
    rows = {row["stt"]: row for row in document["van_ban"]}
    seen: set[str] = set()
    for number, (name, role, stt, declared) in enumerate(_declared(document)):
        item = Item(name, role, stt)
        items.append(item)
        if name in seen or name == meta_name:
            item.reasons.append(Problem("name_duplicate", "tệp được khai hai lần trong siêu dữ liệu"))
            continue
        seen.add(name)
        item.reasons += _file_problems(name, role, present.get(name))
        if item.reasons:
            continue
        data = source.read(name)
        item.sha256, item.size = hashlib.sha256(data).hexdigest(), len(data)
        if declared and declared != item.sha256:
            item.reasons.append(Problem("checksum_mismatch", f"SHA-256 của tệp ({item.sha256}) khác với giá trị "
                                                             f"khai ({declared}): tệp hỏng khi truyền hoặc khai sai"))
            continue
        if not declared:
            item.flags.append(Problem("sha256_not_declared", "không khai SHA-256; máy chủ đã tính và lưu"))
        item.path = workdir / f"{number:04d}.{extension(name)}"
        item.path.write_bytes(data)
        if role == "original":
            _judge_pdf(judged, item, rows[stt], item.path, trust)
    items += [Item(name, "unlisted", size=size, reasons=[Problem("unlisted", "tệp có trong thư mục nộp lưu nhưng "
                                                                             "không được khai trong siêu dữ liệu")])
              for name, size in sorted(present.items()) if name not in seen and name != meta_name]
    if judged.accepted:
        with transaction(conn) as cur:
            cur.execute("""SELECT agency_ma, submission_id FROM born_digital_submission
                           WHERE fingerprint = %s AND verdict = 'accepted'""", (judged.fingerprint,))
            earlier = cur.fetchone()
        if earlier:
            judged.problems.append(Problem("duplicate_submission", f"các tệp này đã được nộp lưu trong lần nộp "
                                                                   f"{earlier[1]} của {earlier[0]}"))
    for item in items:
        if item.role in ("original", "attachment") and not item.reasons and not judged.accepted:
            item.reasons.append(Problem("ho_so_incomplete", "tệp đạt yêu cầu nhưng hồ sơ bị từ chối (xem các lỗi "
                                                            "khác); hồ sơ được nhận trọn vẹn hoặc không nhận"))
    return judged


@dataclass
class Kept:
    """Where an accepted văn bản's files went."""
    original: storage.Stored
    rendition: storage.Stored | None
    ocr_pages: list[int]
    attachments: list[tuple[Item, storage.Stored]]
    page_texts: list[str]  # the access copy's text (the original's own, or OCR where a page is only an image)


def _store_verified(s3, bucket: str, key: str, path: Path, sha256_hex: str, extra: dict | None = None, *,
                    replace: bool = False) -> storage.Stored:
    """Put a file's bytes unless the key already holds them; read back and hash what is stored. Other bytes
    under the key raise StorageError unless ``replace``."""
    present = storage.stored_sha256(s3, bucket, key)
    if present == sha256_hex:
        head = s3.head_object(Bucket=bucket, Key=key)
        return storage.Stored(bucket, key, sha256_hex, head["ContentLength"], head.get("VersionId"), False)
    if present and not replace:
        raise storage.StorageError(f"s3://{bucket}/{key} already holds other bytes (sha256 {present}); refusing "
                                   f"to overwrite with sha256 {sha256_hex}")
    size = path.stat().st_size
    with open(path, "rb") as fh:
        stored = storage.upload_chunks(s3, bucket, key, storage.file_chunks(fh), size=size, sha256_hex=sha256_hex,
                                       extra=extra)
    check = storage.read_sha256(s3, bucket, key, stored.version_id)
    if check != (sha256_hex, size):
        raise storage.ChecksumMismatch(f"s3://{bucket}/{key} reads back as {check}, expected {(sha256_hex, size)}")
    return stored


def attachment_key(ma_ho_so: str, stt: int, name: str) -> str:
    return f"{ma_ho_so}/goc-dien-tu/dinh-kem/{stt:02d}/{name.rsplit('/', 1)[-1]}"


def original_key(ma_ho_so: str, stt: int) -> str:
    return f"{ma_ho_so}/goc-dien-tu/{pdf_name(ma_ho_so, stt)}"


@dataclass(frozen=True)
class Copy:
    """The PDF/A-2b access copy made of one văn bản, on local disk (None: the original is itself PDF/A)."""
    path: Path | None
    ocr_pages: list[int]
    page_texts: list[str]


def render(judged: Judged) -> dict[int, Copy]:
    """Make every văn bản's access copy on local disk, before anything is stored: a copy that cannot be made
    rejects the hồ sơ with nothing written. Raises RenditionError."""
    code = judged.document["ho_so"]["ma_ho_so"]
    copies = {}
    for row in judged.document["van_ban"]:
        item, facts = judged.item(row["tep"]), judged.facts[row["tep"]]
        if not needs_rendition(facts):
            copies[row["stt"]] = Copy(None, [], facts.page_texts)
            continue
        target = judged.workdir / f"rendition-{row['stt']:02d}.pdf"
        made = make_rendition(item.path, target, facts, author=row.get("co_quan_ban_hanh"),
                              title=row.get("trich_yeu") or pdf_name(code, row["stt"]))
        copies[row["stt"]] = Copy(target, made.ocr_pages,
                                  inspect_pdf(target).page_texts if made.ocr_pages else facts.page_texts)
    return copies


def keep(s3, judged: Judged, copies: dict[int, Copy]) -> dict[int, Kept]:
    """Store an accepted hồ sơ: originals and attachments to masters (object-locked, never overwritten), access
    copies to derivatives (a copy made again on a re-run replaces the earlier one: it is reproducible)."""
    code = judged.document["ho_so"]["ma_ho_so"]
    kept: dict[int, Kept] = {}
    for row in sorted(judged.document["van_ban"], key=lambda r: r["stt"]):
        item, copy = judged.item(row["tep"]), copies[row["stt"]]
        original = _store_verified(s3, storage.MASTERS, original_key(code, row["stt"]), item.path, item.sha256,
                                   storage.lock_arguments())
        rendition = None
        if copy.path is not None:
            digest = hashlib.sha256(copy.path.read_bytes()).hexdigest()
            rendition = _store_verified(s3, storage.DERIVATIVES, pdf_key(code, row["stt"]), copy.path, digest,
                                        replace=True)
        attachments = [(judged.item(att["tep"]), _store_verified(
            s3, storage.MASTERS, attachment_key(code, row["stt"], att["tep"]), judged.item(att["tep"]).path,
            judged.item(att["tep"]).sha256, storage.lock_arguments())) for att in row.get("dinh_kem", [])]
        kept[row["stt"]] = Kept(original, rendition, copy.ocr_pages, attachments, copy.page_texts)
    return kept


def quarantine(s3, source: BatchSource, judged: Judged, agency_ma: str, submission_id: str) -> dict[str, str]:
    """Copy every file of a rejected submission (of an accepted one, its unlisted files) to quarantine, under
    ``quarantine/nop-luu/<agency>/<submission_id>/``; return name → key. Files never read (absent, too large,
    unsafely named) stay in the inbox only, which is never emptied."""
    keys = {}
    for item in judged.items:
        if judged.accepted and item.status == "accepted":
            continue
        unlisted_safe = item.role == "unlisted" and 0 < item.size <= MAX_FILE_BYTES and not [
            p for p in name_problems(item.name) if p.code != "name_extension"]
        if item.sha256 is None and not unlisted_safe:
            continue  # absent, too large or unsafely named: never read, and left where it is in the inbox
        key = f"{prefix(agency_ma)}/{submission_id}/{item.name}"
        storage.put_bytes(s3, storage.QUARANTINE, key, source.read(item.name))
        keys[item.name] = key
    return keys


def _proposal(row: dict, page_texts: list[str]) -> tuple[dict, dict]:
    """(values for the văn bản: submitted first, extracted from its first page where missing; the extractor's
    proposal for the fields it filled)."""
    read = extract(page_texts[0] if page_texts else "")
    proposal = read.to_dict()
    found = {"ten_loai": read.ten_loai.value, "so": None if read.so.value is None else str(read.so.value),
             "ky_hieu": read.ky_hieu.value, "ngay_ban_hanh": read.ngay_ban_hanh.value,
             "co_quan_ban_hanh": read.co_quan_ban_hanh.value, "trich_yeu": read.trich_yeu.value,
             "nguoi_ky": read.nguoi_ky.value}
    values = {f: row.get(f) if row.get(f) is not None else found[f] for f in EXTRACTED_FIELDS}
    return values, {f: proposal[f] for f in EXTRACTED_FIELDS if row.get(f) is None and found[f] is not None}


def register(conn, judged: Judged, kept: dict[int, Kept], *, agency_ma: str, submission_id: str, agent: str,
             report: dict) -> None:
    """Catalogue an accepted hồ sơ, its văn bản, files and events, and the submission, in one transaction."""
    doc = judged.document
    h, code = doc["ho_so"], doc["ho_so"]["ma_ho_so"]
    van_ban, first, pdf_keys = [], 1, {}
    for row in sorted(doc["van_ban"], key=lambda r: r["stt"]):
        facts, k = judged.facts[row["tep"]], kept[row["stt"]]
        values, proposed = _proposal(row, k.page_texts)
        final = all(row.get(f) for f in FINAL_FIELDS)
        pages = max(facts.pages, 1)
        van_ban.append((row, values, proposed, final, first, first + pages - 1))
        pdf_keys[str(row["stt"])] = {
            "bucket": storage.MASTERS, "key": k.original.key, "sha256": k.original.sha256,
            "pages": [first, first + pages - 1], "role": "preservation master",
            "rendition": ({"bucket": storage.DERIVATIVES, "key": k.rendition.key, "sha256": k.rendition.sha256,
                           "format": "PDF/A-2b"} if k.rendition else
                          {"bucket": storage.MASTERS, "key": k.original.key, "sha256": k.original.sha256,
                           "format": f"PDF/A-{facts.pdfa}"})}
        first += pages
    dates = [v[1]["ngay_ban_hanh"] for v in van_ban if v[1]["ngay_ban_hanh"]]
    dates = [d if isinstance(d, dt.date) else dt.date.fromisoformat(d) for d in dates]
    start = h.get("thoi_gian_bat_dau") or (min(dates).isoformat() if dates else None)
    end = h.get("thoi_gian_ket_thuc") or (max(dates).isoformat() if dates else None)
    now = dt.datetime.now(dt.timezone.utc)
    with transaction(conn) as cur:
        cur.execute("SELECT id FROM agency WHERE ma = %s", (agency_ma,))
        agency_id = cur.fetchone()[0]
        cur.execute("""INSERT INTO phong (agency_id, ma_phong, ten_phong) VALUES (%s, %s, %s)
                       ON CONFLICT (agency_id, ma_phong) DO NOTHING""",
                    (agency_id, doc["phong"]["ma_phong"], doc["phong"]["ten_phong"]))
        first_pdf = pdf_keys[min(pdf_keys, key=int)]
        cur.execute(
            """INSERT INTO ho_so (agency_id, phong_id, ma_ho_so, tieu_de, thoi_han_bao_quan, muc_do_tiep_can,
                                  muc_do_tin_cay, ngon_ngu, thoi_gian_bat_dau, thoi_gian_ket_thuc, tu_khoa,
                                  tong_so_tai_lieu, so_luong_trang, ky_hieu_thong_tin, ghi_chu, pdf_keys, pdf_key,
                                  pdf_sha256)
               SELECT %(agency)s, p.id, %(ma)s, %(tieu_de)s, %(thoi_han)s, %(tiep_can)s, 'goc_dien_tu',
                      %(ngon_ngu)s, %(bat_dau)s, %(ket_thuc)s, %(tu_khoa)s, %(tong)s, %(trang)s, %(kh)s,
                      %(ghi_chu)s, %(pdf_keys)s, %(pdf_key)s, %(pdf_sha)s
               FROM phong p WHERE p.agency_id = %(agency)s AND p.ma_phong = %(phong)s RETURNING id""",
            {"agency": agency_id, "ma": code, "tieu_de": h["tieu_de"], "thoi_han": h["thoi_han_bao_quan"],
             "tiep_can": h["muc_do_tiep_can"], "ngon_ngu": h.get("ngon_ngu", "Tiếng Việt"), "bat_dau": start,
             "ket_thuc": end, "tu_khoa": h.get("tu_khoa", []), "tong": len(van_ban), "trang": first - 1,
             "kh": h.get("ky_hieu_thong_tin"), "ghi_chu": h.get("ghi_chu"), "pdf_keys": psycopg2.extras.Json(pdf_keys),
             "pdf_key": first_pdf["key"], "pdf_sha": first_pdf["sha256"], "phong": doc["phong"]["ma_phong"]})
        ho_so_id = cur.fetchone()[0]
        cur.execute("""INSERT INTO born_digital_submission (agency_ma, submission_id, ma_ho_so, verdict, fingerprint,
                                                            metadata, report)
                       VALUES (%s, %s, %s, 'accepted', %s, %s, %s) RETURNING id""",
                    (agency_ma, submission_id, code, judged.fingerprint, psycopg2.extras.Json(doc),
                     psycopg2.extras.Json(report)))
        submission_pk = cur.fetchone()[0]
        events = [Event("ingestion", "ho_so", code, agent, "success",
                        {"source": "nộp lưu", "agency": agency_ma, "submission": submission_id}),
                  Event("accession", "ho_so", code, agent, "success",
                        {"muc_do_tin_cay": "goc_dien_tu", "files": {k: v["sha256"] for k, v in pdf_keys.items()}})]
        for row, values, proposed, final, trang_dau, trang_cuoi in van_ban:
            item, k, facts = judged.item(row["tep"]), kept[row["stt"]], judged.facts[row["tep"]]
            cur.execute(
                """INSERT INTO van_ban (ho_so_id, stt, ma_luu_tru, ma_dinh_danh, ten_loai, so, ky_hieu, so_ky_hieu,
                                        ngay_ban_hanh, co_quan_ban_hanh, trich_yeu, ngon_ngu, so_trang, trang_dau,
                                        trang_cuoi, nguoi_ky, but_tich, ghi_chu, status, proposed, finalised_by,
                                        finalised_at)
                   VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
                   RETURNING id""",
                (ho_so_id, row["stt"], f"{code}.{row['stt']:02d}", row.get("ma_dinh_danh"), values["ten_loai"],
                 values["so"], values["ky_hieu"], "/".join(x for x in (values["so"], values["ky_hieu"]) if x) or None,
                 values["ngay_ban_hanh"], values["co_quan_ban_hanh"], values["trich_yeu"],
                 row.get("ngon_ngu") or h.get("ngon_ngu", "Tiếng Việt"), facts.pages or None, trang_dau, trang_cuoi,
                 values["nguoi_ky"], row.get("but_tich"), row.get("ghi_chu"), "final" if final else "proposed",
                 psycopg2.extras.Json(proposed), f"{agency_ma} (nộp lưu)" if final else None, now if final else None))
            van_ban_id = cur.fetchone()[0]
            if not final:
                flag_van_ban(cur, van_ban_id, {"proposed": proposed, "source": "born-digital text"})
            rows = [(submission_pk, ho_so_id, van_ban_id, "original", item.name, item.sha256, item.size,
                     k.original.key, k.original.version_id, facts.version, facts.pdfa, facts.pages,
                     psycopg2.extras.Json(item.signatures), psycopg2.extras.Json([asdict(f) for f in item.flags]),
                     k.rendition.key if k.rendition else None, k.rendition.sha256 if k.rendition else None,
                     k.ocr_pages)]
            rows += [(submission_pk, ho_so_id, van_ban_id, "attachment", att.name, att.sha256, att.size, stored.key,
                      stored.version_id, None, None, None, psycopg2.extras.Json([]),
                      psycopg2.extras.Json([asdict(f) for f in att.flags]), None, None, [])
                     for att, stored in k.attachments]
            psycopg2.extras.execute_values(
                cur, """INSERT INTO born_digital_file (submission_id, ho_so_id, van_ban_id, role, name, sha256,
                        size_bytes, master_key, master_version_id, pdf_version, pdfa, pages, signatures, flags,
                        rendition_key, rendition_sha256, ocr_pages) VALUES %s""", rows)
            vid = str(van_ban_id)
            weak = any(f.code in ("weak_digest", "unsigned", "untrusted", "content_after_last_signature",
                                  "certificate_expired_at_signing") for f in item.flags)
            events += [
                Event("message digest calculation", "van_ban", vid, agent, "success",
                      {"algorithm": "SHA-256", "sha256": item.sha256,
                       "key": f"s3://{storage.MASTERS}/{k.original.key}"}),
                Event("validation", "van_ban", vid, agent, "warning" if weak else "success",
                      {"check": "digital signature validation", "file": item.name, "sha256": item.sha256,
                       "signatures": item.signatures, "flags": [asdict(f) for f in item.flags],
                       "tool": "pyHanko"}),
            ]
            if k.rendition:
                events.append(Event("migration", "van_ban", vid, agent, "success",
                                     {"check": "PDF/A-2b rendition", "source_sha256": item.sha256,
                                      "rendition": f"s3://{storage.DERIVATIVES}/{k.rendition.key}",
                                      "rendition_sha256": k.rendition.sha256, "ocr_pages": k.ocr_pages}))
            if proposed:
                events.append(Event("metadata extraction", "van_ban", vid, agent, "success", proposed))
        record_events(cur, events)


def _reject(conn, judged: Judged, *, agency_ma: str, submission_id: str, agent: str, report: dict) -> None:
    code = judged.document["ho_so"]["ma_ho_so"] if judged.document else None
    with transaction(conn) as cur:
        cur.execute("""INSERT INTO born_digital_submission (agency_ma, submission_id, ma_ho_so, verdict, fingerprint,
                                                            metadata, report)
                       VALUES (%s, %s, %s, 'rejected', %s, %s, %s)""",
                    (agency_ma, submission_id, code, judged.fingerprint if judged.document else None,
                     psycopg2.extras.Json(judged.document), psycopg2.extras.Json(report)))
        reasons = [asdict(p) for p in judged.problems] + [
            {"file": display_name(i.name), **asdict(p)} for i in judged.items for p in i.reasons]
        record_events(cur, [Event("validation", "ho_so", code or f"{prefix(agency_ma)}/{submission_id}", agent,
                                  "failure", {"check": "born-digital submission", "submission": submission_id,
                                              "reasons": reasons})])


def report_of(judged: Judged, *, agency_ma: str, submission_id: str) -> dict:
    verdict = "accepted" if judged.accepted else "rejected"
    return {"agency": agency_ma, "submission_id": submission_id,
            "ma_ho_so": judged.document["ho_so"]["ma_ho_so"] if judged.document else None,
            "verdict": verdict, "verdict_label": VERDICT[verdict],
            "problems": [asdict(p) for p in judged.problems], "items": [i.as_json() for i in judged.items]}


def report_text(report: dict) -> str:
    lines = ["KẾT QUẢ TIẾP NHẬN HỒ SƠ ĐIỆN TỬ NỘP LƯU",
             f"Cơ quan: {report['agency']}    Lần nộp: {report['submission_id']}    Hồ sơ: {report['ma_ho_so'] or '?'}",
             f"Kết luận: {report['verdict_label'].upper()}", ""]
    lines += [f"- {p['message']}" for p in report["problems"]]
    for item in report["items"]:
        lines.append(f"{item['name']} ({item['role']}{', văn bản ' + str(item['stt']) if item['stt'] else ''}): "
                     f"{'đạt' if item['status'] == 'accepted' else 'KHÔNG ĐẠT'}")
        for sig in item["signatures"]:
            lines.append(f"    chữ ký: {sig['signer']} · {sig['signed_at']} · {digest_label(sig['digest'])} · "
                         f"toàn vẹn: {sig['integrity']} · tin cậy: {sig['trust']} · phủ toàn bộ tệp: "
                         f"{'có' if sig['covers_whole_file'] else 'không'}")
        lines += [f"    lỗi: {p['message']}" for p in item["reasons"]]
        lines += [f"    lưu ý: {p['message']}" for p in item["flags"]]
    if report["verdict"] == "rejected":
        lines += ["", "Cách xử lý: sửa các lỗi nêu trên rồi nộp lại hồ sơ trong một lần nộp mới (mã lần nộp mới)."]
    return "\n".join(lines) + "\n"


def _stored_report(conn, agency_ma: str, submission_id: str) -> dict | None:
    with transaction(conn) as cur:
        cur.execute("SELECT report FROM born_digital_submission WHERE agency_ma = %s AND submission_id = %s",
                    (agency_ma, submission_id))
        row = cur.fetchone()
    return row[0] if row else None


def take_in(conn, s3, source: BatchSource, *, agency_ma: str, submission_id: str, agent: str = AGENT,
            trust: TrustStore | None = None) -> dict:
    """Judge, keep and register one submission; return its report (the stored one if it was judged before)."""
    earlier = _stored_report(conn, agency_ma, submission_id)
    if earlier is not None:
        log.info("submission %s/%s was judged before: %s", agency_ma, submission_id, earlier["verdict"])
        return earlier
    with tempfile.TemporaryDirectory(prefix="sohoa-nop-luu-") as work:
        judged = judge(conn, source, agency_ma=agency_ma, workdir=Path(work), trust=trust)
        if judged.accepted:
            try:
                kept = keep(s3, judged, render(judged))
            except RenditionError as exc:
                log.warning("submission %s/%s: %s", agency_ma, submission_id, exc)
                judged.problems.append(Problem("rendition_failed", "không tạo được bản PDF/A để khai thác từ văn "
                                                                   f"bản đã ký: {exc}"))
        report = report_of(judged, agency_ma=agency_ma, submission_id=submission_id)
        report["quarantine"] = quarantine(s3, source, judged, agency_ma, submission_id)
        try:
            if judged.accepted:
                register(conn, judged, kept, agency_ma=agency_ma, submission_id=submission_id, agent=agent,
                         report=report)
            else:
                _reject(conn, judged, agency_ma=agency_ma, submission_id=submission_id, agent=agent, report=report)
        except psycopg2.errors.UniqueViolation:
            earlier = _stored_report(conn, agency_ma, submission_id)
            if earlier is None:
                raise  # another submission claimed the same mã hồ sơ meanwhile: the retry judges it again
            log.info("submission %s/%s was judged by a concurrent run", agency_ma, submission_id)
            return earlier
    log.info("submission %s/%s: %s (hồ sơ %s)", agency_ma, submission_id, report["verdict"], report["ma_ho_so"])
    return report


def take_in_from_inbox(conn, s3, agency_ma: str, submission_id: str, *, agent: str = AGENT) -> dict:
    """The DAG's entry: take one submission from ``inbox/nop-luu/<agency>/<id>/``, write the verdict back beside
    it and remove its ``_COMPLETE`` marker."""
    source = S3Batch(s3, prefix(agency_ma), submission_id)
    report = take_in(conn, s3, source, agency_ma=agency_ma, submission_id=submission_id, agent=agent)
    base = storage.batch_prefix(prefix(agency_ma), submission_id)
    storage.put_bytes(s3, storage.INBOX, base + "_REPORT.json",
                      json.dumps(report, ensure_ascii=False, indent=1).encode(), content_type="application/json")
    storage.put_bytes(s3, storage.INBOX, base + "_REPORT.txt", report_text(report).encode(),
                      content_type="text/plain; charset=utf-8")
    s3.delete_object(Bucket=storage.INBOX, Key=base + "_COMPLETE")
    return report


def pending(s3) -> list[dict]:
    """Submissions whose ``_COMPLETE`` marker is in the inbox: ``[{"agency": …, "submission_id": …}]``."""
    found = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=storage.INBOX, Prefix=f"{PREFIX}/"):
        for obj in page.get("Contents", []):
            parts = obj["Key"].split("/")
            if len(parts) == 4 and parts[3] == "_COMPLETE":
                found.append({"agency": parts[1], "submission_id": parts[2]})
    return found
