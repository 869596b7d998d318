"""What a package describes, read from the catalogue: a hồ sơ (or one of its văn bản), its phông, pages, PDFs
and the audit trail — and the refusal of any unit whose metadata a TT 05/2025 package cannot do without.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import psycopg2.extras

from .. import storage
from ..vntime import VN_TZ
from . import HandoverError, MissingMetadata

LEVELS = ("ho_so", "van_ban")

# Fields without which a package is refused, with the label an archivist reads.
HO_SO_REQUIRED = {
    "ma_phong": "mã phông", "ten_phong": "tên phông", "tieu_de": "tiêu đề hồ sơ",
    "thoi_han_bao_quan": "thời hạn bảo quản", "muc_do_tiep_can": "mức độ tiếp cận",
    "muc_do_tin_cay": "mức độ tin cậy", "ngon_ngu": "ngôn ngữ",
    "thoi_gian_bat_dau": "thời gian bắt đầu", "thoi_gian_ket_thuc": "thời gian kết thúc",
}
VAN_BAN_REQUIRED = {
    "ten_loai": "tên loại văn bản", "ngay_ban_hanh": "ngày tháng năm văn bản",
    "co_quan_ban_hanh": "cơ quan ban hành", "trich_yeu": "trích yếu nội dung",
}


def iso(moment: dt.datetime | None = None) -> str:
    """ISO-8601 in +07:00, to the second (TT 05/2025): ``2026-11-24T09:30:00+07:00``."""
    return (moment or dt.datetime.now(VN_TZ)).astimezone(VN_TZ).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Unit:
    """One unit of handover: a hồ sơ with all its văn bản, or one văn bản of it (``level``)."""

    level: str
    ho_so: dict            # ho_so columns plus ma_phong, ten_phong, agency_ma, agency_ten, muc_luc_so, hop_so
    van_ban: list[dict]    # van_ban columns plus pdf_bucket, pdf_key, pdf_sha256 — only those in this unit
    pages: list[dict]      # so_trang, sha256, size_bytes, master_key, format of the pages in this unit
    events: list[dict]     # catalogue events of the hồ sơ, its văn bản and its pages, oldest first

    @property
    def identifier(self) -> str:
        """mã hồ sơ, or mã lưu trữ of the văn bản (mã hồ sơ + STT)."""
        return self.ho_so["ma_ho_so"] if self.level == "ho_so" else self.van_ban[0]["ma_luu_tru"]


HO_SO_SQL = """
    SELECT h.*, p.ma_phong, p.ten_phong, p.ngon_ngu AS phong_ngon_ngu, a.ma AS agency_ma, a.ten AS agency_ten,
           m.so AS muc_luc_so, m.nam AS muc_luc_nam, hp.hop_so,
           (SELECT count(*) FROM trang t WHERE t.ho_so_id = h.id) AS trang_count
    FROM ho_so h
    JOIN phong p ON p.id = h.phong_id
    JOIN agency a ON a.id = h.agency_id
    LEFT JOIN muc_luc m ON m.id = h.muc_luc_id
    LEFT JOIN hop hp ON hp.id = h.hop_id
    WHERE h.ma_ho_so = %s"""

EVENTS_SQL = """
    SELECT id, event_type, object_type, object_id, agent, occurred_at, outcome, detail FROM event
    WHERE (object_type = 'ho_so' AND object_id = %(ma_ho_so)s)
       OR (object_type = 'van_ban' AND object_id = ANY(%(van_ban)s))
       OR (object_type = 'trang' AND object_id = ANY(%(trang)s))
    ORDER BY id"""


def describe(cur, ma_ho_so: str) -> Unit:
    """Read one hồ sơ (the ``ho_so`` unit) from the catalogue. Raises :class:`MissingMetadata` listing every
    missing field (of the hồ sơ and of each văn bản) and :class:`HandoverError` when it does not exist."""
    dict_cur = cur.connection.cursor(cursor_factory=psycopg2.extras.RealDictCursor)
    with dict_cur:
        dict_cur.execute(HO_SO_SQL, (ma_ho_so,))
        ho_so = dict_cur.fetchone()
        if ho_so is None:
            raise HandoverError(f"Không có hồ sơ {ma_ho_so} trong cơ sở dữ liệu")
        ho_so = dict(ho_so)
        dict_cur.execute("SELECT * FROM van_ban WHERE ho_so_id = %s ORDER BY stt", (ho_so["id"],))
        van_ban = [dict(row) for row in dict_cur.fetchall()]
        dict_cur.execute("""SELECT id, so_trang, sha256, size_bytes, master_key, master_version_id, format
                            FROM trang WHERE ho_so_id = %s ORDER BY so_trang""", (ho_so["id"],))
        pages = [dict(row) for row in dict_cur.fetchall()]
    pdfs = ho_so["pdf_keys"] or {}
    for row in van_ban:
        pdf = pdfs.get(str(row["stt"]), {})
        # born-digital originals (HP-Net) are kept in masters; PDFs made here live in derivatives
        row["pdf_bucket"] = pdf.get("bucket", storage.DERIVATIVES)
        row["pdf_key"], row["pdf_sha256"] = pdf.get("key"), pdf.get("sha256")
        # a born-digital original's PDF/A-2b access copy (none when the original is itself PDF/A)
        copy = pdf.get("rendition") or {}
        row["rendition_bucket"], row["rendition_sha256"] = copy.get("bucket"), copy.get("sha256")
        row["rendition_key"] = copy.get("key") if copy.get("key") != pdf.get("key") else None
    missing = missing_fields(ho_so, van_ban)
    if missing:
        raise MissingMetadata(ma_ho_so, missing)
    cur.execute(EVENTS_SQL, {"ma_ho_so": ma_ho_so, "van_ban": [str(v["id"]) for v in van_ban],
                             "trang": [str(p["id"]) for p in pages] + [p["master_key"] for p in pages]})
    names = [d[0] for d in cur.description]
    events = [dict(zip(names, row)) for row in cur.fetchall()]
    return Unit("ho_so", ho_so, van_ban, pages, events)


def per_van_ban(unit: Unit) -> list[Unit]:
    """The ``van_ban`` units of a hồ sơ unit: each văn bản with its pages and the events of the hồ sơ, of itself
    and of its pages."""
    units = []
    for row in unit.van_ban:
        pages = [p for p in unit.pages if row["trang_dau"] <= p["so_trang"] <= row["trang_cuoi"]]
        mine = {("van_ban", str(row["id"]))} | {("trang", str(p["id"])) for p in pages} | {
            ("trang", p["master_key"]) for p in pages}
        events = [e for e in unit.events if e["object_type"] == "ho_so" or (e["object_type"], e["object_id"]) in mine]
        units.append(Unit("van_ban", unit.ho_so, [row], pages, events))
    return units


def missing_fields(ho_so: dict, van_ban: list[dict]) -> list[str]:
    """Every missing or unfit field, in Vietnamese, hồ sơ first then each văn bản by STT."""
    missing = [f"hồ sơ: {label}" for field, label in HO_SO_REQUIRED.items() if _empty(ho_so.get(field))]
    if not van_ban:
        missing.append("hồ sơ: chưa có văn bản nào (chưa lập PDF)")
    for row in van_ban:
        where = f"văn bản {row['stt']:02d} ({row['ma_luu_tru']})"
        missing += [f"{where}: {label}" for field, label in VAN_BAN_REQUIRED.items() if _empty(row.get(field))]
        if not row.get("pdf_key") or not row.get("pdf_sha256"):
            missing.append(f"{where}: tệp PDF")
        if row.get("status") != "final":
            missing.append(f"{where}: siêu dữ liệu chưa được duyệt (trạng thái {row.get('status')})")
    return missing


def _empty(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
