"""The batch pages (/sohoa/lo): a batch's verdict, rejected files, OCR state per page and the retry of failed or
parked pages, on the real catalogue and S3. Airflow's user dependency is answered by a stand-in user; the login,
the confirmation dialog and the Airflow run tab are driven in Chromium (test_workspace_browser.py)."""
from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from sohoa.catalogue.db import connect, transaction
from sohoa.catalogue.events import events_of
from sohoa.processing.errors import ReviewError
from sohoa.processing.retry import retry_pages
from sohoa.processing.review import flag_page, get_item
from web_client import client_as
from workspace_data import make_workspace

pytestmark = pytest.mark.stack
ORIGIN = {"Origin": "http://testserver"}


@pytest.fixture(scope="module")
def ws(migrated):
    return make_workspace()


@pytest.fixture()
def started(monkeypatch):
    """The sohoa_process runs the page would start, recorded instead of started."""
    from sohoa.web import batch_page

    runs = []
    monkeypatch.setattr(batch_page, "start_processing", lambda vendor, batch_id, user: runs.append(
        (vendor, batch_id, user.username)) or "manual__test")
    return runs


def _client(role: str) -> TestClient:
    from sohoa.web.batch_page import create_app

    return client_as(create_app, role)


def _state(trang_id: int) -> tuple:
    conn = connect()
    try:
        with transaction(conn) as cur:
            cur.execute("SELECT ocr_status, ocr_attempts, ocr_error FROM trang WHERE id = %s", (trang_id,))
            return cur.fetchone()
    finally:
        conn.close()


def test_the_list_shows_each_batch_with_its_verdict_and_page_counts(ws):
    page = _client("admin").get("/", params={"vendor": ws.vendor, "verdict": "partial"}).text
    row = re.search(rf'<tr data-batch="{ws.vendor}/{ws.batch_id}">(.*?)</tr>', page, re.S).group(1)
    assert "Chấp nhận một phần" in row
    assert [int(n) for n in re.findall(r'<td class="n[^"]*">(\d+)</td>', row)] == [5, 4, 1, 1, 0, 1, 2]


def test_a_batch_page_shows_rejected_files_failed_pages_quality_and_the_vendor_report(ws):
    page = _client("admin").get(f"/{ws.vendor}/{ws.batch_id}").text
    assert "độ phân giải 150 dpi, thấp hơn mức tối thiểu 200 dpi" in page
    failed = page[page.index('class="failed-pages"'):page.index('id="tu-choi"')]
    assert failed.count("<tr data-trang") == 3  # parked + failed of the public hồ sơ, parked of the mật one
    assert "Dừng sau nhiều lần lỗi" in failed and "Lỗi, sẽ thử lại" in failed and "engine crashed" in failed
    assert "0,42" in page and "91 %" in page  # reading quality and confidence of the page read
    assert "KẾT QUẢ TIẾP NHẬN LÔ SỐ HÓA" in page and "Chạy lại cả 3 trang" in page
    assert _client("admin").get("/vendor-demo/khong-co-lo-nay").status_code == 404


def test_a_viewer_sees_no_page_of_a_secret_ho_so_no_report_and_no_retry_button(ws):
    page = _client("viewer").get(f"/{ws.vendor}/{ws.batch_id}").text
    assert ws.ma_secret not in page and ws.ma_public in page
    assert "KẾT QUẢ TIẾP NHẬN" not in page and "chay-lai" not in page
    answer = _client("viewer").post(f"/{ws.vendor}/{ws.batch_id}/chay-lai", data={"trang": ws.pages["parked"]},
                                    headers=ORIGIN)
    assert answer.status_code == 403 and "quyền lưu trữ viên" in answer.text
    assert _state(ws.pages["parked"])[0] == "parked"


def test_a_retry_from_another_site_or_without_origin_is_refused(ws, started):
    client = _client("admin")
    for headers in ({"Origin": "https://evil.example"}, {}, {"Referer": "https://evil.example/x"},
                    {"Origin": "http://testserver", "Sec-Fetch-Site": "same-site"},
                    {"Origin": "http://testserver.evil.example"}):
        answer = client.post(f"/{ws.vendor}/{ws.batch_id}/chay-lai", data={"trang": ws.pages["failed"]},
                             headers=headers)
        assert answer.status_code == 403 and "chống giả mạo" in answer.text
    assert _state(ws.pages["failed"])[0] == "failed" and started == []


def test_a_form_sent_through_a_proxy_that_ends_tls_is_accepted(ws, started):
    """The browser's https origin, the proxy's host in X-Forwarded-Host, plain http behind it."""
    answer = _client("admin").post(f"/{ws.vendor}/{ws.batch_id}/chay-lai", data={"trang": "0"},
                                   headers={"Origin": "https://sohoa.example.gov.vn",
                                            "X-Forwarded-Host": "sohoa.example.gov.vn"}, follow_redirects=False)
    assert answer.status_code == 303 and "Kh%C3%B4ng+c%C3%B3+trang+s%E1%BB%91+0" in answer.headers["location"]


def test_retrying_a_parked_page_makes_it_pending_closes_its_item_and_starts_the_batch_run(ws, started):
    client = _client("admin")
    answer = client.post(f"/{ws.vendor}/{ws.batch_id}/chay-lai", data={"trang": ws.pages["parked"]},
                         headers=ORIGIN, follow_redirects=False)
    assert answer.status_code == 303
    shown = client.get(answer.headers["location"].replace("../", "/" + ws.vendor + "/", 1)).text
    assert "Đã gửi lại nhận dạng" in shown and f"{ws.ma_public} tr. 2" in shown
    assert _state(ws.pages["parked"]) == ("pending", 0, None)
    assert started == [(ws.vendor, ws.batch_id, "lan")]
    conn = connect()
    try:
        with transaction(conn) as cur:
            item = get_item(cur, ws.items["parked"])
            assert (item.status, item.detail["error"]) == ("rescan", "engine crashed")
            [event] = [e for e in events_of(cur, "trang", str(ws.pages["parked"])) if e["agent"] == "web:lan"]
            assert event["detail"]["previous_error"].startswith("OCR raised RuntimeError")
            flag_page(cur, ws.pages["parked"], "ocr_parked", {"error": "again", "attempts": 3})  # parked again
            assert get_item(cur, ws.items["parked"]).status == "open"
            cur.connection.rollback()
    finally:
        conn.close()
    again = client.post(f"/{ws.vendor}/{ws.batch_id}/chay-lai", data={"trang": ws.pages["parked"]}, headers=ORIGIN,
                        follow_redirects=False)
    assert "loi=" in again.headers["location"] and len(started) == 1  # already pending: refused, nothing started


def test_retry_refuses_pages_already_read_unknown_or_of_another_batch(ws, migrated):
    conn = connect()
    try:
        for ids, message in (([ws.pages["read"]], "đã nhận dạng xong"), ([987654321], "Không có trang số 987654321")):
            with pytest.raises(ReviewError, match=message), transaction(conn) as cur:
                retry_pages(cur, ids, requested_by="web:lan")
        with transaction(conn) as cur:
            cur.execute("SELECT t.id FROM trang t WHERE t.ocr_status = 'parked' AND t.ho_so_id NOT IN "
                        "(SELECT id FROM ho_so WHERE batch_id = (SELECT id FROM batch WHERE batch_id = %s)) LIMIT 1",
                        (ws.batch_id,))
            other = cur.fetchone()
    finally:
        conn.close()
    if other:
        answer = _client("admin").post(f"/{ws.vendor}/{ws.batch_id}/chay-lai", data={"trang": other[0]},
                                       headers=ORIGIN, follow_redirects=False)
        assert "kh%C3%B4ng+thu%E1%BB%99c+l%C3%B4+n%C3%A0y" in answer.headers["location"]
        assert _state(other[0])[0] == "parked"


def test_a_run_tab_finds_the_batch_from_the_run_id_or_says_there_is_none(ws):
    client = _client("admin")
    answer = client.get("/theo-luot", params={"dag_id": "sohoa_process",
                                              "run_id": f"manual__{ws.vendor}__{ws.batch_id}__0123456789ab"},
                        follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == f"{ws.vendor}/{ws.batch_id}"
    none = client.get("/theo-luot", params={"dag_id": "sohoa_fixity", "run_id": "scheduled__2026-12-01"})
    assert none.status_code == 200 and "không gắn với lô nào" in none.text


def test_the_plugin_registers_the_batch_page_as_a_tab_of_dag_runs():
    from sohoa.web import UI_APPS

    views = [view for app in UI_APPS for view in app.external_views()]
    [tab] = [v for v in views if v["destination"] == "dag_run"]
    assert tab["href"] == "/sohoa/lo/theo-luot?dag_id={DAG_ID}&run_id={RUN_ID}" and tab["name"] == "Lô số hóa"
    assert {"Lô số hóa", "Hàng chờ duyệt"} <= {v["name"] for v in views if v["destination"] == "nav"}


def test_when_the_run_cannot_be_started_the_pages_stay_pending_and_the_archivist_is_told(ws, monkeypatch):
    from airflow.exceptions import DagNotFound

    from sohoa.web import batch_page

    def missing(vendor, batch_id, user):
        raise DagNotFound("Dag id sohoa_process not found in DagModel")

    monkeypatch.setattr(batch_page, "start_processing", missing)
    client = _client("admin")
    answer = client.post(f"/{ws.vendor}/{ws.batch_id}/chay-lai", data={"trang": ws.pages["failed"]}, headers=ORIGIN)
    assert answer.status_code == 200 and "Chưa khởi động được lượt xử lý sohoa_process" in answer.text
    assert _state(ws.pages["failed"]) == ("pending", 0, None)


def test_a_malformed_request_is_answered_in_vietnamese(ws):
    answer = _client("admin").post(f"/{ws.vendor}/{ws.batch_id}/chay-lai", data={"trang": "hai"}, headers=ORIGIN)
    assert answer.status_code == 422 and answer.text.startswith("Yêu cầu không hợp lệ (trang)")


def test_a_large_batch_shows_its_worst_pages_first_up_to_the_limit(ws, monkeypatch):
    from sohoa.web import batch_page

    monkeypatch.setattr(batch_page, "ROW_LIMIT", 2)
    page = _client("admin").get(f"/{ws.vendor}/{ws.batch_id}").text
    stored = page[page.index('class="pages"'):]
    assert stored.count("<tr data-trang") == 2 and "Đã nhận dạng" not in stored  # the page read well comes last
    assert "Chỉ hiện 2 trang đầu" in page
