"""Fixtures shared by the sohoa tests."""
from __future__ import annotations

import uuid

import pytest

from sohoa.catalogue import db, migrate
from sohoa.catalogue.db import connect, transaction
from sohoa.search import index_page

TEXTS = {
    "cong_khai": "Kế hoạch tăng cường công tác số hóa tài liệu lưu trữ của Sở Ngoại vụ năm 2025.",
    "co_dieu_kien": "Báo cáo kết quả số hóa tài liệu lưu trữ có điều kiện, thuộc diện hạn chế sử dụng.",
    "mat": "Tài liệu mật về số hóa tài liệu lưu trữ đoàn ra, đoàn vào theo Công văn 154/KH-UBND.",
}


@pytest.fixture(scope="module")
def corpus(stack):
    """Three hồ sơ, one per access level, one page each, in a phông unique to this run."""
    tag = uuid.uuid4().hex[:8]
    conn = connect()
    with transaction(conn) as cur:
        cur.execute("INSERT INTO agency (ma, ten) VALUES (%s, 'Cơ quan thử') RETURNING id", (f"A{tag}",))
        agency = cur.fetchone()[0]
        cur.execute("INSERT INTO phong (agency_id, ma_phong, ten_phong) VALUES (%s, %s, 'Phông thử') RETURNING id",
                    (agency, f"P{tag}"))
        phong = cur.fetchone()[0]
        for n, (level, text) in enumerate(TEXTS.items(), start=1):
            cur.execute(
                """INSERT INTO ho_so (agency_id, phong_id, ma_ho_so, tieu_de, thoi_han_bao_quan, muc_do_tiep_can,
                                      muc_do_tin_cay, thoi_gian_bat_dau, thoi_gian_ket_thuc)
                   VALUES (%s, %s, %s, %s, 'vinh_vien', %s, 'so_hoa', '2025-01-01', '2025-12-31') RETURNING id""",
                (agency, phong, f"P{tag}.01.2025.{n:02d}", f"Hồ sơ {level}", level))
            ho_so = cur.fetchone()[0]
            cur.execute(
                """INSERT INTO trang (ho_so_id, so_trang, sha256, size_bytes, dpi, color_mode, master_key, ocr_status)
                   VALUES (%s, 3, %s, 1, 300, 'color', %s, 'done') RETURNING id""",
                (ho_so, uuid.uuid4().hex * 2, f"test/{tag}/{n}.jpg"))
            index_page(conn, cur.fetchone()[0], text)
    yield conn, f"P{tag}"
    conn.close()


@pytest.fixture(scope="module")
def migrated(stack):
    """The stack, with the catalogue at the newest schema revision."""
    migrate.upgrade()
    return stack


@pytest.fixture()
def conn(migrated):
    """A catalogue connection (not autocommit), closed after the test."""
    connection = db.connect()
    yield connection
    connection.close()
