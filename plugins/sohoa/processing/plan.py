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


# Airflow keeps a mapped task's label in a 250-character column (task_instance.rendered_map_index).
LABEL_CHARS = 250


def chunk_labels(cur, chunks: list[list[int]]) -> list[str]:
    """A label per chunk naming its hồ sơ and page ranges, e.g. "G01.01.2015.001 tr. 1–8, G01.01.2015.002 tr. 1",
    for the mapped OCR tasks in Airflow's UI; cut to LABEL_CHARS with "…". Unknown page ids are left out."""
    cur.execute("""SELECT t.id, h.ma_ho_so, t.so_trang FROM trang t JOIN ho_so h ON h.id = t.ho_so_id
                   WHERE t.id = ANY(%s)""", ([i for chunk in chunks for i in chunk],))
    where = {page_id: (ma, so_trang) for page_id, ma, so_trang in cur.fetchall()}
    labels = []
    for chunk in chunks:
        pages: dict[str, list[int]] = {}
        for page_id in chunk:
            if page_id in where:
                ma, so_trang = where[page_id]
                pages.setdefault(ma, []).append(so_trang)
        label = ", ".join(f"{ma} tr. {_ranges(sorted(numbers))}" for ma, numbers in pages.items())
        labels.append(label if len(label) <= LABEL_CHARS else label[:LABEL_CHARS - 1] + "…")
    return labels


def _ranges(numbers: list[int]) -> str:
    """[1, 2, 3, 7, 9, 10] → "1–3, 7, 9–10"."""
    runs: list[list[int]] = []
    for n in numbers:
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    return ", ".join(str(a) if a == b else f"{a}–{b}" for a, b in runs)
