"""The archival records: cơ quan, phông, mục lục, hộp, hồ sơ, văn bản and their pages (trang).

Every write is an idempotent upsert keyed by the archive's own identifiers (mã phông, mã hồ sơ, SHA-256 of a
page), so registering the same delivery twice leaves one row per thing.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import psycopg2.extras

from .db import CatalogueError


@dataclass(frozen=True)
class PageRow:
    """One accepted page image as the catalogue stores it."""
    ho_so_id: int
    so_trang: int
    sha256: str
    size_bytes: int
    dpi: int
    width: int
    height: int
    color_mode: str
    format: str
    master_key: str
    master_version_id: str | None = None
    batch_item_id: int | None = None
    qc_flags: list = field(default_factory=list)


PAGE_COLUMNS = ("ho_so_id", "so_trang", "sha256", "size_bytes", "dpi", "width", "height", "color_mode", "format",
                "master_key", "master_version_id", "batch_item_id", "qc_flags")

HO_SO_FIELDS = ("tieu_de", "thoi_han_bao_quan", "muc_do_tiep_can", "muc_do_tin_cay", "ngon_ngu",
                "thoi_gian_bat_dau", "thoi_gian_ket_thuc", "tong_so_tai_lieu", "so_luong_to", "so_luong_trang",
                "tinh_trang_vat_ly", "ky_hieu_thong_tin", "ma_ho_so_goc_giay", "ghi_chu")
VAN_BAN_FIELDS = ("ma_dinh_danh", "ten_loai", "so", "ky_hieu", "ngay_ban_hanh", "co_quan_ban_hanh", "trich_yeu",
                  "ngon_ngu", "so_trang", "trang_dau", "trang_cuoi", "nguoi_ky", "but_tich", "ghi_chu")


def _one(cur, sql: str, params: tuple) -> int:
    cur.execute(sql, params)
    return cur.fetchone()[0]


def register_agency(cur, ma: str, ten: str) -> int:
    return _one(cur, "INSERT INTO agency (ma, ten) VALUES (%s, %s) "
                     "ON CONFLICT (ma) DO UPDATE SET ma = EXCLUDED.ma RETURNING id", (ma, ten))


def register_tree(cur, manifest: dict, *, batch_pk: int, ma_ho_so: set[str]) -> dict[str, int]:
    """Register the phông, mục lục, hộp, the hồ sơ named in ``ma_ho_so`` and their văn bản; return
    ``{ma_ho_so: ho_so.id}``. Raises :class:`CatalogueError` when a hồ sơ already belongs to another batch."""
    agency_id = register_agency(cur, manifest["co_quan"]["ma"], manifest["co_quan"]["ten"])
    phong = manifest["phong"]
    phong_id = _one(
        cur,
        """INSERT INTO phong (agency_id, ma_phong, ten_phong, lich_su, thoi_gian_tai_lieu, tong_so_tai_lieu,
                              phuong_an_phan_loai, ngon_ngu)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
           ON CONFLICT (agency_id, ma_phong) DO UPDATE SET ma_phong = EXCLUDED.ma_phong RETURNING id""",
        (agency_id, phong["ma_phong"], phong["ten_phong"], phong.get("lich_su"), phong.get("thoi_gian_tai_lieu"),
         phong.get("tong_so_tai_lieu"), phong.get("phuong_an_phan_loai"), phong.get("ngon_ngu")))
    muc_luc = manifest["muc_luc"]
    muc_luc_id = _one(
        cur,
        """INSERT INTO muc_luc (phong_id, so, nam, ten) VALUES (%s, %s, %s, %s)
           ON CONFLICT (phong_id, so) DO UPDATE SET so = EXCLUDED.so RETURNING id""",
        (phong_id, muc_luc["so"], muc_luc.get("nam"), muc_luc.get("ten")))
    hop_ids = {
        hop["hop_so"]: _one(cur, """INSERT INTO hop (phong_id, hop_so, ghi_chu) VALUES (%s, %s, %s)
                                    ON CONFLICT (phong_id, hop_so) DO UPDATE SET hop_so = EXCLUDED.hop_so
                                    RETURNING id""", (phong_id, hop["hop_so"], hop.get("ghi_chu")))
        for hop in manifest.get("hop", [])}
    ids = {}
    for ho_so in manifest["ho_so"]:
        if ho_so["ma_ho_so"] not in ma_ho_so:
            continue
        cur.execute(
            f"""INSERT INTO ho_so (agency_id, phong_id, muc_luc_id, hop_id, batch_id, ma_ho_so, tu_khoa, arranged,
                                   high_value, shelf_metres, {', '.join(HO_SO_FIELDS)})
                VALUES ({', '.join(['%s'] * (10 + len(HO_SO_FIELDS)))})
                ON CONFLICT (ma_ho_so) DO NOTHING RETURNING id""",
            (agency_id, phong_id, muc_luc_id, hop_ids.get(ho_so.get("hop_so")), batch_pk, ho_so["ma_ho_so"],
             ho_so.get("tu_khoa", []), ho_so.get("da_chinh_ly", True), ho_so.get("gia_tri_cao", False),
             ho_so.get("met_gia"), *(ho_so.get(f) for f in HO_SO_FIELDS)))
        row = cur.fetchone()
        if row is None:
            cur.execute("SELECT id, batch_id FROM ho_so WHERE ma_ho_so = %s", (ho_so["ma_ho_so"],))
            existing, owner = cur.fetchone()
            if owner != batch_pk:
                raise CatalogueError(f"hồ sơ {ho_so['ma_ho_so']} already belongs to batch #{owner}")
            row = (existing,)
        ids[ho_so["ma_ho_so"]] = row[0]
        _register_van_ban(cur, ho_so, ids[ho_so["ma_ho_so"]])
    return ids


def _register_van_ban(cur, ho_so: dict, ho_so_id: int) -> None:
    rows = [(ho_so_id, vb["stt"], f"{ho_so['ma_ho_so']}.{vb['stt']:02d}",
             f"{vb['so']}/{vb['ky_hieu']}" if vb.get("so") and vb.get("ky_hieu") else None,
             *(vb.get(f) for f in VAN_BAN_FIELDS)) for vb in ho_so.get("van_ban", [])]
    psycopg2.extras.execute_values(
        cur,
        f"""INSERT INTO van_ban (ho_so_id, stt, ma_luu_tru, so_ky_hieu, {', '.join(VAN_BAN_FIELDS)}) VALUES %s
            ON CONFLICT (ho_so_id, stt) DO NOTHING""", rows)


def register_pages(cur, pages: list[PageRow]) -> list[str]:
    """Insert pages in bulk (execute_values); a page whose SHA-256 is already there is left alone.
    Returns the SHA-256 of the pages inserted now."""
    rows = [tuple(psycopg2.extras.Json(v) if isinstance(v, list) else v
                  for v in (getattr(p, c) for c in PAGE_COLUMNS)) for p in pages]
    inserted = psycopg2.extras.execute_values(
        cur,
        f"""INSERT INTO trang ({', '.join(PAGE_COLUMNS)}) VALUES %s
            ON CONFLICT (sha256) DO NOTHING RETURNING sha256""",
        rows, page_size=2000, fetch=True)
    return [row[0] for row in inserted]


def page_by_sha256(cur, sha256: str) -> dict | None:
    """The catalogued page with this SHA-256 (with its hồ sơ's mã), or None."""
    cur.execute(
        """SELECT t.id, h.ma_ho_so, t.so_trang, t.master_key, t.master_version_id, t.size_bytes, t.dpi,
                  t.color_mode, t.ocr_status
           FROM trang t JOIN ho_so h ON h.id = t.ho_so_id WHERE t.sha256 = %s""", (sha256,))
    row = cur.fetchone()
    names = ("id", "ma_ho_so", "so_trang", "master_key", "master_version_id", "size_bytes", "dpi", "color_mode",
             "ocr_status")
    return dict(zip(names, row)) if row else None


def page_owners(cur, sha256s: list[str], *, other_than_batch: int | None) -> dict[str, str]:
    """For each SHA-256 another batch holds: ``"<mã hồ sơ> trang <n>"``. Held means catalogued, or accepted
    by a batch still being stored (its claim, so two deliveries racing for the same page cannot both win)."""
    cur.execute(
        """SELECT t.sha256, h.ma_ho_so || ' trang ' || t.so_trang FROM trang t JOIN ho_so h ON h.id = t.ho_so_id
           WHERE t.sha256 = ANY(%(sha)s) AND h.batch_id IS DISTINCT FROM %(batch)s
           UNION ALL
           SELECT i.sha256, i.ma_ho_so || ' trang ' || i.so_trang || ', lô ' || b.vendor || '/' || b.batch_id
           FROM batch b JOIN batch_item i ON i.batch_id = b.id
           WHERE b.status = 'validated' AND b.id IS DISTINCT FROM %(batch)s AND i.kind = 'page'
             AND i.status = 'accepted' AND i.sha256 = ANY(%(sha)s)""",
        {"sha": sha256s, "batch": other_than_batch})
    return dict(cur.fetchall())


def ho_so_owners(cur, ma_ho_so: list[str], *, other_than_batch: int | None) -> dict[str, str]:
    """For each mã hồ sơ another batch holds (catalogued, or accepted by a batch still being stored):
    ``"<vendor>/<batch_id>"`` (or "?" when it came without a batch)."""
    cur.execute(
        """SELECT h.ma_ho_so, coalesce(b.vendor || '/' || b.batch_id, '?') FROM ho_so h
           LEFT JOIN batch b ON b.id = h.batch_id
           WHERE h.ma_ho_so = ANY(%(ma)s) AND h.batch_id IS DISTINCT FROM %(batch)s
           UNION ALL
           SELECT DISTINCT i.ma_ho_so, b.vendor || '/' || b.batch_id
           FROM batch b JOIN batch_item i ON i.batch_id = b.id
           WHERE b.status = 'validated' AND b.id IS DISTINCT FROM %(batch)s AND i.kind = 'page'
             AND i.status = 'accepted' AND i.ma_ho_so = ANY(%(ma)s)""",
        {"ma": ma_ho_so, "batch": other_than_batch})
    return dict(cur.fetchall())
