"""The page "Tiến độ số hóa" in a real Airflow API server, driven by headless Chromium (Debian's, via Playwright).

The API server (``airflow_ui``: same stack, own port, so the plugin is loaded from the current tree without
touching the shared one) and the browser are the session's, from conftest.py. The page is checked behind Airflow's login (through its login form), for
the catalogue's and the plan's figures, inside Airflow's navigation, and for the report download. A screenshot
goes to the test's tmp dir, and to ``docs/dashboard.png`` when ``SOHOA_DEMO`` is set (the demo runs this).
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from fastapi import FastAPI

TODAY = dt.date(2026, 11, 24)
REPO = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.stack, pytest.mark.slow]


@pytest.fixture(scope="module")
def seeded(stack, tmp_path_factory):
    """The agency's plan figures and a stored yearly report, as the demo has them."""
    from sohoa import demo_seed
    from sohoa.catalogue.db import connect
    from sohoa.catalogue.migrate import upgrade
    from sohoa.milestones.definitions import load_plan
    from sohoa.reports import annual
    from sohoa.storage import client

    upgrade()
    conn = connect()
    try:
        demo_seed.seed(conn, load_plan(), TODAY)
        paths = annual.build(conn, load_plan(), demo_seed.AGENCY, 2026, TODAY, tmp_path_factory.mktemp("report"),
                             stack.agency)
        annual.publish(client(), demo_seed.AGENCY, 2026, paths)
    finally:
        conn.close()


def _expected_done() -> str:
    """The phase-1 KPI as the catalogue says right now (other tests may be adding records meanwhile)."""
    from sohoa.catalogue.db import connect
    from sohoa.milestones.daily import evaluate_plan
    from sohoa.milestones.definitions import load_plan
    from sohoa.vnformat import vn_number

    conn = connect()
    try:
        phase_1 = next(s for s in evaluate_plan(conn, load_plan(), TODAY) if s.milestone.phase == 1)
    finally:
        conn.close()
    return f"{vn_number(phase_1.done.ho_so)} / {vn_number(phase_1.planned_ho_so)}"


@pytest.mark.parametrize("path", ["/sohoa/tien-do/", "/sohoa/tim-kiem/?q=x", "/sohoa/trang/X.01.2025.01/1",
                                  "/sohoa/lo/", "/sohoa/duyet/"])
def test_a_workspace_page_without_a_login_sends_the_browser_to_airflow_login(airflow_ui, path):
    request = urllib.request.Request(f"{airflow_ui}{path}")
    opener = urllib.request.build_opener(type("NoRedirect", (urllib.request.HTTPRedirectHandler,),
                                              {"redirect_request": lambda *a, **k: None}))
    with pytest.raises(urllib.error.HTTPError) as answer:
        opener.open(request, timeout=10)
    assert answer.value.code == 303
    assert answer.value.headers["Location"].startswith("/auth/login?next=")


def test_dashboard_after_airflow_login_shows_the_plan_and_the_catalogue_figures(
        airflow_ui, browser, seeded, stack, tmp_path):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    before = _expected_done()
    page.goto(f"{airflow_ui}/sohoa/tien-do/?today={TODAY.isoformat()}")
    page.get_by_label("Username").fill(stack.airflow_admin_user)  # Airflow's own login form
    page.get_by_label("Password").fill(stack.airflow_admin_password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/sohoa/tien-do/**", timeout=30_000)
    after = _expected_done()

    assert page.get_by_role("heading", name="Tiến độ số hóa").is_visible()
    phase_1 = page.locator('[data-milestone="sngv-hp-gd1"]')
    assert phase_1.locator("b.done").inner_text() in {before, after}
    assert "còn 6 ngày" in phase_1.inner_text()
    assert "Sắp đến hạn" in phase_1.inner_text()
    assert phase_1.locator("svg").count() == 2  # burn-up and pages per day
    plan = page.locator(".plan")
    assert "số liệu kế hoạch" in plan.inner_text().lower()
    for figure in ("158", "2,80", "9.494", "28,07", "3.035", "1.511", "1.524"):
        assert figure in plan.inner_text()
    assert "2024" in plan.locator("table.hp-net").inner_text() and "không có số liệu" in plan.inner_text()
    assert page.locator("a.report").count() >= 2
    assert page.locator('a[href="/dags/sohoa_annual_report"], a[href^="/dags/sohoa_"]').count() >= 1

    shot = tmp_path / "dashboard.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 50_000
    if os.environ.get("SOHOA_DEMO"):
        (REPO / "docs").mkdir(exist_ok=True)
        shutil.copyfile(shot, REPO / "docs" / "dashboard.png")

    download = page.request.get(f"{airflow_ui}/sohoa/tien-do/bao-cao/2026/SNGV-HP/bao-cao-so-hoa-2026.docx")
    assert download.status == 200 and download.body()[:2] == b"PK"
    for other in ("2026/SNGV-HP/other.docx", "..%2F..%2Fmasters%2Fx.docx"):  # only report keys are served
        assert page.request.get(f"{airflow_ui}/sohoa/tien-do/bao-cao/{other}").status == 404

    page.goto(f"{airflow_ui}/")  # the page is in Airflow's navigation, shown inside Airflow's UI
    page.get_by_role("link", name="Tiến độ số hóa").or_(page.get_by_role("button", name="Tiến độ số hóa")).first.click()
    frame = page.frame_locator("iframe").first
    frame.get_by_role("heading", name="Tiến độ số hóa").wait_for(timeout=30_000)
    page.close()


def test_dashboard_says_plainly_when_the_catalogue_cannot_be_read(stack, monkeypatch):
    from airflow.api_fastapi.core_api.security import get_user
    from fastapi.testclient import TestClient

    from sohoa.catalogue import db as query
    from sohoa.catalogue.db import CatalogueQueryError
    from sohoa.web.dashboard import create_app

    def unreachable():
        raise CatalogueQueryError("cannot connect to the catalogue: connection refused")

    monkeypatch.setattr(query, "open_catalogue", unreachable)
    app = create_app()
    app.dependency_overrides[get_user] = lambda: "admin"
    answer = TestClient(app).get("/")
    assert answer.status_code == 503
    assert "Không lấy được số liệu" in answer.text and "connection refused" in answer.text


def test_plugin_registry_mounts_factories_and_ready_apps_side_by_side(stack):
    from sohoa.web import UI_APPS, UiApp

    entries = [app.fastapi_app() for app in UI_APPS]
    assert entries[0]["url_prefix"] == "/sohoa/tien-do" and isinstance(entries[0]["app"], FastAPI)
    assert UI_APPS[0].external_view() == {"name": "Tiến độ số hóa", "href": "/sohoa/tien-do/", "destination": "nav",
                                          "url_route": "tien-do-so-hoa", "nav_top_level": True}
    beside = UiApp(name="x", url_prefix="/sohoa/x", target="sohoa.web.dashboard:create_app").fastapi_app()
    ready = UiApp(name="y", url_prefix="/sohoa/y", target=f"{__name__}:READY_APP").fastapi_app()
    assert isinstance(beside["app"], FastAPI) and ready["app"] is READY_APP


READY_APP = FastAPI(title="an app defined ready-made, like sohoa.api:app")
