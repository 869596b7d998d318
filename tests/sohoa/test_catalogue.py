"""The catalogue's schema (Alembic), its rules in the database, and the data-access layer."""
from __future__ import annotations

import hashlib
import re
import time
import uuid

import psycopg2
import pytest

from sohoa import glossary
from sohoa.catalogue import db, migrate, records
from sohoa.catalogue.events import Event, events_of, record_event




def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture()
def ho_so_id(conn):
    """A fresh hồ sơ (with its agency, phông, mục lục) to hang pages on."""
    tag = uuid.uuid4().hex[:10]
    manifest = {"co_quan": {"ma": "TEST", "ten": "Cơ quan thử"}, "phong": {"ma_phong": "T01", "ten_phong": "Thử"},
                "muc_luc": {"so": "01"},
                "ho_so": [{"ma_ho_so": f"T01.01.{tag}", "tieu_de": "Hồ sơ thử", "thoi_han_bao_quan": "70",
                           "muc_do_tiep_can": "cong_khai", "muc_do_tin_cay": "so_hoa", "so_luong_trang": 1,
                           "van_ban": [{"stt": 1, "trang_dau": 1, "trang_cuoi": 1, "so": "15",
                                        "ky_hieu": "QĐ-BNV", "ten_loai": "Quyết định"}]}]}
    with db.transaction(conn) as cur:
        return records.register_tree(cur, manifest, batch_pk=None, ma_ho_so={f"T01.01.{tag}"})[f"T01.01.{tag}"]


def page(ho_so_id: int, n: int, tag: str) -> records.PageRow:
    return records.PageRow(ho_so_id=ho_so_id, so_trang=n, sha256=sha(f"{tag}/{n}"), size_bytes=1000, dpi=300,
                           width=2480, height=3508, color_mode="color", format="JPEG",
                           master_key=f"{tag}/{n:04d}.jpg")


def test_migrating_twice_is_a_no_op_and_uses_its_own_version_table(migrated):
    migrate.upgrade()
    assert migrate.current() == migrate.head()
    with psycopg2.connect(migrated.catalogue_dsn()) as conn, conn.cursor() as cur:
        cur.execute("SELECT to_regclass('sohoa_alembic_version'), to_regclass('alembic_version')")
        assert cur.fetchone() == ("sohoa_alembic_version", None)


def test_the_sohoa_cli_migrates_the_catalogue(migrated, capsys):
    from sohoa.cli import main
    assert main(["catalogue", "migrate"]) == 0
    assert migrate.head() in capsys.readouterr().out


def test_events_are_append_only(conn):
    object_id = f"test/{uuid.uuid4()}"
    with db.transaction(conn) as cur:
        record_event(cur, Event("fixity check", "trang", object_id, "test", detail={"sha256": sha("x")}))
    for statement in ("UPDATE event SET outcome = 'failure' WHERE object_id = %s",
                      "DELETE FROM event WHERE object_id = %s"):
        with pytest.raises(psycopg2.Error, match="append-only"), db.transaction(conn) as cur:
            cur.execute(statement, (object_id,))
    with pytest.raises(psycopg2.Error, match="append-only"), db.transaction(conn) as cur:
        cur.execute("TRUNCATE event")
    assert [e["event_type"] for e in events_of(conn.cursor(), "trang", object_id)] == ["fixity check"]


def test_the_coded_fields_accept_exactly_the_glossary_codes(conn):
    with db.transaction(conn) as cur:
        cur.execute("""SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
                       WHERE conrelid = 'ho_so'::regclass AND contype = 'c'""")
        constraints = dict(cur.fetchall())
    for column, codes in (("thoi_han_bao_quan", glossary.THOI_HAN_BAO_QUAN),
                          ("muc_do_tiep_can", glossary.MUC_DO_TIEP_CAN),
                          ("muc_do_tin_cay", glossary.MUC_DO_TIN_CAY)):
        definition = constraints[f"ho_so_{column}_check"]
        assert set(re.findall(r"'([^']+)'::text", definition)) == set(codes), column


def test_the_database_refuses_bad_coded_values_and_low_dpi(conn, ho_so_id):
    with pytest.raises(psycopg2.errors.CheckViolation), db.transaction(conn) as cur:
        cur.execute("UPDATE ho_so SET thoi_han_bao_quan = '100' WHERE id = %s", (ho_so_id,))
    with pytest.raises(psycopg2.errors.CheckViolation), db.transaction(conn) as cur:
        cur.execute("UPDATE ho_so SET muc_do_tiep_can = 'bi_mat' WHERE id = %s", (ho_so_id,))
    low = page(ho_so_id, 1, uuid.uuid4().hex)
    with pytest.raises(psycopg2.errors.CheckViolation), db.transaction(conn) as cur:
        records.register_pages(cur, [records.PageRow(**{**low.__dict__, "dpi": 150})])


def test_van_ban_get_their_archive_code_and_number_line(conn, ho_so_id):
    with db.transaction(conn) as cur:
        cur.execute("SELECT v.ma_luu_tru, v.so_ky_hieu, v.status, h.ma_ho_so FROM van_ban v "
                    "JOIN ho_so h ON h.id = v.ho_so_id WHERE h.id = %s", (ho_so_id,))
        ma_luu_tru, so_ky_hieu, status, ma_ho_so = cur.fetchone()
    assert (ma_luu_tru, so_ky_hieu, status) == (f"{ma_ho_so}.01", "15/QĐ-BNV", "proposed")


def test_pages_register_in_bulk_once_and_are_found_by_sha256(conn, ho_so_id):
    tag = uuid.uuid4().hex
    rows = [page(ho_so_id, n, tag) for n in range(1, 51)]
    with db.transaction(conn) as cur:
        assert len(records.register_pages(cur, rows)) == 50
    with db.transaction(conn) as cur:
        assert records.register_pages(cur, rows) == []
        found = records.page_by_sha256(cur, rows[9].sha256)
        assert (found["so_trang"], found["master_key"], found["ocr_status"]) == (10, f"{tag}/0010.jpg", "pending")
        assert records.page_by_sha256(cur, sha("absent")) is None


def test_a_page_number_is_unique_within_its_ho_so(conn, ho_so_id):
    tag = uuid.uuid4().hex
    with db.transaction(conn) as cur:
        records.register_pages(cur, [page(ho_so_id, 1, tag)])
    with pytest.raises(psycopg2.errors.UniqueViolation), db.transaction(conn) as cur:
        records.register_pages(cur, [records.PageRow(**{**page(ho_so_id, 1, tag + "x").__dict__})])


def test_the_trang_table_has_the_columns_processing_will_fill(conn):
    with db.transaction(conn) as cur:
        cur.execute("SELECT column_name FROM information_schema.columns WHERE table_name = 'trang'")
        columns = {row[0] for row in cur.fetchall()}
    assert {"ocr_status", "ocr_text", "ocr_confidence", "ocr_engine", "ocr_engine_version", "qc_flags",
            "qc_metrics", "alto_key", "derivative_keys"} <= columns


def test_batch_locks_are_exclusive_and_released_when_the_session_dies(migrated):
    holder, other = db.connect(), db.connect()
    try:
        with db.batch_lock(holder, "vendor-demo", "lock-test"):
            with pytest.raises(db.BatchBusy):
                with db.batch_lock(other, "vendor-demo", "lock-test"):
                    pass
            holder.close()
            deadline = time.monotonic() + 5
            while True:
                try:
                    with db.batch_lock(other, "vendor-demo", "lock-test"):
                        break
                except db.BatchBusy:
                    assert time.monotonic() < deadline
                    time.sleep(0.1)
    finally:
        other.close()
