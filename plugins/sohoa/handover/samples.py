"""Sample hồ sơ for tests, demos and the handover benchmark: complete catalogue records (phông, hồ sơ, final
văn bản, pages) with page objects in ``masters`` and one PDF per văn bản in ``derivatives``, written directly
(no intake, no OCR), so packages, fixity and backups can be exercised at any size in seconds.

The stored bytes are random (not decodable images or PDFs): what is exercised is storage, metadata and
checksums. Every run uses fresh codes (``tag``), since the catalogue and S3 are shared.
"""
from __future__ import annotations

import datetime as dt
import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import psycopg2.extras

from .. import storage
from ..catalogue.db import transaction
from ..catalogue.events import Event, record_events
from ..processing import keys

AGENT = "sohoa.handover.samples"


@dataclass(frozen=True)
class SampleHoSo:
    ma_ho_so: str
    ma_phong: str
    agency_ma: str
    ho_so_id: int
    pages: int
    van_ban: int


def make_ho_so(conn, s3, *, pages: int = 4, van_ban: int = 2, page_bytes: int = 2048, year: int = 2015,
               tag: str | None = None, phong: tuple[int, str] | None = None, jobs: int = 8) -> SampleHoSo:
    """One complete hồ sơ of ``pages`` pages split evenly into ``van_ban`` văn bản (each a PDF of
    ``page_bytes`` per page). ``phong`` = (agency id, mã phông) of an existing phông, else a new one."""
    tag = tag or uuid.uuid4().hex[:8]
    with transaction(conn) as cur:
        if phong is None:
            cur.execute("INSERT INTO agency (ma, ten) VALUES (%s, %s) RETURNING id",
                        (f"A{tag}", f"Cơ quan thử {tag}"))
            agency_id = cur.fetchone()[0]
            ma_phong = f"P{tag}"
            cur.execute("""INSERT INTO phong (agency_id, ma_phong, ten_phong, ngon_ngu)
                           VALUES (%s, %s, %s, 'Tiếng Việt')""", (agency_id, ma_phong, f"Phông thử {tag}"))
        else:
            agency_id, ma_phong = phong
        cur.execute("SELECT p.id, a.ma FROM phong p JOIN agency a ON a.id = p.agency_id "
                    "WHERE p.agency_id = %s AND p.ma_phong = %s", (agency_id, ma_phong))
        phong_id, agency_ma = cur.fetchone()
    ma = f"{ma_phong}.01.{year}.{tag}"
    page_keys = [storage.master_key(ma, n, "jpg") for n in range(1, pages + 1)]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        page_digests = list(pool.map(lambda key: storage.put_bytes(s3, storage.MASTERS, key,
                                                                   os.urandom(page_bytes), content_type="image/jpeg"),
                                     page_keys))
    per = max(1, pages // van_ban)
    spans = [(stt, (stt - 1) * per + 1, pages if stt == van_ban else stt * per) for stt in range(1, van_ban + 1)]

    def put_pdf(span):
        stt, first, last = span
        body = b"%PDF-1.7\n" + os.urandom(page_bytes * (last - first + 1)) + b"\n%%EOF\n"
        put = storage.put_bytes(s3, storage.DERIVATIVES, keys.pdf_key(ma, stt), body, content_type="application/pdf")
        return str(stt), {"key": put.key, "sha256": put.sha256, "pages": [first, last]}

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        pdfs = dict(pool.map(put_pdf, spans))
    with transaction(conn) as cur:
        cur.execute(
            """INSERT INTO ho_so (agency_id, phong_id, ma_ho_so, tieu_de, thoi_han_bao_quan, muc_do_tiep_can,
                                  muc_do_tin_cay, ngon_ngu, thoi_gian_bat_dau, thoi_gian_ket_thuc, tu_khoa,
                                  tong_so_tai_lieu, so_luong_to, so_luong_trang, tinh_trang_vat_ly,
                                  pdf_keys, pdf_key, pdf_sha256)
               VALUES (%s, %s, %s, %s, 'vinh_vien', 'cong_khai', 'so_hoa', 'Tiếng Việt', %s, %s, %s, %s, %s, %s,
                       'Bình thường', %s, %s, %s) RETURNING id""",
            (agency_id, phong_id, ma, f"Hồ sơ mẫu {tag} về hợp tác quốc tế năm {year}", dt.date(year, 1, 5),
             dt.date(year, 12, 28), ["hợp tác quốc tế", "mẫu"], van_ban, pages, pages,
             psycopg2.extras.Json(pdfs), pdfs["1"]["key"], pdfs["1"]["sha256"]))
        ho_so_id = cur.fetchone()[0]
        psycopg2.extras.execute_values(
            cur, """INSERT INTO trang (ho_so_id, so_trang, sha256, size_bytes, dpi, color_mode, format, master_key,
                                       master_version_id, ocr_status) VALUES %s""",
            [(ho_so_id, n, put.sha256, put.size, 300, "color", "jpeg", put.key, put.version_id, "done")
             for n, put in enumerate(page_digests, start=1)], page_size=1000)
        psycopg2.extras.execute_values(
            cur, """INSERT INTO van_ban (ho_so_id, stt, ma_luu_tru, ten_loai, so, ky_hieu, so_ky_hieu, ngay_ban_hanh,
                                         co_quan_ban_hanh, trich_yeu, ngon_ngu, so_trang, trang_dau, trang_cuoi,
                                         nguoi_ky, status, finalised_by, finalised_at) VALUES %s""",
            [(ho_so_id, stt, f"{ma}.{stt:02d}", "Công văn", str(stt), "SNGV-HTQT", f"{stt}/SNGV-HTQT",
              dt.date(year, 3, min(28, stt)), "Sở Ngoại vụ Hải Phòng", f"V/v hợp tác quốc tế, văn bản số {stt}",
              "Tiếng Việt", last - first + 1, first, last, "Nguyễn Văn A", "final", AGENT,
              dt.datetime.now(dt.timezone.utc)) for stt, first, last in spans])
        record_events(cur, [Event("ingestion", "ho_so", ma, AGENT, detail={"sample": tag})]
                      + [Event("replication", "trang", put.key, AGENT, detail={"sha256": put.sha256})
                         for put in page_digests])
    return SampleHoSo(ma, ma_phong, agency_ma, ho_so_id, pages, van_ban)
