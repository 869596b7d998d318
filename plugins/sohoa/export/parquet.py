"""Write a snapshot of the catalogue's metadata as Parquet datasets into the ``exports`` bucket.

Layout (Hive partitioning, readable by pyarrow, DuckDB, Spark)::

    catalogue/snapshot=<YYYYmmddTHHMMSS.mmm+0700>/_manifest.json
    catalogue/snapshot=<…>/phong/agency=<mã cơ quan>/part-0.parquet
    catalogue/snapshot=<…>/ho_so/agency=<mã>/year=<năm kết thúc hồ sơ>/part-0.parquet
    catalogue/snapshot=<…>/van_ban/agency=<mã>/year=<năm của hồ sơ>/part-0.parquet
    catalogue/snapshot=<…>/trang/agency=<mã>/year=<năm của hồ sơ>/part-0.parquet

Văn bản and trang are partitioned by their hồ sơ's year, so one partition holds whole hồ sơ. Every file
carries ``sohoa.schema_version`` (:data:`SCHEMA_VERSION`) and ``sohoa.table`` in its schema metadata; the
manifest lists every file with its SHA-256, size and row count. Column types are fixed here (not inferred):
a change of them is a new schema version. Metadata only — no OCR text, no page images — and hồ sơ whose access
level is ``mat`` (and their văn bản and pages) are left out unless asked for; the manifest counts them.
Rows are streamed from a server-side cursor in batches, so a snapshot of tens of millions of pages fits in memory.
"""
from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as pads

from .. import storage
from ..vntime import VN_TZ

SCHEMA_VERSION = "1.0"
BATCH_ROWS = 50_000
PARTITION = {"agency": pa.string(), "year": pa.int32()}

COLUMNS: dict[str, list[tuple[str, pa.DataType]]] = {
    "phong": [("ma_phong", pa.string()), ("ten_phong", pa.string()), ("lich_su", pa.string()),
              ("thoi_gian_tai_lieu", pa.string()), ("tong_so_tai_lieu", pa.int32()),
              ("phuong_an_phan_loai", pa.string()), ("ngon_ngu", pa.string()), ("agency", pa.string())],
    "ho_so": [("ma_ho_so", pa.string()), ("ma_phong", pa.string()), ("muc_luc_so", pa.string()),
              ("hop_so", pa.string()), ("tieu_de", pa.string()), ("thoi_han_bao_quan", pa.string()),
              ("muc_do_tiep_can", pa.string()), ("muc_do_tin_cay", pa.string()), ("ngon_ngu", pa.string()),
              ("thoi_gian_bat_dau", pa.date32()), ("thoi_gian_ket_thuc", pa.date32()),
              ("tu_khoa", pa.list_(pa.string())), ("tong_so_tai_lieu", pa.int32()), ("so_luong_to", pa.int32()),
              ("so_luong_trang", pa.int32()), ("tinh_trang_vat_ly", pa.string()),
              ("ky_hieu_thong_tin", pa.string()), ("ma_ho_so_goc_giay", pa.string()),
              ("so_van_ban", pa.int32()), ("handed_over_at", pa.timestamp("s", tz="+07:00")),
              ("agency", pa.string()), ("year", pa.int32())],
    "van_ban": [("ma_luu_tru", pa.string()), ("ma_ho_so", pa.string()), ("stt", pa.int32()),
                ("ma_dinh_danh", pa.string()), ("ten_loai", pa.string()), ("so", pa.string()),
                ("ky_hieu", pa.string()), ("so_ky_hieu", pa.string()), ("ngay_ban_hanh", pa.date32()),
                ("co_quan_ban_hanh", pa.string()), ("trich_yeu", pa.string()), ("ngon_ngu", pa.string()),
                ("so_trang", pa.int32()), ("trang_dau", pa.int32()), ("trang_cuoi", pa.int32()),
                ("nguoi_ky", pa.string()), ("status", pa.string()), ("agency", pa.string()), ("year", pa.int32())],
    "trang": [("ma_ho_so", pa.string()), ("so_trang", pa.int32()), ("sha256", pa.string()),
              ("size_bytes", pa.int64()), ("dpi", pa.int32()), ("width", pa.int32()), ("height", pa.int32()),
              ("color_mode", pa.string()), ("format", pa.string()), ("master_key", pa.string()),
              ("ocr_status", pa.string()), ("ocr_confidence", pa.float32()), ("ocr_engine", pa.string()),
              ("agency", pa.string()), ("year", pa.int32())],
}

# One query per table; %(agency)s (None: every agency) and %(secret)s (include 'mat' hồ sơ) are bound.
SCOPE = "(%(agency)s::text IS NULL OR a.ma = %(agency)s) AND (%(secret)s OR h.muc_do_tiep_can <> 'mat')"
YEAR = "extract(year FROM coalesce(h.thoi_gian_ket_thuc, h.thoi_gian_bat_dau, h.created_at))::int"
QUERIES = {
    "phong": """SELECT p.ma_phong, p.ten_phong, p.lich_su, p.thoi_gian_tai_lieu, p.tong_so_tai_lieu,
                       p.phuong_an_phan_loai, p.ngon_ngu, a.ma
                FROM phong p JOIN agency a ON a.id = p.agency_id
                WHERE %(agency)s::text IS NULL OR a.ma = %(agency)s
                ORDER BY a.ma, p.ma_phong""",
    "ho_so": f"""SELECT h.ma_ho_so, p.ma_phong, m.so, hp.hop_so, h.tieu_de, h.thoi_han_bao_quan,
                        h.muc_do_tiep_can, h.muc_do_tin_cay, h.ngon_ngu, h.thoi_gian_bat_dau, h.thoi_gian_ket_thuc,
                        h.tu_khoa, h.tong_so_tai_lieu, h.so_luong_to, h.so_luong_trang, h.tinh_trang_vat_ly,
                        h.ky_hieu_thong_tin, h.ma_ho_so_goc_giay,
                        (SELECT count(*) FROM van_ban v WHERE v.ho_so_id = h.id)::int,
                        h.handed_over_at, a.ma, {YEAR}
                 FROM ho_so h JOIN agency a ON a.id = h.agency_id JOIN phong p ON p.id = h.phong_id
                      LEFT JOIN muc_luc m ON m.id = h.muc_luc_id LEFT JOIN hop hp ON hp.id = h.hop_id
                 WHERE {SCOPE} ORDER BY h.ma_ho_so""",
    "van_ban": f"""SELECT v.ma_luu_tru, h.ma_ho_so, v.stt, v.ma_dinh_danh, v.ten_loai, v.so, v.ky_hieu, v.so_ky_hieu,
                          v.ngay_ban_hanh, v.co_quan_ban_hanh, v.trich_yeu, v.ngon_ngu, v.so_trang, v.trang_dau,
                          v.trang_cuoi, v.nguoi_ky, v.status, a.ma, {YEAR}
                   FROM van_ban v JOIN ho_so h ON h.id = v.ho_so_id JOIN agency a ON a.id = h.agency_id
                   WHERE {SCOPE} ORDER BY h.ma_ho_so, v.stt""",
    "trang": f"""SELECT h.ma_ho_so, t.so_trang, t.sha256, t.size_bytes, t.dpi, t.width, t.height, t.color_mode,
                        t.format, t.master_key, t.ocr_status, t.ocr_confidence, t.ocr_engine, a.ma, {YEAR}
                 FROM trang t JOIN ho_so h ON h.id = t.ho_so_id JOIN agency a ON a.id = h.agency_id
                 WHERE {SCOPE} ORDER BY h.ma_ho_so, t.so_trang""",
}


def schema(table: str) -> pa.Schema:
    """The Parquet schema of ``table`` (partition columns included), with the schema version in its metadata."""
    return pa.schema([pa.field(name, kind) for name, kind in COLUMNS[table]],
                     metadata={"sohoa.schema_version": SCHEMA_VERSION, "sohoa.table": table})


def _batches(conn, table: str, params: dict):
    names = [name for name, _ in COLUMNS[table]]
    target = schema(table)
    with conn.cursor(name=f"sohoa_export_{table}") as cur:
        cur.itersize = BATCH_ROWS
        cur.execute(QUERIES[table], params)
        while rows := cur.fetchmany(BATCH_ROWS):
            columns = list(zip(*rows))
            yield pa.record_batch([pa.array(list(col), type=target.field(name).type)
                                   for name, col in zip(names, columns)], schema=target)


def export_snapshot(conn, s3, *, agency: str | None = None, include_secret: bool = False,
                    now: dt.datetime | None = None) -> dict:
    """Write one snapshot (every table) to ``exports``; return its manifest (also stored as ``_manifest.json``).
    The snapshot is read in one repeatable-read transaction, so the tables agree with each other."""
    taken = (now or dt.datetime.now(VN_TZ)).astimezone(VN_TZ)
    prefix = f"catalogue/snapshot={taken:%Y%m%dT%H%M%S}.{taken.microsecond // 1000:03d}{taken:%z}/"
    params = {"agency": agency, "secret": include_secret}
    files, rows = [], {}
    conn.set_session(isolation_level="REPEATABLE READ", readonly=True)
    try:
        with tempfile.TemporaryDirectory(prefix="sohoa-export-") as tmp, conn:
            for table in COLUMNS:
                base = Path(tmp) / table
                partition = [(n, k) for n, k in PARTITION.items() if n in dict(COLUMNS[table])]
                pads.write_dataset(
                    pa.RecordBatchReader.from_batches(schema(table), _batches(conn, table, params)), base,
                    format="parquet", partitioning=pads.partitioning(pa.schema(partition), flavor="hive"),
                    basename_template="part-{i}.parquet", existing_data_behavior="overwrite_or_ignore",
                    max_rows_per_file=5_000_000)
                rows[table] = 0
                for path in sorted(base.rglob("*.parquet")):
                    count = pads.dataset(path, format="parquet").count_rows()
                    rows[table] += count
                    key = prefix + path.relative_to(tmp).as_posix()
                    with open(path, "rb") as fh:
                        digest, size = storage.sha256_of(storage.file_chunks(fh))
                    with open(path, "rb") as fh:
                        storage.upload_chunks(s3, storage.EXPORTS, key, storage.file_chunks(fh), size=size,
                                              sha256_hex=digest)
                    files.append({"key": key, "table": table, "rows": count, "sha256": digest, "size": size})
            withheld = _withheld(conn, params) if not include_secret else 0
    finally:
        conn.set_session(isolation_level="DEFAULT", readonly=False)
    manifest = {"schema_version": SCHEMA_VERSION, "snapshot": taken.isoformat(timespec="seconds"),
                "prefix": f"{storage.EXPORTS}/{prefix}", "agency": agency, "rows": rows, "files": files,
                "withheld_secret_ho_so": withheld,
                "columns": {t: [[n, str(k)] for n, k in cols] for t, cols in COLUMNS.items()}}
    storage.put_bytes(s3, storage.EXPORTS, prefix + "_manifest.json",
                      json.dumps(manifest, ensure_ascii=False, indent=1).encode(), content_type="application/json")
    return manifest


def _withheld(conn, params: dict) -> int:
    with conn.cursor() as cur:
        cur.execute("""SELECT count(*) FROM ho_so h JOIN agency a ON a.id = h.agency_id
                       WHERE (%(agency)s::text IS NULL OR a.ma = %(agency)s) AND h.muc_do_tiep_can = 'mat'""",
                    params)
        return cur.fetchone()[0]
