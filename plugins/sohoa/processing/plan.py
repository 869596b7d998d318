"""Which pages still need work, cut into chunks for dynamic task mapping."""
from __future__ import annotations


MAX_CHUNKS = 512  # Airflow maps at most 1024 task instances ([core] max_map_length); stay well below


def pending_chunks(cur, *, batch_pk: int | None = None, chunk_size: int = 8,
                   max_chunks: int = MAX_CHUNKS) -> list[list[int]]:
    """Ids of pages waiting for OCR (pending, or failed and not parked), in chunks of ``chunk_size`` — larger
    when needed so that there are never more than ``max_chunks`` (a backlog of any size maps in one run).

    Chunks follow hồ sơ and page order, so a chunk's pages usually share a hồ sơ.
    """
    cur.execute(
        """SELECT t.id FROM trang t JOIN ho_so h ON h.id = t.ho_so_id
           WHERE t.ocr_status IN ('pending', 'failed')
             AND (%(batch)s::bigint IS NULL OR h.batch_id = %(batch)s)
           ORDER BY h.ma_ho_so, t.so_trang""", {"batch": batch_pk})
    ids = [row[0] for row in cur.fetchall()]
    size = max(1, chunk_size, -(-len(ids) // max_chunks))
    return [ids[i:i + size] for i in range(0, len(ids), size)]


def batch_pk_of(cur, vendor: str, batch_id: str) -> int | None:
    cur.execute("SELECT id FROM batch WHERE vendor = %s AND batch_id = %s", (vendor, batch_id))
    row = cur.fetchone()
    return row[0] if row else None
