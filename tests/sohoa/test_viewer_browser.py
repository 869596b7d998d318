"""Search → page viewer → correction, in headless Chromium against a real Airflow API server, at 1280 and 800 px.

The API server, the browser and the login are the session's (conftest.py: one ``airflow api-server`` with this
tree's plugin for all the browser tests). The page is a real one: rendered, taken through intake, OCR (tesseract)
and assembly. Screenshots go to ``$SOHOA_TEST_ARTEFACTS`` when set, else to a tmp dir; the test prints where.
"""
from __future__ import annotations

import uuid

import pytest

from sohoa import storage
from sohoa.catalogue.db import connect, transaction
from sohoa.processing.assemble import assemble_ho_so
from sohoa.processing.corrections import correct_line, find_page
from sohoa.processing.ocr import ocr_chunk
from sohoa.processing.plan import pending_chunks
from sohoa.search import ACCESS_LEVELS

pytestmark = [pytest.mark.stack, pytest.mark.slow]


@pytest.fixture(scope="module")
def findable(tmp_path_factory, accepted_batch, migrated):
    """A processed one-page hồ sơ whose line 2 carries a word found nowhere else; (mã hồ sơ, word)."""
    ma_ho_so, batch_pk, _ = accepted_batch(tmp_path_factory.mktemp("viewer"), 1)
    conn, s3 = connect(), storage.client()
    try:
        with transaction(conn) as cur:
            chunks = pending_chunks(cur, batch_pk=batch_pk, chunk_size=8)
        for chunk in chunks:
            ocr_chunk(conn, s3, chunk, engine="tesseract", jobs=2)
        assemble_ho_so(conn, s3, ma_ho_so)
        word = f"Tìmthấy{uuid.uuid4().hex[:8]}"
        correct_line(conn, s3, ma_ho_so, 1, 2, f"{word} trong dòng hai", base_version=1, by="test",
                     levels=ACCESS_LEVELS)
    finally:
        conn.close()
    return ma_ho_so, word


@pytest.mark.parametrize("width", [1280, 800])
def test_search_opens_the_hit_in_the_viewer_at_its_line_and_a_correction_shows_and_stays(
        logged_in, airflow_ui, findable, artefacts, width, record_property):
    ma_ho_so, word = findable
    page = logged_in.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{airflow_ui}/sohoa/tim-kiem/?q={word}")
    hit = page.locator(f'a.page[href^="/sohoa/trang/{ma_ho_so}/1"]')
    assert hit.count() == 1
    hit.click()
    page.wait_for_url(f"**/sohoa/trang/{ma_ho_so}/1?q=*")
    page.wait_for_function("document.getElementById('page-image').complete "
                           "&& document.getElementById('page-image').naturalWidth > 0")
    selected = page.locator("#lines li.selected")
    assert selected.get_attribute("data-line") == "2" and word in selected.inner_text()
    assert page.locator("#overlay g.line.selected rect.word.hit").count() == 1
    assert page.locator("#overlay g.line").count() == page.locator("#lines li").count() >= 2
    page.screenshot(path=str(artefacts / f"viewer-{width}-hit.png"))

    page.keyboard.press("ArrowDown")  # the next line and back, by keyboard
    assert page.locator("#lines li.selected").get_attribute("data-line") == "3"
    page.keyboard.press("ArrowUp")
    assert page.locator("#lines li.selected").get_attribute("data-line") == "2"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")  # edit line 3 (line 2 keeps the word searched for)
    editor = page.locator("#line-text")
    assert editor.is_visible() and editor.input_value() == page.locator('#lines li[data-line="3"]').inner_text()
    fixed = f"Đã sửa ở {width} px {uuid.uuid4().hex[:6]}"
    editor.fill(fixed)
    editor.press("Enter")
    page.locator("#status.ok").wait_for(timeout=30_000)
    assert "Đã lưu dòng 3" in page.locator("#status").inner_text()
    assert page.locator('#lines li[data-line="3"]').inner_text() == fixed
    assert page.locator('#overlay g.line[data-line="3"] title').text_content() == fixed
    page.screenshot(path=str(artefacts / f"viewer-{width}-corrected.png"), full_page=True)

    page.reload()  # saved, not only shown
    assert page.locator('#lines li[data-line="3"]').inner_text() == fixed
    page.goto(f"{airflow_ui}/sohoa/tim-kiem/?q={fixed.split()[-1]}")
    assert page.locator(f'a.page[href^="/sohoa/trang/{ma_ho_so}/1"]').count() == 1
    record_property("screenshots", str(artefacts))
    page.close()


def test_a_stale_tab_is_told_the_page_changed_and_its_text_is_not_saved(logged_in, airflow_ui, findable):
    ma_ho_so, _ = findable
    stale = logged_in.new_page()
    stale.goto(f"{airflow_ui}/sohoa/trang/{ma_ho_so}/1?dong=1")
    conn = connect()
    try:
        with transaction(conn) as cur:
            version = find_page(cur, ma_ho_so, 1, ACCESS_LEVELS).text_version
        correct_line(conn, storage.client(), ma_ho_so, 1, 1, "Sửa ở tab khác", base_version=version, by="khac",
                     levels=ACCESS_LEVELS)
    finally:
        conn.close()
    stale.locator('#lines li[data-line="1"]').click()
    stale.locator("#line-text").fill("Sửa ở tab cũ")
    stale.locator("#save").click()
    stale.locator("#status.error").wait_for(timeout=30_000)
    assert "tải lại trang" in stale.locator("#status").inner_text()
    stale.reload()
    assert stale.locator('#lines li[data-line="1"]').inner_text() == "Sửa ở tab khác"
    stale.close()
