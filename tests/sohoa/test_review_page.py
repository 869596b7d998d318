"""The review queue in the browser (/sohoa/duyet): proposed metadata beside the page image with its fields
highlighted, accept / correct / reject, filters, rights and bad input, on the real catalogue and S3."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient

from sohoa.catalogue.db import connect, transaction
from sohoa.extraction.locate import alto_words, locate
from sohoa.web.review_page import check_corrections
from web_client import client_as
from workspace_data import CHAR_PX, HEIGHT, PROPOSED, WIDTH, make_workspace, page_alto

pytestmark = pytest.mark.stack
ORIGIN = {"Origin": "http://testserver"}


@pytest.fixture(scope="module")
def ws(migrated):
    return make_workspace()


def _client(role: str) -> TestClient:
    from sohoa.web.review_page import create_app

    return client_as(create_app, role)


def _van_ban(item_id: int) -> tuple:
    conn = connect()
    try:
        with transaction(conn) as cur:
            cur.execute("""SELECT v.status, v.finalised_by, v.ngay_ban_hanh, v.trich_yeu, v.so, v.so_ky_hieu
                             FROM review_item r JOIN van_ban v ON v.id = r.object_id WHERE r.id = %s""", (item_id,))
            return cur.fetchone()
    finally:
        conn.close()


def test_each_field_is_found_where_the_page_says_it_one_area_per_line():
    areas = locate(alto_words(page_alto()), PROPOSED)
    assert set(areas) == set(PROPOSED)  # every field stands on the page
    [so] = areas["so"]  # "Số: 113/TB-SNV" at (170, 210): the word "113/TB-SNV" starts 4 characters in
    assert so.left == pytest.approx((170 + 4 * CHAR_PX) / WIDTH) and so.top == pytest.approx(210 / HEIGHT)
    [date] = areas["ngay_ban_hanh"]  # 2025-06-28 as «ngày 28 tháng 6 năm 2025»
    assert date.left == pytest.approx((700 + 11 * CHAR_PX) / WIDTH)
    assert locate(alto_words(page_alto()), {"trich_yeu": "Không có trên trang", "so": "13"}) == {}


def test_corrections_are_checked_and_only_changed_fields_kept():
    current = {"so": "113", "ngay_ban_hanh": dt.date(2025, 6, 28), "trich_yeu": "Về việc A"}
    changes, errors = check_corrections({"so": "113", "ngay_ban_hanh": "29/06/2025", "trich_yeu": " Về  việc B "},
                                        current)
    assert changes == {"ngay_ban_hanh": "2025-06-29", "trich_yeu": "Về việc B"} and errors == []
    _, errors = check_corrections({"so": "12a", "ngay_ban_hanh": "31/02/2025", "ky_hieu": "<b>QĐ</b>",
                                   "trich_yeu": "x" * 1001, "nguoi_ky": "A\x00B"}, current)
    assert len(errors) == 5  # in the order of the form
    assert errors[0].startswith("Số «12a» phải là một số nguyên")
    assert errors[1].startswith("Ký hiệu «<b>QĐ</b>» chỉ gồm chữ, số")
    assert errors[2].startswith("Ngày ban hành «31/02/2025» không phải một ngày có thật")
    assert "quá mức 1000 ký tự" in errors[3] and "ký tự điều khiển" in errors[4]
    _, future = check_corrections({"ngay_ban_hanh": "01/01/2999"}, current)
    assert "ngoài khoảng hợp lý" in future[0]


def test_an_item_opens_beside_its_page_image_with_the_fields_marked(ws):
    client = _client("admin")
    page = client.get("/", params={"batch_id": ws.batch_id, "muc": ws.items["first"]}).text
    assert f'src="/sohoa/trang/{ws.ma_public}/1/anh.jpg"' in page  # the page viewer's rendition
    assert {m for m in re.findall(r'class="area" data-field="(\w+)"', page)} == set(PROPOSED)
    assert 'value="113"' in page and 'value="28/06/2025"' in page  # a date as the archivist writes it
    assert "Về kết quả thực hiện nhiệm vụ chuyển đổi số</textarea>" in page
    assert '<span class="conf low">tin cậy 0,60</span>' in page  # trich_yeu's confidence, below 0.8


def test_the_filters_narrow_the_queue(ws):
    client = _client("admin")

    def listed(**params) -> set[int]:
        return {int(n) for n in re.findall(r'data-item="(\d+)"', client.get("/", params=params).text)}

    everything = listed(batch_id=ws.batch_id)
    assert {ws.items["first"], ws.items["second"], ws.items["secret"]} <= everything
    assert listed(batch_id=ws.batch_id, reason="metadata") == {ws.items[k] for k in ("first", "second", "secret")}
    assert listed(batch_id=ws.batch_id, below_confidence="0,5") == set()
    assert ws.items["first"] in listed(batch_id=ws.batch_id, below_confidence="0.7")  # trich_yeu 0.6
    assert listed(batch_id=ws.batch_id, below_quality="0.5") == {ws.items["first"]}  # its first page reads 0.42
    assert listed(phong=ws.ma_public.split(".")[0], reason="metadata") == listed(batch_id=ws.batch_id,
                                                                                  reason="metadata")
    assert "Độ tin cậy phải là một số" in client.get("/", params={"below_confidence": "cao"}).text


def test_a_viewer_never_sees_a_secret_item_or_its_image_and_cannot_resolve(ws):
    client = _client("viewer")
    page = client.get("/", params={"batch_id": ws.batch_id}).text
    listed = {int(n) for n in re.findall(r'data-item="(\d+)"', page)}
    assert ws.items["secret"] not in listed and ws.items["first"] in listed
    assert ws.ma_secret not in client.get("/", params={"muc": ws.items["secret"]}).text
    assert 'name="action"' not in page and "chỉ được xem" in page
    answer = client.post(f"/{ws.items['first']}", data={"action": "accept"}, headers=ORIGIN)
    assert answer.status_code == 403
    assert _van_ban(ws.items["first"])[0] == "proposed"


def test_a_post_from_another_site_is_refused(ws):
    answer = _client("admin").post(f"/{ws.items['first']}", data={"action": "accept"},
                                   headers={"Origin": "http://evil.example"})
    assert answer.status_code == 403 and _van_ban(ws.items["first"])[0] == "proposed"


def test_accept_correct_reject_and_a_second_resolution_is_refused_plainly(ws):
    client = _client("admin")
    bad = client.post(f"/{ws.items['second']}?batch_id={ws.batch_id}", headers=ORIGIN,
                      data={"action": "correct", **PROPOSED, "ngay_ban_hanh": "30/02/2025", "so": "114"})
    assert bad.status_code == 422 and "không phải một ngày có thật" in bad.text
    assert 'value="30/02/2025"' in bad.text  # what was typed stays in the form
    assert _van_ban(ws.items["second"])[0] == "proposed"
    same = client.post(f"/{ws.items['second']}", headers=ORIGIN, data={"action": "correct", **PROPOSED})
    assert same.status_code == 422 and "Không có trường nào thay đổi" in same.text

    accepted = client.post(f"/{ws.items['first']}?batch_id={ws.batch_id}", data={"action": "accept"},
                           headers=ORIGIN, follow_redirects=False)
    assert accepted.status_code == 303 and "batch_id=" + ws.batch_id in accepted.headers["location"]
    assert _van_ban(ws.items["first"])[:2] == ("final", "web:lan")

    corrected = client.post(f"/{ws.items['second']}", headers=ORIGIN, data={
        "action": "correct", **PROPOSED, "ngay_ban_hanh": "29/06/2025", "so": "114", "trich_yeu": "Về việc khác"})
    assert corrected.status_code == 200 and "đã sửa" in corrected.text  # followed to the queue, with a notice
    assert _van_ban(ws.items["second"]) == ("final", "web:lan", dt.date(2025, 6, 29), "Về việc khác", "114",
                                            "114/TB-SNV")

    again = client.post(f"/{ws.items['first']}", data={"action": "reject"}, headers=ORIGIN)
    assert again.status_code == 409
    assert re.search(r"Mục duyệt số \d+ đã được xử lý \(chấp nhận\) bởi web:lan lúc \d\d:\d\d", again.text)

    rejected = client.post(f"/{ws.items['secret']}", data={"action": "reject"}, headers=ORIGIN)
    assert rejected.status_code == 200 and _van_ban(ws.items["secret"])[0] == "proposed"  # rejected: not final


def test_the_queue_and_the_batch_pages_load_nothing_from_another_host(ws):
    from test_batch_page import _client as batch_client

    pages = [_client("admin").get("/", params={"muc": ws.items["first"]}).text,
             batch_client("admin").get("/").text, batch_client("admin").get(f"/{ws.vendor}/{ws.batch_id}").text]
    for html in pages:
        assert 'lang="vi"' in html
        assert not re.search(r"""(?:src|href|action)\s*=\s*["'](?:https?:)?//""", html)
        assert not re.search(r"""<(?:script|link)[^>]+(?:src|href)=""", html)  # scripts and styles are inline
