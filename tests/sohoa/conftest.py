"""Fixtures shared by the sohoa tests: a small catalogue corpus, the migrated catalogue, and for the browser tests
(test_dashboard, test_viewer_browser, test_workspace_browser) one Airflow API server with this tree's plugin and
one headless Chromium for the whole session."""
from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path

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


CHROMIUM = "/usr/bin/chromium"  # Debian's, driven by Playwright
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def airflow_ui(stack, tmp_path_factory):
    """The base URL of an extra Airflow API server of the local stack on a free port, with this tree's plugin
    (the stack's own keeps the plugin it started with); one for the session, stopped at its end."""
    from sohoa.errors import StackError
    from sohoa.localstack.airflow import extra_api_server

    log = tmp_path_factory.mktemp("api-server") / "api-server.log"
    with contextlib.ExitStack() as stop:
        try:
            base = stop.enter_context(extra_api_server(stack, log))
        except StackError:
            pytest.fail(f"api-server did not come up: {log.read_text()[-2000:]}")
        yield base


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium for the session; tests that use it are skipped where Debian's chromium is missing."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def logged_in(browser, airflow_ui, stack, migrated):
    """A browser context logged in to Airflow as the admin (an archivist), through Airflow's own login form."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{airflow_ui}/sohoa/tim-kiem/")
    page.get_by_label("Username").fill(stack.airflow_admin_user)
    page.get_by_label("Password").fill(stack.airflow_admin_password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/sohoa/tim-kiem/**", timeout=30_000)
    page.close()
    yield context
    context.close()


@pytest.fixture(scope="session")
def artefacts(tmp_path_factory) -> Path:
    """Where the browser tests save screenshots: ``$SOHOA_TEST_ARTEFACTS`` when set, else a tmp dir (printed)."""
    folder = Path(os.environ["SOHOA_TEST_ARTEFACTS"]) if os.environ.get("SOHOA_TEST_ARTEFACTS") else \
        tmp_path_factory.mktemp("browser-screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nbrowser screenshots: {folder}")
    return folder
