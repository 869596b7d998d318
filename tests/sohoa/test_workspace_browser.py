"""Dashboard → batch page → retry a parked page → review queue → accept one văn bản, correct another, in headless
Chromium against a real Airflow API server, at 1280 and 800 px; and the batch page as a tab of the run started.

The API server, the browser and the login are the session's (conftest.py: one ``airflow api-server`` with this
tree's plugin for all the browser tests). The batch is written straight into the catalogue and S3
(workspace_data.py), one per width. The retry starts a real ``sohoa_process`` run for that batch. Screenshots go to
``$SOHOA_TEST_ARTEFACTS`` when set, else to a tmp dir; the test prints where.
"""
from __future__ import annotations


import pytest
from workspace_data import make_workspace

from sohoa.catalogue.db import connect, transaction

pytestmark = [pytest.mark.stack, pytest.mark.slow]


def _one(sql: str, *params):
    conn = connect()
    try:
        with transaction(conn) as cur:
            cur.execute(sql, params)
            return cur.fetchone()
    finally:
        conn.close()


def _run_of(base: str, stack, prefix: str) -> str:
    """The id of the sohoa_process run whose id starts with ``prefix``, through Airflow's REST API."""
    import json
    import urllib.parse
    import urllib.request

    login = urllib.request.Request(f"{base}/auth/token", method="POST", headers={"Content-Type": "application/json"},
                                   data=json.dumps({"username": stack.airflow_admin_user,
                                                    "password": stack.airflow_admin_password}).encode())
    with urllib.request.urlopen(login, timeout=30) as answer:
        token = json.load(answer)["access_token"]
    runs = urllib.request.Request(
        f"{base}/api/v2/dags/sohoa_process/dagRuns?run_id_pattern={urllib.parse.quote(prefix)}%25",
        headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(runs, timeout=30) as answer:
        [run] = json.load(answer)["dag_runs"]
    return run["dag_run_id"]


@pytest.mark.parametrize("width", [1280, 800])
def test_an_archivist_retries_a_parked_page_and_works_through_the_review_queue(
        logged_in, airflow_ui, stack, artefacts, width, record_property):
    ws = make_workspace()
    page = logged_in.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    page.on("dialog", lambda dialog: dialog.accept())  # the retry's and the rejection's confirmations
    page.goto(f"{airflow_ui}/sohoa/tien-do/")
    assert page.locator(".recent-batches a[href^='../lo/']").count() >= 1  # the newest batches, each a link
    page.locator(".pages-nav").get_by_role("link", name="Lô số hóa").click()
    page.locator(f'tr[data-batch="{ws.vendor}/{ws.batch_id}"]').get_by_role("link", name=ws.batch_id).click()
    page.get_by_role("heading", name=f"Lô {ws.batch_id} của nhà thầu {ws.vendor}").wait_for()
    assert "Chấp nhận một phần" in page.locator(".verdict").inner_text()
    assert "150 dpi" in page.locator("table.rejected").inner_text()
    failed = page.locator("table.failed-pages")
    assert "Dừng sau nhiều lần lỗi" in failed.inner_text() and "engine crashed" in failed.inner_text()
    page.screenshot(path=str(artefacts / f"batch-{width}.png"), full_page=True)

    page.get_by_role("button", name=f"Chạy lại {ws.ma_public} trang 2").click()
    assert f"{ws.ma_public} tr. 2" in page.get_by_role("status").inner_text()
    assert _one("SELECT ocr_status, ocr_attempts FROM trang WHERE id = %s", ws.pages["parked"]) == ("pending", 0)
    assert page.locator(f'table.failed-pages tr[data-trang="{ws.pages["parked"]}"]').count() == 0

    page.get_by_role("link", name="Hàng chờ duyệt của lô này").click()
    page.locator(f'a[data-item="{ws.items["first"]}"]').click()
    image = page.locator("#sheet img")
    image.wait_for()
    page.wait_for_function("document.querySelector('#sheet img').naturalWidth > 0")
    page.get_by_label("Trích yếu").focus()
    assert page.locator('.area.active[data-field="trich_yeu"]').count() == 1
    page.screenshot(path=str(artefacts / f"review-{width}.png"), full_page=True)
    page.get_by_role("button", name="Chấp nhận").click()
    assert "chấp nhận" in page.get_by_role("status").inner_text()
    assert _one("""SELECT v.status, v.finalised_by FROM review_item r JOIN van_ban v ON v.id = r.object_id
                   WHERE r.id = %s""", ws.items["first"]) == ("final", "web:admin")

    assert page.locator(".queue a.current").get_attribute("data-item") == str(ws.items["second"])  # now first
    page.keyboard.press("j")  # the next item (the mật hồ sơ's parked page), then back
    page.wait_for_url("**muc=**")
    assert page.locator(".queue a.current").get_attribute("data-item") != str(ws.items["second"])
    page.keyboard.press("k")
    page.wait_for_url(f"**muc={ws.items['second']}**")
    page.get_by_label("Ngày ban hành").fill("31/06/2025")
    page.get_by_role("button", name="Lưu chỗ sửa").click()
    assert "không phải một ngày có thật" in page.get_by_role("alert").inner_text()
    page.get_by_label("Ngày ban hành").fill("29/06/2025")
    page.get_by_role("button", name="Lưu chỗ sửa").click()
    assert "đã sửa" in page.get_by_role("status").inner_text()
    page.screenshot(path=str(artefacts / f"review-{width}-corrected.png"), full_page=True)
    assert str(_one("""SELECT v.ngay_ban_hanh FROM review_item r JOIN van_ban v ON v.id = r.object_id
                       WHERE r.id = %s""", ws.items["second"])[0]) == "2025-06-29"
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # nothing wider than the window

    if width == 1280:  # the run the retry started shows the batch page as a tab
        run_id = _run_of(airflow_ui, stack, f"manual__{ws.vendor}__{ws.batch_id}__")
        page.goto(f"{airflow_ui}/dags/sohoa_process/runs/{run_id}")
        page.get_by_role("tab", name="Lô số hóa").or_(page.get_by_role("link", name="Lô số hóa")).last.click()
        frame = page.frame_locator("iframe").first
        frame.get_by_role("heading", name=f"Lô {ws.batch_id} của nhà thầu {ws.vendor}").wait_for(timeout=30_000)
        page.screenshot(path=str(artefacts / "batch-run-tab.png"))
    record_property("screenshots", str(artefacts))
    page.close()
