"""The OCR reading-quality score in the catalogue (``trang.reading_quality``, ``trang.ocr_path``), the review
queue (worst-read pages first; CLI and API) and the dashboard (pages below the review threshold).

Pages are registered with the catalogue's own helpers and given their scores directly, so these tests need no
OCR; one test runs OCR on a rendered page to check that ``_store`` copies the score it computed.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
import uuid

import psycopg2
import psycopg2.extras
import pytest
from alembic import command
from psycopg2 import sql

from ocr_engine.evidence import REVIEW_SCORE
from sohoa import storage
from sohoa.catalogue import db, migrate, records
from sohoa.catalogue.events import events_of
from sohoa.processing.review import flag_ho_so, flag_page, list_items

pytestmark = pytest.mark.stack

TODAY = dt.date(2026, 11, 24)
BEFORE, REVISION = "0300_handover", "0400_reading_quality"


def _tree(cur, agency: str) -> tuple[str, int]:
    """A fresh hồ sơ of ``agency`` (registered as intake does); returns (mã hồ sơ, ho_so.id)."""
    tag = uuid.uuid4().hex[:10]
    ma_ho_so = f"RQ.01.{tag}"
    manifest = {"co_quan": {"ma": agency, "ten": "Cơ quan thử"}, "phong": {"ma_phong": "RQ", "ten_phong": "Thử"},
                "muc_luc": {"so": "01"},
                "ho_so": [{"ma_ho_so": ma_ho_so, "tieu_de": "Hồ sơ thử", "thoi_han_bao_quan": "70",
                           "muc_do_tiep_can": "cong_khai", "muc_do_tin_cay": "so_hoa"}]}
    return ma_ho_so, records.register_tree(cur, manifest, batch_pk=None, ma_ho_so={ma_ho_so})[ma_ho_so]


def _pages(cur, ho_so_id: int, n: int) -> list[int]:
    """``n`` pending pages of the hồ sơ; returns their ids in page order."""
    tag = uuid.uuid4().hex
    records.register_pages(cur, [records.PageRow(
        ho_so_id=ho_so_id, so_trang=k, sha256=hashlib.sha256(f"{tag}/{k}".encode()).hexdigest(), size_bytes=1000,
        dpi=300, width=2480, height=3508, color_mode="color", format="JPEG", master_key=f"rq/{tag}/{k:04d}.jpg")
        for k in range(1, n + 1)])
    cur.execute("SELECT id FROM trang WHERE ho_so_id = %s ORDER BY so_trang", (ho_so_id,))
    return [row[0] for row in cur.fetchall()]


def _read(cur, trang_id: int, score: float | None, path: str | None = "sohoa") -> None:
    """Mark a page OCR'd with this reading quality (as ``_store`` leaves it)."""
    cur.execute("""UPDATE trang SET ocr_status = 'done', ocr_updated_at = now(), reading_quality = %s, ocr_path = %s
                   WHERE id = %s""", (score, path, trang_id))


@pytest.fixture()
def scratch_catalogue(migrated):
    """An empty database of the local Postgres, owned by the catalogue's role; its SQLAlchemy URL. Dropped after."""
    name = f"sohoa_rq_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(host=migrated.pg_host, port=migrated.pg_port, dbname="postgres",
                             user=migrated.pg_superuser, password=migrated.pg_superuser_password)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(name),
                                                                 sql.Identifier(migrated.pg_user)))
    try:
        with psycopg2.connect(host=migrated.pg_host, port=migrated.pg_port, dbname=name, user=migrated.pg_superuser,
                              password=migrated.pg_superuser_password) as setup, setup.cursor() as cur:
            cur.execute("CREATE EXTENSION IF NOT EXISTS unaccent; CREATE EXTENSION IF NOT EXISTS pg_trgm")
        setup.close()
        yield (f"postgresql+psycopg2://{migrated.pg_user}:{migrated.pg_password}"
               f"@{migrated.pg_host}:{migrated.pg_port}/{name}")
    finally:
        with admin.cursor() as cur:
            cur.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.close()


def test_the_migration_copies_each_pages_score_and_path_from_its_qc_json_and_leaves_bad_values_empty(
        scratch_catalogue, migrated):
    migrate.upgrade(scratch_catalogue, BEFORE)
    qc_metrics = [
        {"reading": {"score": 0.42, "validity": 0.5, "confidence": 0.8, "words": 120, "evidence": 40.0},
         "path": "plain"},
        {"reading": None, "path": "sohoa"},  # a blank page: nothing to judge
        {},  # read before scores existed
        {"reading": {"score": "0.9"}, "path": 90},  # not a number, not a name: left empty, never invented
        {"reading": {"score": 1.7}, "path": "turn180"},  # outside 0..1: left empty rather than failing
    ]
    conn = psycopg2.connect(scratch_catalogue.replace("postgresql+psycopg2", "postgresql"))
    try:
        with db.transaction(conn) as cur:
            _, ho_so_id = _tree(cur, "RQ-MIG")
            ids = _pages(cur, ho_so_id, len(qc_metrics))
            for trang_id, metrics in zip(ids, qc_metrics):
                cur.execute("UPDATE trang SET qc_metrics = %s WHERE id = %s", (psycopg2.extras.Json(metrics), trang_id))
        migrate.upgrade(scratch_catalogue, REVISION)
        assert migrate.current(scratch_catalogue) == REVISION
        with db.transaction(conn) as cur:
            cur.execute("SELECT reading_quality, ocr_path FROM trang WHERE id = ANY(%s) ORDER BY so_trang", (ids,))
            rows = cur.fetchall()
            cur.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'trang_reading_quality'")
            [(index,)] = cur.fetchall()
        assert rows[0] == (pytest.approx(0.42), "plain")
        assert rows[1:] == [(None, "sohoa"), (None, None), (None, None), (None, "turn180")]
        assert "(reading_quality)" in index

        command.downgrade(migrate.alembic_config(scratch_catalogue), BEFORE)
        with db.transaction(conn) as cur:
            cur.execute("SELECT column_name FROM information_schema.columns WHERE table_name = 'trang'")
            assert {"reading_quality", "ocr_path"}.isdisjoint(row[0] for row in cur.fetchall())
    finally:
        conn.close()


def test_a_reading_quality_outside_zero_to_one_is_refused_by_the_catalogue(conn):
    with pytest.raises(psycopg2.errors.CheckViolation), db.transaction(conn) as cur:
        _, ho_so_id = _tree(cur, f"RQ-{uuid.uuid4().hex[:6]}")
        [trang_id] = _pages(cur, ho_so_id, 1)
        _read(cur, trang_id, 1.2)


@pytest.fixture()
def queue(conn):
    """A hồ sơ whose pages read at 0.9, 0.3, unscored and 0.55, each flagged, and a hồ sơ item flagged first."""
    with db.transaction(conn) as cur:
        ma_ho_so, ho_so_id = _tree(cur, f"RQ-{uuid.uuid4().hex[:6]}")
        ids = _pages(cur, ho_so_id, 4)
        for trang_id, score in zip(ids, (0.9, 0.3, None, 0.55)):
            _read(cur, trang_id, score)
        flag_ho_so(cur, ho_so_id, "pdf_failed", {"error": "test"})
        for trang_id in ids:
            flag_page(cur, trang_id, "qc_flag", {"problems": [{"code": "low_reading_quality"}]})
    return ma_ho_so, ids


def test_the_review_queue_lists_the_worst_read_pages_first_then_everything_else_oldest_first(conn, queue):
    ma_ho_so, ids = queue
    with db.transaction(conn) as cur:
        items = list_items(cur, ma_ho_so=ma_ho_so)
    assert [(i.object_type, i.so_trang) for i in items] == [
        ("trang", 2), ("trang", 4), ("trang", 1), ("ho_so", None), ("trang", 3)]
    assert [i.reading_quality for i in items] == [pytest.approx(0.3), pytest.approx(0.55), pytest.approx(0.9),
                                                  None, None]


def test_the_review_api_and_cli_show_each_items_reading_quality(conn, queue, stack, capsys):
    from fastapi.testclient import TestClient

    from sohoa.api import app
    from sohoa.cli import main

    ma_ho_so, _ = queue
    answer = TestClient(app).get("/review", params={"ho_so": ma_ho_so},
                                 headers={"Authorization": f"Bearer {stack.api_archivist_token}"})
    assert answer.status_code == 200
    body = answer.json()
    assert [round(i["reading_quality"], 2) if i["reading_quality"] is not None else None for i in body] == [
        0.3, 0.55, 0.9, None, None]
    assert {"id", "object_type", "object_id", "reason", "status", "ma_ho_so", "so_trang", "created_at",
            "detail"} <= set(body[0])

    assert main(["review", "list", "--ho-so", ma_ho_so]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "5 mục"
    assert f"{ma_ho_so} trang 2" in lines[1] and lines[1].endswith("(chất lượng đọc 0.30)")
    assert "ho_so" in lines[4] and "chất lượng đọc" not in lines[4]


def _one_milestone_plan(agency: str):
    """The project's plan cut down to its first milestone, moved to ``agency``."""
    from sohoa.milestones.definitions import load_plan

    plan = load_plan()
    first = dataclasses.replace(plan.milestones[0], agency=agency, id=f"rq-{agency.lower()}")
    return dataclasses.replace(plan, milestones=(first,))


def _card(html: str) -> str:
    match = re.search(r'<div class="card reading-quality">(.*?)\n</div>', html, re.S)
    assert match, "no reading-quality card on the page"
    return match.group(1)


def test_the_dashboard_counts_the_pages_read_below_the_review_threshold_and_those_without_a_score(conn):
    from sohoa.web.dashboard import reading_quality, render_page

    agency = f"RQ-{uuid.uuid4().hex[:6].upper()}"
    scores = (0.12, REVIEW_SCORE - 0.01, REVIEW_SCORE, 0.95, None, None)
    with db.transaction(conn) as cur:
        _, ho_so_id = _tree(cur, agency)
        ids = _pages(cur, ho_so_id, len(scores) + 1)  # the last one stays pending: not OCR'd, not counted
        for trang_id, score in zip(ids, scores):
            _read(cur, trang_id, score)

    figures = reading_quality(conn, agency)
    assert (figures.threshold, figures.below, figures.scored, figures.unscored) == (REVIEW_SCORE, 2, 4, 2)

    card = _card(render_page(conn, storage.client(), _one_milestone_plan(agency), TODAY, "Cơ quan thử", []))
    assert "Trang chất lượng đọc thấp (&lt; 0,60)" in card
    assert re.search(r'<b class="below"><a href="trang-doc\?agency=[^"]+kind=below">2</a></b>', card)
    assert "trong 4 trang đã có điểm (50,0 %)" in card
    assert re.search(r'<b class="unscored"><a href="trang-doc\?agency=[^"]+kind=unscored">2</a></b>', card)


def test_the_reading_quality_counts_link_to_the_pages_behind_them_worst_first(conn):
    from airflow.api_fastapi.core_api.security import get_user
    from fastapi.testclient import TestClient

    from sohoa.web.dashboard import create_app

    agency = f"RQ-{uuid.uuid4().hex[:6].upper()}"
    with db.transaction(conn) as cur:
        _, ho_so_id = _tree(cur, agency)
        for trang_id, score in zip(_pages(cur, ho_so_id, 4), (0.40, 0.12, 0.95, None)):
            _read(cur, trang_id, score)
    app = create_app()
    app.dependency_overrides[get_user] = lambda: None
    client = TestClient(app)
    below = client.get(f"/trang-doc?agency={agency}&kind=below").text
    assert ">2 mục<" in below and below.index("0.12") < below.index("0.40") and "0.95" not in below
    assert ">1 mục<" in client.get(f"/trang-doc?agency={agency}&kind=unscored").text
    assert client.get(f"/trang-doc?agency={agency}&kind=all").status_code == 404


def test_the_dashboard_says_so_when_no_page_has_been_read_yet(conn):
    from sohoa.web.dashboard import render_page

    agency = f"RQ-{uuid.uuid4().hex[:6].upper()}"
    with db.transaction(conn) as cur:
        _, ho_so_id = _tree(cur, agency)
        _pages(cur, ho_so_id, 2)
    card = _card(render_page(conn, storage.client(), _one_milestone_plan(agency), TODAY, "Cơ quan thử", []))
    assert "Chưa có trang nào được nhận dạng" in card and 'class="below"' not in card


def test_ocr_stores_the_score_and_the_path_it_kept_beside_its_qc_json(tmp_path, accepted_batch):
    from sohoa.processing.ocr import ocr_chunk
    from sohoa.processing.plan import pending_chunks

    ma_ho_so, batch_pk, _ = accepted_batch(tmp_path, 1)
    conn, s3 = db.connect(), storage.client()
    try:
        with db.transaction(conn) as cur:
            [chunk] = pending_chunks(cur, batch_pk=batch_pk)
        ocr_chunk(conn, s3, chunk, engine="tesseract")
        with db.transaction(conn) as cur:
            cur.execute("SELECT id, reading_quality, ocr_path, qc_metrics FROM trang WHERE id = %s", (chunk[0],))
            trang_id, score, path, qc_metrics = cur.fetchone()
            [event] = [e for e in events_of(cur, "trang", str(trang_id)) if e["event_type"] == "character recognition"]
    finally:
        conn.close()
    assert 0 <= score <= 1 and score == pytest.approx(qc_metrics["reading"]["score"], abs=1e-6)
    assert path == qc_metrics["path"] and path in {p["name"] for p in qc_metrics["paths"]}
    assert event["detail"]["reading_quality"] == qc_metrics["reading"]["score"] and event["detail"]["path"] == path
