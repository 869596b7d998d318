"""The labels of the mapped OCR tasks (hồ sơ and page ranges) and the run ids of a batch's runs."""
from __future__ import annotations

import re
import uuid

import pytest

from sohoa.airflow_api import batch_run_id
from sohoa.catalogue.db import transaction
from sohoa.processing.plan import LABEL_CHARS, chunk_labels


@pytest.fixture()
def pages(conn):
    """Two hồ sơ of 5 and 3 pages; returns ({(hồ sơ, page): page id}, [mã hồ sơ])."""
    tag = uuid.uuid4().hex[:8]
    ids, codes = {}, []
    with transaction(conn) as cur:
        cur.execute("INSERT INTO agency (ma, ten) VALUES (%s, 'Cơ quan thử') RETURNING id", (f"A{tag}",))
        agency = cur.fetchone()[0]
        cur.execute("INSERT INTO phong (agency_id, ma_phong, ten_phong) VALUES (%s, %s, 'Phông thử') RETURNING id",
                    (agency, f"L{tag}"))
        phong = cur.fetchone()[0]
        for n, count in ((1, 5), (2, 3)):
            code = f"L{tag}.01.2025.{n:03d}"
            codes.append(code)
            cur.execute("""INSERT INTO ho_so (agency_id, phong_id, ma_ho_so, tieu_de, thoi_han_bao_quan,
                                              muc_do_tiep_can, muc_do_tin_cay, thoi_gian_bat_dau)
                           VALUES (%s, %s, %s, 'Hồ sơ', 'vinh_vien', 'cong_khai', 'so_hoa', '2025-01-01')
                           RETURNING id""", (agency, phong, code))
            ho_so = cur.fetchone()[0]
            for page in range(1, count + 1):
                cur.execute("""INSERT INTO trang (ho_so_id, so_trang, sha256, size_bytes, dpi, color_mode, master_key)
                               VALUES (%s, %s, %s, 1, 300, 'color', %s) RETURNING id""",
                            (ho_so, page, uuid.uuid4().hex * 2, f"test/{tag}/{n}/{page}"))
                ids[(n, page)] = cur.fetchone()[0]
    return ids, codes


def test_a_chunk_is_labelled_with_its_ho_so_and_page_ranges(conn, pages):
    ids, (first, second) = pages
    chunks = [[ids[1, p] for p in (1, 2, 3)], [ids[1, 5], ids[1, 4], ids[2, 1], ids[2, 3]]]
    with transaction(conn) as cur:
        assert chunk_labels(cur, chunks) == [f"{first} tr. 1–3", f"{first} tr. 4–5, {second} tr. 1, 3"]


def test_a_label_longer_than_airflow_keeps_is_cut_with_an_ellipsis(conn, pages):
    ids, _ = pages
    chunk = [ids[n, p] for n, p in ids if p % 2]  # pages 1, 3, 5 and 1, 3: no ranges to merge
    with transaction(conn) as cur:
        [label] = chunk_labels(cur, [chunk * 20])  # pages repeat only here: what matters is the cut
        [short] = chunk_labels(cur, [chunk])
        [unknown] = chunk_labels(cur, [[-1]])
    assert len(short) < LABEL_CHARS and short.count(" tr. ") == 2
    assert len(label) == LABEL_CHARS and label.endswith("…") and label.startswith(short.split(",")[0])
    assert unknown == ""


def test_a_run_for_one_batch_is_named_after_it_and_the_id_is_one_airflow_accepts():
    run_id = batch_run_id("sohoa_process", {"vendor": "vendor-demo", "batch_id": "lo-2025.01_a"})
    assert run_id.startswith("manual__vendor-demo__lo-2025.01_a__")
    assert re.fullmatch(r"[A-Za-z0-9_.~:+-]+", run_id)  # Airflow's default allowed_run_id_pattern
    assert batch_run_id("sohoa_queue_watch", {}).startswith("manual__sohoa_queue_watch__")
    assert batch_run_id("x", {}) != batch_run_id("x", {})
