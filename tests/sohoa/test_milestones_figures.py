"""Every figure the dashboard and the yearly report show comes from the records it names.

One agency is built with the situations that went wrong before: pages rejected at intake whose hồ sơ never
reached the catalogue, pages whose OCR failed or was parked, hồ sơ that both phases' scopes hold, a born-digital
hồ sơ, and a phase 2 without a target. Each test checks the number in the status, then where it is shown.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import uuid

import pytest
from psycopg2 import sql

from sohoa import storage
from sohoa.milestones.definitions import parse_plan
from sohoa.milestones.progress import evaluate
from sohoa.reports import annual, annual_docx, charts
from test_milestones_catalogue import TODAY, HoSo, add_plan_figure, build_agency, remove_agency

RECORDS = [
    HoSo(pages=4, ocr_done=4),  # 1: phase 1
    HoSo(retention="70", pages=3, ocr_done=3),  # 2: phase 1
    HoSo(retention="50", pages=2, ocr_done=1, rejected=2),  # 3: phase 1, two pages rejected at intake
    HoSo(retention="10", high_value=True, pages=2),  # 4: phase 1 by high value
    HoSo(retention="10", pages=5, ocr_done=5),  # 5: in no phase
    HoSo(arranged=False, pages=2, ocr_done=2),  # 6: phase 2 only (not arranged)
    HoSo(pages=3, ocr_done=1, ocr_failed=1, ocr_parked=1),  # 7: phase 1, one page failed, one parked
    HoSo(reliability="goc_dien_tu", pages=1),  # 8: born digital: in no digitisation phase
]
# Hồ sơ of a rejected batch (never catalogued): mã suffix -> (manifest fields, pages rejected)
REJECTED_HO_SO = {
    "X": ({"thoi_han_bao_quan": "vinh_vien"}, 3),  # phase 1 (đã chỉnh lý by default)
    "Y": ({"thoi_han_bao_quan": "10"}, 2),  # no phase
    "Z": ({"thoi_han_bao_quan": "vinh_vien", "da_chinh_ly": False}, 1),  # phase 2
}
SCOPE_1 = [{"arranged": [True], "retention": ["vĩnh viễn", "70 năm", "50 năm"]},
           {"arranged": [True], "high_value": [True]}]
SCOPE_2 = [{"retention": ["vĩnh viễn", "70 năm", "50 năm"]}, {"high_value": [True]}]


def two_phase_plan(code: str):
    """Phase 1 with the plan line ``gd1`` as its target; phase 2, whose scope holds phase 1's, with none."""
    common = {"agency": code, "adopted": dt.date(2025, 6, 18), "done_stage": "ocr"}
    return parse_plan({"milestone": [
        {"id": f"{code}-gd1", "phase": 1, "title": "Giai đoạn 1 thử", "start": dt.date(2025, 7, 1),
         "deadline": dt.date(2026, 11, 30), "plan_holding": "gd1", "scope": SCOPE_1, **common},
        {"id": f"{code}-gd2", "phase": 2, "title": "Giai đoạn 2 thử", "start": dt.date(2027, 1, 1),
         "deadline": dt.date(2030, 11, 30), "scope": SCOPE_2, **common}]})


def add_rejected_batch(conn, code: str) -> None:
    """A rejected batch of ``code``: its manifest declares :data:`REJECTED_HO_SO`, every page item rejected."""
    ho_so = [{"ma_ho_so": f"{code}.R{suffix}", "muc_do_tiep_can": "cong_khai", **fields}
             for suffix, (fields, _) in REJECTED_HO_SO.items()]
    manifest = {"co_quan": {"ma": code, "ten": f"Cơ quan thử {code}"}, "ho_so": ho_so}
    with conn, conn.cursor() as cur:
        cur.execute("""INSERT INTO batch (vendor, batch_id, status, verdict, manifest)
                       VALUES ('vendor-test', %s, 'done', 'rejected', %s) RETURNING id""",
                    (f"{code}-R", json.dumps(manifest)))
        (batch_pk,) = cur.fetchone()
        for suffix, (_, pages) in REJECTED_HO_SO.items():
            for page in range(1, pages + 1):
                cur.execute("""INSERT INTO batch_item (batch_id, name, kind, ma_ho_so, so_trang, status, reasons)
                               VALUES (%s, %s, 'page', %s, %s, 'rejected', '[{"code": "too_small"}]')""",
                            (batch_pk, f"{code}.R{suffix}/{page:04d}.jpg", f"{code}.R{suffix}", page))


@pytest.fixture()
def agency(stack, catalogue):
    from sohoa.catalogue import migrate

    migrate.upgrade()
    code = f"F{uuid.uuid4().hex[:8].upper()}"
    build_agency(catalogue, code, RECORDS)
    add_plan_figure(catalogue, code, "gd1", 4)
    add_rejected_batch(catalogue, code)
    yield code
    with catalogue, catalogue.cursor() as cur:
        cur.execute("DELETE FROM batch_item WHERE batch_id IN (SELECT id FROM batch WHERE batch_id = %s)",
                    (f"{code}-R",))
        cur.execute("DELETE FROM batch WHERE batch_id = %s", (f"{code}-R",))
    remove_agency(catalogue, code)


def statuses(conn, code):
    plan = two_phase_plan(code)
    return plan, [evaluate(conn, m, TODAY, window_days=28, warn_days_before=30) for m in plan.milestones]


def dashboard_card(conn, plan, milestone_id: str) -> str:
    from sohoa.web.dashboard import render_page

    html = render_page(conn, storage.client(), plan, TODAY, "Cơ quan thử", [])
    start = html.find(f'<div class="card" data-milestone="{milestone_id}">')
    assert start >= 0, f"no card for {milestone_id}"
    return html[start:html.find('<div class="card', start + 1)]


def report_text(conn, plan, code, tmp_path) -> str:
    from docx import Document

    report = annual.collect(conn, plan, code, 2026, TODAY, "Cơ quan thử")
    path = annual_docx.write_docx(report, annual.chart_images(report), tmp_path / "r.docx")
    return "\n".join(p.text for p in Document(path).paragraphs)


def shown(card: str, kind: str) -> str:
    match = re.search(rf'<b class="{kind}"><a href="[^"]*">([^<]*)</a></b>', card)
    assert match, f"no {kind} count on the card"
    return match.group(1)


def test_a_ho_so_both_phases_scopes_hold_is_counted_in_the_first_only(catalogue, agency):
    _, (phase_1, phase_2) = statuses(catalogue, agency)
    assert phase_1.registered.ho_so == 5  # records 1, 2, 3, 4, 7
    assert phase_2.registered.ho_so == 1  # record 6; phase 2's own scope also holds 1-4 and 7 (and 8)
    assert phase_2.registered.pages == 2 and phase_2.done.ho_so == 1


def test_the_phases_share_no_ho_so_and_born_digital_ones_are_in_none(catalogue, agency):
    plan, _ = statuses(catalogue, agency)
    members = []
    for m in plan.milestones:
        scope, params = m.membership("hs")
        query = sql.SQL("SELECT hs.ma_ho_so FROM ho_so hs JOIN agency a ON a.id = hs.agency_id "
                        "WHERE a.ma = %(agency)s AND {} ORDER BY 1").format(scope)
        with catalogue.cursor() as cur:
            cur.execute(query, {**params, "agency": agency})
            members.append([row[0] for row in cur.fetchall()])
    catalogue.rollback()
    assert members == [[f"{agency}.{n:03d}" for n in (1, 2, 3, 4, 7)], [f"{agency}.006"]]


def test_pages_rejected_at_intake_are_counted_though_their_ho_so_never_reached_the_catalogue(
        catalogue, agency, tmp_path):
    plan, (phase_1, phase_2) = statuses(catalogue, agency)
    assert phase_1.pages.rejected == 2 + 3  # record 3's two, and the three of hồ sơ X (rejected, not catalogued)
    assert phase_2.pages.rejected == 1  # hồ sơ Z; Y's two pages belong to no phase
    assert shown(dashboard_card(catalogue, plan, f"{agency}-gd1"), "rejected") == "5"
    assert shown(dashboard_card(catalogue, plan, f"{agency}-gd2"), "rejected") == "1"
    assert "Trang bị từ chối khi tiếp nhận: 5;" in report_text(catalogue, plan, agency, tmp_path)


def test_pages_whose_ocr_failed_or_was_parked_are_shown(catalogue, agency, tmp_path):
    plan, (phase_1, phase_2) = statuses(catalogue, agency)
    assert (phase_1.pages.ocr_failed, phase_1.pages.ocr_parked) == (1, 1)
    assert (phase_2.pages.ocr_failed, phase_2.pages.ocr_parked) == (0, 0)
    card = dashboard_card(catalogue, plan, f"{agency}-gd1")
    assert (shown(card, "ocr_failed"), shown(card, "ocr_parked")) == ("1", "1")
    text = report_text(catalogue, plan, agency, tmp_path)
    assert "Trang OCR bị lỗi, chờ chạy lại: 1" in text and "Trang OCR dừng sau nhiều lần lỗi, cần xử lý: 1" in text


def test_a_phase_without_a_target_says_so_and_invents_none(catalogue, agency, tmp_path):
    plan, (phase_1, phase_2) = statuses(catalogue, agency)
    assert phase_1.planned_ho_so == 5  # the plan's 4, or the 5 registered in the phase if more
    assert phase_2.planned_ho_so is None and phase_2.missing_target == \
        "Kế hoạch chưa nêu chỉ tiêu số hồ sơ cho giai đoạn này"
    assert phase_2.outlook.expected is None and "forecast_late" not in phase_2.conditions

    card = dashboard_card(catalogue, plan, f"{agency}-gd2")
    assert "Chưa có chỉ tiêu" in card and "Đúng tiến độ" not in card
    assert re.search(r'<b class="done"><a [^>]*>1</a> / —</b>', card)
    assert "Kế hoạch chưa nêu chỉ tiêu số hồ sơ cho giai đoạn này." in card
    assert annual.state_of(phase_2).startswith("Chưa có chỉ tiêu")
    assert "Kế hoạch chưa nêu chỉ tiêu số hồ sơ cho giai đoạn này. Đã hoàn thành 1 trong 1 hồ sơ" in \
        report_text(catalogue, plan, agency, tmp_path)
    svg = charts.burnup(phase_2, "svg").decode()
    assert "Chỉ tiêu:" not in svg and "Dự báo" not in svg


@pytest.fixture()
def dashboard_client(agency, monkeypatch):
    """The dashboard app with the two-phase plan of ``agency`` as the configured plan, the login waived."""
    from airflow.api_fastapi.core_api.security import get_user
    from fastapi.testclient import TestClient

    from sohoa.milestones import definitions
    from sohoa.web.dashboard import create_app

    monkeypatch.setattr(definitions, "load_plan", lambda: two_phase_plan(agency))
    app = create_app()
    app.dependency_overrides[get_user] = lambda: None
    return TestClient(app)


def listed(client, href: str) -> tuple[int, str]:
    page = client.get("/" + href.replace("&amp;", "&"))
    assert page.status_code == 200, page.text
    return int(re.search(r'<p class="muted count">(\d+) mục', page.text).group(1)), page.text


def test_each_count_on_the_dashboard_links_to_the_records_behind_it(catalogue, agency, dashboard_client):
    plan, _ = statuses(catalogue, agency)
    card = dashboard_card(catalogue, plan, f"{agency}-gd1")
    links = dict((kind, (href, int(n))) for href, kind, n in
                 re.findall(r'<a href="(trang\?[^"]*kind=(\w+))">(\d+)</a>', card))
    assert set(links) == {"rejected", "ocr_failed", "ocr_parked", "flagged"}
    for kind, (href, count) in links.items():
        assert listed(dashboard_client, href)[0] == count, kind
    rows, text = listed(dashboard_client, links["rejected"][0])
    assert f"{agency}.RX" in text and f"{agency}.RY" not in text and "vendor-test/" in text
    done_href, done = re.search(r'<b class="done"><a href="([^"]+)">(\d+)</a>', card).groups()
    assert listed(dashboard_client, done_href)[0] == int(done) == 2  # records 1 and 2 are OCR'd throughout
    stage_links = re.findall(r'<a href="(ho-so\?[^"]*stage=registered)">(\d+)</a>', card)
    assert [listed(dashboard_client, href)[0] for href, _ in stage_links] == [int(n) for _, n in stage_links] == [5]


def test_a_list_for_an_unknown_milestone_or_kind_is_a_vietnamese_404(agency, dashboard_client):
    assert "Không có mốc" in dashboard_client.get("/trang?milestone=nope&kind=rejected").text
    answer = dashboard_client.get(f"/trang?milestone={agency}-gd1&kind=everything")
    assert answer.status_code == 404 and "Không có loại trang" in answer.text


def test_born_digital_ho_so_are_shown_apart_from_the_digitisation_phases(catalogue, agency, tmp_path):
    from sohoa.web.dashboard import render_page

    plan, _ = statuses(catalogue, agency)
    html = render_page(catalogue, storage.client(), plan, TODAY, "Cơ quan thử", [])
    card = html[html.find('<div class="card born-digital">'):]
    card = card[:card.find("</table>")]
    assert re.search(r"<td>Khác</td><td>[^<]+</td><td>1</td><td>0</td><td>1</td>", card)  # record 8: 1 hồ sơ, 1 page
    text = report_text(catalogue, plan, agency, tmp_path)
    assert "Hồ sơ gốc điện tử không phải số hóa nên không tính vào tiến độ" in text
