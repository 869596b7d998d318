"""Import an HP-Net export (a folder: the listing plus ``files/…``) into the catalogue.

Per hồ sơ of the listing: its metadata is typed and checked, each văn bản's file must be in the export, be a
PDF, be listed once and (when the listing gives one) hash to the listed SHA-256. A sound hồ sơ is imported with
mức độ tin cậy ``goc_dien_tu``: its files go to ``masters`` (versioned, object-locked — they are the originals)
as ``<mã hồ sơ>/goc-dien-tu/<mã hồ sơ>.<STT>.pdf`` and ``ho_so.pdf_keys`` points there (``"bucket": "masters"``),
so handover, fixity and backups treat them like any other PDF. Its văn bản are final (the source system's
metadata is the record's own). A hồ sơ that fails any check is refused with its reasons; the others go on.
Re-importing the same export changes nothing (hồ sơ already there with the same files are counted, not redone).

The result is a report (stored in ``hpnet_import`` and as .xlsx in ``exports/hpnet/…``): imported, already
there, refused with reasons, files in the export but not in the listing, files with identical content, and the
reconciliation per year (:mod:`sohoa.hpnet.reconcile`).
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import psycopg2.extras

from .. import storage
from ..catalogue.db import transaction
from ..catalogue.events import Event, record_events
from ..glossary import MUC_DO_TIEP_CAN, THOI_HAN_BAO_QUAN
from ..processing.keys import pdf_name
from ..vntext import fold
from . import HpnetError, reconcile
from .listing import LISTINGS, Entry, read_listing

log = logging.getLogger(__name__)
AGENT = "sohoa.hpnet"
MA_HO_SO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
RETENTION = {fold(label).lower(): code for code, label in THOI_HAN_BAO_QUAN.items()} | {
    code: code for code in THOI_HAN_BAO_QUAN}
ACCESS = {fold(label).lower(): code for code, label in MUC_DO_TIEP_CAN.items()} | {
    code: code for code in MUC_DO_TIEP_CAN} | {"han che": "co_dieu_kien", "han che su dung": "co_dieu_kien"}


@dataclass
class Checked:
    """An entry that passed every check, typed, with its files' digests and sizes."""
    entry: Entry
    ho_so: dict
    van_ban: list[dict]
    year: int


def _date(value: str | None) -> dt.date | None:
    if not value:
        return None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"):
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    return None


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _sha256(path: Path) -> str:
    with open(path, "rb") as fh:
        return storage.sha256_of(storage.file_chunks(fh))[0]


def _year_of(entry: Entry) -> int | None:
    end = _date(entry.ho_so.get("thoi_gian_ket_thuc"))
    return _int(entry.ho_so.get("nam")) or (end.year if end else None)


def _check(entry: Entry, files: dict[str, Path], digests: dict[str, str], shared_paths: set[str],
           duplicate_codes: set[str], phong_known: bool) -> tuple[Checked | None, list[str]]:
    """Type and check one entry; (Checked, []) or (None, reasons in Vietnamese)."""
    h = entry.ho_so
    reasons = list(entry.problems)
    code = h.get("ma_ho_so") or ""
    if code in duplicate_codes:
        reasons.append("mã hồ sơ xuất hiện nhiều lần trong danh sách")
    if not MA_HO_SO.match(code):
        reasons.append(f"mã hồ sơ {code!r} không hợp lệ (chỉ chữ, số, '.', '_', '-')")
    for field, label in (("tieu_de", "tiêu đề"), ("ma_phong", "mã phông")):
        if not h.get(field):
            reasons.append(f"thiếu {label}")
    if not phong_known and not h.get("ten_phong"):
        reasons.append(f"phông {h.get('ma_phong')!r} chưa có trong cơ sở dữ liệu và thiếu tên phông")
    retention = RETENTION.get(fold(h.get("thoi_han_bao_quan") or "").lower())
    if retention is None:
        reasons.append(f"thời hạn bảo quản {h.get('thoi_han_bao_quan')!r} không hợp lệ "
                       f"({', '.join(THOI_HAN_BAO_QUAN.values())})")
    access = ACCESS.get(fold(h.get("muc_do_tiep_can") or "").lower())
    if access is None:
        reasons.append(f"chế độ sử dụng {h.get('muc_do_tiep_can')!r} không hợp lệ "
                       f"({', '.join(MUC_DO_TIEP_CAN.values())})")
    start, end = _date(h.get("thoi_gian_bat_dau")), _date(h.get("thoi_gian_ket_thuc"))
    year = _year_of(entry)
    if start is None or end is None or end < start:
        reasons.append("thời gian bắt đầu/kết thúc thiếu hoặc sai (dd/mm/yyyy)")
    if year is None:
        reasons.append("không xác định được năm của hồ sơ")
    if not entry.van_ban:
        reasons.append("hồ sơ không có văn bản nào")
    van_ban, stts, first = [], set(), 1
    for row in entry.van_ban:
        stt = _int(row.get("stt"))
        where = f"văn bản {row.get('stt') or '?'}"
        if stt is None or stt < 1 or stt in stts:
            reasons.append(f"{where}: số thứ tự thiếu, sai hoặc trùng")
            continue
        stts.add(stt)
        missing = [label for field, label in (("ten_loai", "tên loại"), ("co_quan_ban_hanh", "cơ quan ban hành"),
                                              ("trich_yeu", "trích yếu")) if not row.get(field)]
        day, pages = _date(row.get("ngay_ban_hanh")), _int(row.get("so_trang"))
        if day is None:
            missing.append("ngày văn bản")
        if not pages:
            missing.append("số trang")
        if missing:
            reasons.append(f"{where}: thiếu {', '.join(missing)}")
        path = (row.get("tep") or "").lstrip("./")
        if path not in files:
            reasons.append(f"{where}: thiếu tệp {row.get('tep')!r} trong bản xuất")
        elif path in shared_paths:
            reasons.append(f"{where}: tệp {path} được khai cho nhiều văn bản")
        elif not path.lower().endswith(".pdf"):
            reasons.append(f"{where}: tệp {path} không phải PDF")
        elif row.get("sha256") and row["sha256"].lower() != digests[path]:
            reasons.append(f"{where}: SHA-256 của tệp {path} ({digests[path]}) khác với danh sách ({row['sha256']})")
        if pages:
            van_ban.append({**row, "stt": stt, "ngay_ban_hanh": day, "so_trang": pages, "path": path,
                            "trang_dau": first, "trang_cuoi": first + pages - 1})
            first += pages
    if reasons:
        return None, reasons
    typed = {**h, "thoi_han_bao_quan": retention, "muc_do_tiep_can": access, "thoi_gian_bat_dau": start,
             "thoi_gian_ket_thuc": end,
             "tu_khoa": [w.strip() for w in re.split(r"[;,]", h.get("tu_khoa") or "") if w.strip()]}
    return Checked(entry, typed, sorted(van_ban, key=lambda v: v["stt"]), year), []


def import_export(conn, s3, export_dir: Path, *, agency_ma: str, agent: str = AGENT) -> dict:
    """Import one export folder for agency ``agency_ma``; return the report. Raises ExportFormatError when the
    listing is unreadable and HpnetError when the agency is unknown (nothing imported then)."""
    listing = read_listing(export_dir)
    listing_path = export_dir / listing.name
    with transaction(conn) as cur:
        cur.execute("SELECT id FROM agency WHERE ma = %s", (agency_ma,))
        row = cur.fetchone()
        if row is None:
            raise HpnetError(f"Không có cơ quan mã {agency_ma!r} trong cơ sở dữ liệu")
        agency_id = row[0]
        cur.execute("SELECT ma_phong FROM phong WHERE agency_id = %s", (agency_id,))
        phong_known = {r[0] for r in cur.fetchall()}
        codes = [e.ho_so.get("ma_ho_so") for e in listing.entries]
        cur.execute("""SELECT ma_ho_so, muc_do_tin_cay, pdf_keys FROM ho_so WHERE ma_ho_so = ANY(%s)""", (codes,))
        existing = {r[0]: r[1:] for r in cur.fetchall()}
    files = {p.relative_to(export_dir).as_posix(): p for p in sorted(export_dir.rglob("*"))
             if p.is_file() and p.name not in LISTINGS and p.name != "tong_hop.csv"}
    referenced = Counter((v.get("tep") or "").lstrip("./") for e in listing.entries for v in e.van_ban)
    digests = {path: _sha256(files[path]) for path in referenced if path in files}
    by_digest = defaultdict(list)
    for path, digest in digests.items():
        by_digest[digest].append(path)
    duplicate_codes = {c for c, n in Counter(codes).items() if n > 1}
    shared_paths = {p for p, n in referenced.items() if n > 1}

    outcome = {k: Counter() for k in ("listed", "imported", "already", "refused")}
    imported, already, refused = [], [], []
    for entry in listing.entries:
        year = _year_of(entry)
        outcome["listed"][year] += 1
        checked, reasons = _check(entry, files, digests, shared_paths, duplicate_codes,
                                  entry.ho_so.get("ma_phong") in phong_known)
        code = entry.ho_so.get("ma_ho_so")
        if checked and code in existing:
            reliability, pdf_keys = existing[code]
            same = reliability == "goc_dien_tu" and sorted(v["sha256"] for v in pdf_keys.values()) == sorted(
                digests[v["path"]] for v in checked.van_ban)
            if same:
                outcome["already"][year] += 1
                already.append(code)
                continue
            checked, reasons = None, ["mã hồ sơ đã có trong cơ sở dữ liệu với nội dung khác"]
        if checked is None:
            outcome["refused"][year] += 1
            refused.append({"ma_ho_so": code, "where": entry.where, "reasons": reasons})
            continue
        _store(conn, s3, checked, agency_id, digests, files, agent, listing.name)
        phong_known.add(checked.ho_so["ma_phong"])
        outcome["imported"][year] += 1
        imported.append(code)
    with transaction(conn) as cur:
        recon = reconcile.per_year(cur, agency_ma, listing.declared, listing.declared_total, outcome)
    report = {"export": export_dir.name, "listing": listing.name, "agency": agency_ma,
              "imported": imported, "already": already, "refused": refused,
              "unlisted_files": sorted(set(files) - set(referenced)),
              "duplicate_contents": sorted(sorted(paths) for paths in by_digest.values() if len(paths) > 1),
              "listing_problems": listing.problems, "reconciliation": recon}
    with transaction(conn) as cur:
        cur.execute("""INSERT INTO hpnet_import (export_name, export_sha256, agency_ma, report)
                       VALUES (%s, %s, %s, %s) RETURNING id""",
                    (export_dir.name, _sha256(listing_path), agency_ma,
                     psycopg2.extras.Json(report, dumps=lambda o: json.dumps(o, default=str))))
        import_id = cur.fetchone()[0]
    key = f"hpnet/{import_id:06d}-{export_dir.name}/doi_chieu_hpnet.xlsx"
    storage.put_bytes(s3, storage.EXPORTS, key, reconcile.workbook(report),
                      content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    log.info("HP-Net import #%d of %s for %s: %d imported, %d already there, %d refused", import_id,
             export_dir.name, agency_ma, len(imported), len(already), len(refused))
    return report | {"import_id": import_id, "report_key": f"exports/{key}"}


def _store(conn, s3, checked: Checked, agency_id: int, digests: dict[str, str], files: dict[str, Path],
           agent: str, listing: str) -> None:
    """Put the files in masters (unless already there with the same bytes), then register the hồ sơ."""
    h, code = checked.ho_so, checked.ho_so["ma_ho_so"]
    pdf_keys = {}
    for row in checked.van_ban:
        key = f"{code}/goc-dien-tu/{pdf_name(code, row['stt'])}"
        digest = digests[row["path"]]
        if storage.stored_sha256(s3, storage.MASTERS, key) != digest:
            size = files[row["path"]].stat().st_size
            with open(files[row["path"]], "rb") as fh:
                storage.upload_chunks(s3, storage.MASTERS, key, storage.file_chunks(fh), size=size,
                                      sha256_hex=digest, extra=storage.lock_arguments())
        pdf_keys[str(row["stt"])] = {"bucket": storage.MASTERS, "key": key, "sha256": digest,
                                     "pages": [row["trang_dau"], row["trang_cuoi"]]}
    pages = sum(v["so_trang"] for v in checked.van_ban)
    first_pdf = pdf_keys[min(pdf_keys, key=int)]
    with transaction(conn) as cur:
        cur.execute("""INSERT INTO phong (agency_id, ma_phong, ten_phong) SELECT %(agency)s, %(ma)s, %(ten)s
                       WHERE NOT EXISTS (SELECT 1 FROM phong WHERE agency_id = %(agency)s AND ma_phong = %(ma)s)""",
                    {"agency": agency_id, "ma": h["ma_phong"], "ten": h["ten_phong"]})
        cur.execute(
            """INSERT INTO ho_so (agency_id, phong_id, ma_ho_so, tieu_de, thoi_han_bao_quan, muc_do_tiep_can,
                                  muc_do_tin_cay, ngon_ngu, thoi_gian_bat_dau, thoi_gian_ket_thuc, tu_khoa,
                                  tong_so_tai_lieu, so_luong_trang, pdf_keys, pdf_key, pdf_sha256)
               SELECT %(agency)s, p.id, %(ma)s, %(tieu_de)s, %(thoi_han)s, %(tiep_can)s, 'goc_dien_tu',
                      coalesce(%(ngon_ngu)s, 'Tiếng Việt'), %(bat_dau)s, %(ket_thuc)s, %(tu_khoa)s, %(tong)s,
                      %(trang)s, %(pdf_keys)s, %(pdf_key)s, %(pdf_sha)s
               FROM phong p WHERE p.agency_id = %(agency)s AND p.ma_phong = %(phong)s
               RETURNING id""",
            {"agency": agency_id, "ma": code, "tieu_de": h["tieu_de"], "thoi_han": h["thoi_han_bao_quan"],
             "tiep_can": h["muc_do_tiep_can"], "ngon_ngu": h.get("ngon_ngu"), "bat_dau": h["thoi_gian_bat_dau"],
             "ket_thuc": h["thoi_gian_ket_thuc"], "tu_khoa": h["tu_khoa"], "tong": len(checked.van_ban),
             "trang": pages, "pdf_keys": psycopg2.extras.Json(pdf_keys), "pdf_key": first_pdf["key"],
             "pdf_sha": first_pdf["sha256"], "phong": h["ma_phong"]})
        ho_so_id = cur.fetchone()[0]
        psycopg2.extras.execute_values(
            cur, """INSERT INTO van_ban (ho_so_id, stt, ma_luu_tru, ten_loai, so, ky_hieu, so_ky_hieu, ngay_ban_hanh,
                                         co_quan_ban_hanh, trich_yeu, ngon_ngu, so_trang, trang_dau, trang_cuoi,
                                         nguoi_ky, status, finalised_by, finalised_at) VALUES %s""",
            [(ho_so_id, v["stt"], f"{code}.{v['stt']:02d}", v["ten_loai"], v.get("so"), v.get("ky_hieu"),
              "/".join(x for x in (v.get("so"), v.get("ky_hieu")) if x) or None, v["ngay_ban_hanh"],
              v["co_quan_ban_hanh"], v["trich_yeu"], h.get("ngon_ngu") or "Tiếng Việt", v["so_trang"],
              v["trang_dau"], v["trang_cuoi"], v.get("nguoi_ky"), "final", agent, dt.datetime.now(dt.timezone.utc))
             for v in checked.van_ban])
        record_events(cur, [Event("ingestion", "ho_so", code, agent, "success",
                                  {"source": "HP-Net", "listing": listing, "where": checked.entry.where,
                                   "files": {k: v["sha256"] for k, v in pdf_keys.items()}}),
                            Event("validation", "ho_so", code, agent, "success",
                                  {"checks": "metadata, files present and listed once, PDF, SHA-256 as listed"})])
