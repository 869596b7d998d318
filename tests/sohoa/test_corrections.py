"""Corrections of OCR'd lines as text versions, on the real Postgres and SeaweedFS: versions kept, search and the
PDF/A text layer rebuilt, an event; stale saves, bad input and readers refused; the viewer's routes around them."""
from __future__ import annotations

import os
import subprocess
import threading
import uuid

import pytest
from fastapi.testclient import TestClient

from ocr_engine.pdf import validate_pdfa
from sohoa import storage
from sohoa.catalogue.db import connect, transaction
from sohoa.catalogue.events import events_of
from sohoa.processing import keys, words
from sohoa.processing.assemble import assemble_ho_so
from sohoa.processing.corrections import (MAX_LINE_CHARS, clean_line, correct_line, find_page, rebuild_pdf,
                                          retype_line, versions)
from sohoa.processing.errors import AssemblyError, CorrectionConflict, CorrectionError
from sohoa.processing.ocr import ocr_chunk
from sohoa.processing.plan import pending_chunks
from sohoa.search import ACCESS_LEVELS, PUBLIC, search
from sohoa.vntext import fold
from web_client import client_as

pytestmark = pytest.mark.stack
ALL = ACCESS_LEVELS


@pytest.fixture(scope="module")
def page(tmp_path_factory, accepted_batch, migrated):
    """One hồ sơ of two rendered pages, OCR'd (tesseract) and assembled; (conn, s3, mã hồ sơ)."""
    ma_ho_so, batch_pk, _ = accepted_batch(tmp_path_factory.mktemp("corr"), 2)
    conn, s3 = connect(), storage.client()
    with transaction(conn) as cur:
        chunks = pending_chunks(cur, batch_pk=batch_pk, chunk_size=8)
    for chunk in chunks:
        ocr_chunk(conn, s3, chunk, engine="tesseract", jobs=2)
    assemble_ho_so(conn, s3, ma_ho_so)
    yield conn, s3, ma_ho_so
    conn.close()


def _state(conn, ma_ho_so: str, so_trang: int = 1):
    with transaction(conn) as cur:
        return find_page(cur, ma_ho_so, so_trang, ALL)


def _words(s3, row):
    return words.loads(s3.get_object(Bucket=storage.DERIVATIVES, Key=row.derivative_keys["words.json"]["key"])
                       ["Body"].read())[0]


def _pdf_text(conn, s3, ma_ho_so: str, tmp_path) -> str:
    with transaction(conn) as cur:
        cur.execute("SELECT pdf_keys -> '1' ->> 'key' FROM ho_so WHERE ma_ho_so = %s", (ma_ho_so,))
        key = cur.fetchone()[0]
    path = tmp_path / "vb.pdf"
    path.write_bytes(s3.get_object(Bucket=storage.DERIVATIVES, Key=key)["Body"].read())
    assert validate_pdfa(path) == []
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def test_a_correction_is_a_new_version_found_by_search_and_in_the_pdf_text_layer_the_old_one_kept(page, tmp_path):
    conn, s3, ma_ho_so = page
    before = _state(conn, ma_ho_so)
    old_text = _words(s3, before).lines[0].text
    word = f"Hiệuđính{uuid.uuid4().hex[:6]}"
    done = correct_line(conn, s3, ma_ho_so, 1, 1, f"  {word} số hóa\u0301 ", base_version=before.text_version,
                        by="lan", levels=ALL)

    after = _state(conn, ma_ho_so)
    assert done.version == after.text_version == before.text_version + 1 and done.old == old_text
    assert _words(s3, after).lines[0].text == f"{word} số hóa\u0301".replace("a\u0301", "á")  # NFC, trimmed
    assert after.ocr_text.splitlines()[0] == done.new and after.derivative_keys["alto.xml"]["key"].endswith(
        f".v{done.version:03d}.alto.xml")
    alto = s3.get_object(Bucket=storage.DERIVATIVES, Key=after.derivative_keys["alto.xml"]["key"])["Body"].read()
    assert f'CONTENT="{word}"'.encode() in alto
    with transaction(conn) as cur:
        kept = versions(cur, after.trang_id)
        events = events_of(cur, "trang", str(after.trang_id))
    assert [v["version"] for v in kept] == [1, 2] and kept[1]["created_by"] == "lan"
    assert _words(s3, before).lines[0].text == old_text  # version 1's objects are untouched
    change = [e for e in events if e["event_type"] == "modification"][-1]
    assert change["agent"] == "lan" and change["detail"]["old"] == old_text and change["detail"]["new"] == done.new

    with transaction(conn) as cur:
        hits = search(conn, word, levels=ALL).hits
    assert [(h.ma_ho_so, h.trang) for h in hits] == [(ma_ho_so, 1)]
    correct_line(conn, s3, ma_ho_so, 1, 2, f"Dòng hai {word[-6:]}x", base_version=done.version, by="lan", levels=ALL)
    with transaction(conn) as cur:  # indexed again, the page still counts once for the words it kept
        cur.execute("SELECT word, pages FROM search_vocabulary WHERE word = ANY(%s)",
                    ([fold(word).lower(), fold(f"{word[-6:]}x").lower()],))
        assert dict(cur.fetchall()) == {fold(word).lower(): 1, fold(f"{word[-6:]}x").lower(): 1}
    pdf, error = rebuild_pdf(conn, s3, ma_ho_so, 1, by="lan")
    assert error is None and pdf["text_versions"] == {"1": done.version + 1,
                                                    "2": _state(conn, ma_ho_so, 2).text_version}
    assert word in _pdf_text(conn, s3, ma_ho_so, tmp_path)
    assert rebuild_pdf(conn, s3, ma_ho_so, 2, by="lan") == (pdf, None)  # nothing changed since: not rebuilt


def test_every_text_version_a_correction_replaced_stays_under_fixity_and_backup(page):
    """The objects of a replaced version are no longer in trang.derivative_keys; fixity (and replication, which
    copies fixity's targets) must still cover them, or a version replaced before the nightly backup is never copied."""
    from sohoa.fixity.check import targets

    conn, s3, ma_ho_so = page
    before = _state(conn, ma_ho_so, 2)
    correct_line(conn, s3, ma_ho_so, 2, 1, f"Bản lưu {uuid.uuid4().hex[:6]}", base_version=before.text_version,
                 by="lan", levels=ALL)
    with transaction(conn) as cur:
        cur.execute("SELECT version, derivative_keys FROM trang_text_version WHERE trang_id = %s ORDER BY version",
                    (before.trang_id,))
        kept = cur.fetchall()
        stored = [(v, d["key"], d["sha256"]) for v, kinds in kept for d in kinds.values()]
        prefix = os.path.commonprefix([key for _, key, _ in stored])
        covered = {(t.bucket, t.key, t.sha256) for t in targets(cur, prefix=prefix)}
    assert [v for v, _ in kept] == [1, 2] and len(stored) == 6  # OCR's words, ALTO, text and the correction's
    for version, key, sha256 in stored:
        assert (storage.DERIVATIVES, key, sha256) in covered, (version, key)


def test_a_pdf_that_cannot_be_rebuilt_leaves_the_correction_saved_and_goes_on_the_review_queue(page, monkeypatch):
    from sohoa.processing import corrections

    conn, s3, ma_ho_so = page

    def refused(*_):
        raise AssemblyError(f"{ma_ho_so}.01.pdf failed validation: text layer differs")

    monkeypatch.setattr(corrections, "rebuild_van_ban_pdf", refused)
    before = _state(conn, ma_ho_so)
    done = correct_line(conn, s3, ma_ho_so, 1, 4, "Dòng bốn đã sửa", base_version=before.text_version, by="lan",
                        levels=ALL)
    assert rebuild_pdf(conn, s3, ma_ho_so, 1, by="lan") == (None, f"{ma_ho_so}.01.pdf failed validation: "
                                                                   "text layer differs")
    assert _state(conn, ma_ho_so).text_version == done.version
    with transaction(conn) as cur:
        cur.execute("""SELECT r.status FROM review_item r JOIN ho_so h ON h.id = r.object_id
                       WHERE r.object_type = 'ho_so' AND r.reason = 'pdf_failed' AND h.ma_ho_so = %s""", (ma_ho_so,))
        assert cur.fetchone() == ("open",)
        failed = [e for e in events_of(cur, "ho_so", ma_ho_so) if e["outcome"] == "failure"]
    assert failed[-1]["agent"] == "lan" and "text layer differs" in failed[-1]["detail"]["error"]


def test_a_save_based_on_a_stale_version_is_refused_and_the_later_text_stays(page):
    conn, s3, ma_ho_so = page
    start = _state(conn, ma_ho_so, 2)
    correct_line(conn, s3, ma_ho_so, 2, 1, "Dòng do Lan sửa", base_version=start.text_version, by="lan",
                 levels=ALL)
    with pytest.raises(CorrectionConflict, match=r"vừa được sửa \(bởi lan, nay là phiên bản .*tải lại trang"):
        correct_line(conn, s3, ma_ho_so, 2, 1, "Dòng do Minh sửa", base_version=start.text_version, by="minh",
                     levels=ALL)
    assert _words(s3, _state(conn, ma_ho_so, 2)).lines[0].text == "Dòng do Lan sửa"


def test_two_archivists_saving_the_same_line_at_once_one_wins_and_the_other_is_told(page):
    _, s3, ma_ho_so = page
    conn = connect()
    base = _state(conn, ma_ho_so, 2).text_version
    conn.close()
    outcomes, barrier = {}, threading.Barrier(2)

    def save(who: str) -> None:
        own = connect()
        try:
            barrier.wait()
            outcomes[who] = correct_line(own, storage.client(), ma_ho_so, 2, 2, f"Dòng hai của {who}",
                                         base_version=base, by=who, levels=ALL)
        except CorrectionConflict as exc:
            outcomes[who] = exc
        finally:
            own.close()

    threads = [threading.Thread(target=save, args=(who,)) for who in ("an", "binh")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    won = [who for who, outcome in outcomes.items() if not isinstance(outcome, Exception)]
    assert len(won) == 1 and len(outcomes) == 2
    conn = connect()
    now = _state(conn, ma_ho_so, 2)
    conn.close()
    assert now.text_version == base + 1 and _words(s3, now).lines[1].text == f"Dòng hai của {won[0]}"


@pytest.mark.parametrize("text, message", [
    ("", "không được để trống"), ("   \t ", "không được để trống"),
    ("x" * 100_000, "tối đa 1.000 ký tự"),
    ("<script>alert(1)</script>", "thẻ HTML"), ("Công văn <b>số 5</b>", "thẻ HTML"),
    ("hai\ndòng", "bỏ dấu xuống dòng"), ("chữ\u0000ẩn", "ký tự điều khiển"),
])
def test_bad_corrections_are_refused_in_vietnamese_and_change_nothing(page, text, message):
    conn, s3, ma_ho_so = page
    before = _state(conn, ma_ho_so)
    with pytest.raises(CorrectionError, match=message):
        correct_line(conn, s3, ma_ho_so, 1, 1, text, base_version=before.text_version, by="lan", levels=ALL)
    assert _state(conn, ma_ho_so).text_version == before.text_version


def test_a_line_that_does_not_exist_and_a_page_a_reader_may_not_see_are_refused(page):
    conn, s3, ma_ho_so = page
    version = _state(conn, ma_ho_so).text_version
    with pytest.raises(CorrectionError, match="không có dòng 999"):
        correct_line(conn, s3, ma_ho_so, 1, 999, "chữ", base_version=version, by="lan", levels=ALL)
    with _access(conn, ma_ho_so, "mat"), pytest.raises(CorrectionError, match="không được xem"):
        correct_line(conn, s3, ma_ho_so, 1, 1, "chữ", base_version=version, by="lan", levels=(PUBLIC,))


def test_a_line_retyped_with_other_words_shares_its_box_out_and_keeps_it_with_as_many():
    from ocr_engine.model import Box, Line, Word

    line = Line((Word("Sô", Box(100, 10, 140, 30), 0.5), Word("hoa", Box(150, 10, 200, 30), 0.6)))
    same = retype_line(line, "Số hóa")
    assert [w.box for w in same.words] == [w.box for w in line.words] and {w.confidence for w in same.words} == {1.0}
    more = retype_line(line, "Số hóa tài")
    assert more.box.x0 == 100 and more.box.x1 == 200 and len(more.words) == 3
    assert all(a.box.x1 <= b.box.x0 for a, b in zip(more.words, more.words[1:]))
    assert clean_line(" a  b ") == "a b" and MAX_LINE_CHARS == 1000


# ---- the viewer's routes (FastAPI test client; Airflow's user answered by a stand-in) ----------------------


def _client(role: str) -> TestClient:
    from sohoa.web.viewer import create_app

    return client_as(create_app, role, "lan" if role == "admin" else "doc-gia", base_url="http://127.0.0.1:28080")


class _access:
    """Give the hồ sơ another access level for a block."""

    def __init__(self, conn, ma_ho_so: str, level: str):
        self.conn, self.ma_ho_so, self.level = conn, ma_ho_so, level

    def __enter__(self):
        with transaction(self.conn) as cur:
            cur.execute("UPDATE ho_so SET muc_do_tiep_can = %s WHERE ma_ho_so = %s", (self.level, self.ma_ho_so))

    def __exit__(self, *exc):
        with transaction(self.conn) as cur:
            cur.execute("UPDATE ho_so SET muc_do_tiep_can = 'cong_khai' WHERE ma_ho_so = %s", (self.ma_ho_so,))


SAVE = {"Content-Type": "application/json", "X-Sohoa-Request": "sua-dong", "Origin": "http://127.0.0.1:28080"}


def test_the_viewer_draws_the_lines_over_the_cached_rendition_and_selects_the_searched_line(page):
    conn, s3, ma_ho_so = page
    row = _state(conn, ma_ho_so)
    client = _client("admin")
    lines = [line.text for line in _words(s3, row).lines]
    n, word = next((n, w) for n, line in enumerate(lines, start=1) if n > 1 for w in line.split()
                   if len(w) > 3 and w.isalpha() and sum(fold(w).lower() in fold(l).lower() for l in lines) == 1)
    html = client.get(f"/{ma_ho_so}/1", params={"q": word}).text
    assert f'viewBox="0 0 {row.width} {row.height}"' in html and html.count('class="line') >= 2
    assert f'"chon": {n}' in html and '"sua": true' in html and 'class="word hit"' in html
    assert '"chon": 2' in client.get(f"/{ma_ho_so}/1", params={"dong": 2}).text
    second = _state(conn, ma_ho_so, 2)  # opening page 1 made page 2's image ready
    s3.head_object(Bucket=storage.DERIVATIVES, Key=keys.rendition(ma_ho_so, 2, second.sha256))
    assert 'src="1/anh.jpg"' in html and "../static/viewer.js" in html
    first = client.get(f"/{ma_ho_so}/1/anh.jpg")
    assert first.status_code == 200 and first.content[:3] == b"\xff\xd8\xff"
    assert 10_000 < len(first.content) < 1_000_000
    assert client.get(f"/{ma_ho_so}/1/anh.jpg", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    assert client.get("/static/viewer.js").status_code == 200


def test_a_reader_cannot_open_a_restricted_page_nor_its_image_nor_correct_any_line(page):
    conn, _, ma_ho_so = page
    reader = _client("viewer")
    version = _state(conn, ma_ho_so).text_version
    answer = reader.post(f"/{ma_ho_so}/1/dong/1", json={"text": "chữ", "phien_ban": version}, headers=SAVE)
    assert answer.status_code == 403 and "Chỉ lưu trữ viên" in answer.json()["loi"]
    public = reader.get(f"/{ma_ho_so}/1")  # a public page is readable, not editable
    assert public.status_code == 200 and '"sua": false' in public.text and "Bấm vào một dòng để xem" in public.text
    for level in ("co_dieu_kien", "mat"):
        with _access(conn, ma_ho_so, level):
            for path in (f"/{ma_ho_so}/1", f"/{ma_ho_so}/1/anh.jpg"):
                answer = reader.get(path)
                assert answer.status_code == 404 and "không được xem" in answer.text
            assert _client("admin").get(f"/{ma_ho_so}/1").status_code == 200


def test_a_correction_through_the_viewer_is_saved_and_a_stale_or_forged_one_is_refused(page):
    conn, _, ma_ho_so = page
    client = _client("admin")
    version = _state(conn, ma_ho_so).text_version
    saved = client.post(f"/{ma_ho_so}/1/dong/3", json={"text": "Dòng ba đã sửa", "phien_ban": version},
                        headers=SAVE)
    assert saved.status_code == 200 and saved.json()["phien_ban"] == version + 1
    with transaction(conn) as cur:  # the PDF was rebuilt after the answer (the test client runs it before returning)
        cur.execute("SELECT pdf_keys -> '1' -> 'text_versions' ->> '1' FROM ho_so WHERE ma_ho_so = %s", (ma_ho_so,))
        assert cur.fetchone()[0] == str(version + 1)
    stale = client.post(f"/{ma_ho_so}/1/dong/3", json={"text": "Dòng ba sửa lần nữa", "phien_ban": version},
                        headers=SAVE)
    assert stale.status_code == 409 and "tải lại trang" in stale.json()["loi"]
    body = {"text": "giả mạo", "phien_ban": version + 1}
    forged = [client.post(f"/{ma_ho_so}/1/dong/3", json=body),  # no header: a cross-site form or fetch
              client.post(f"/{ma_ho_so}/1/dong/3", data=body, headers={"X-Sohoa-Request": "1"}),
              client.post(f"/{ma_ho_so}/1/dong/3", json=body, headers={**SAVE, "Origin": "http://evil.example"}),
              client.post(f"/{ma_ho_so}/1/dong/3", json=body, headers={**SAVE, "Sec-Fetch-Site": "cross-site"}),
              client.post(f"/{ma_ho_so}/1/dong/3", json=body, headers={"Origin": SAVE["Origin"]}),  # no header
              client.post(f"/{ma_ho_so}/1/dong/3", json=body, headers={k: v for k, v in SAVE.items()
                                                                        if k != "Origin"})]  # no Origin nor Referer
    assert [answer.status_code for answer in forged] == [403] * 6 and "loi" in forged[2].json()
    big = client.post(f"/{ma_ho_so}/1/dong/3", json={"text": "x" * 100_000, "phien_ban": version + 1}, headers=SAVE)
    assert big.status_code == 413 and "tối đa" in big.json()["loi"]
    script = client.post(f"/{ma_ho_so}/1/dong/3", json={"text": "<script>alert(1)</script>",
                                                        "phien_ban": version + 1}, headers=SAVE)
    assert script.status_code == 400 and "thẻ HTML" in script.json()["loi"]
    assert _state(conn, ma_ho_so).text_version == version + 1
    history = client.get(f"/{ma_ho_so}/1").text  # every version listed, newest first, with who changed what
    assert "Lịch sử sửa" in history and f"Phiên bản {version + 1}</b> — web:lan" in history
    assert "→ «Dòng ba đã sửa»" in history and "(bản nhận dạng)" in history


@pytest.mark.parametrize("rotate", [0, 90, 180, 270])
def test_a_page_scanned_turned_is_shown_upright_with_its_boxes_turned_alike(tmp_path, rotate):
    import io

    from PIL import Image, ImageDraw

    from sohoa.processing.renditions import downscale
    from sohoa.web.viewer import upright

    width, height, box = 3000, 2000, (300, 200, 900, 500)  # a landscape master, one dark block
    master = Image.new("L", (width, height), 255)
    ImageDraw.Draw(master).rectangle((box[0], box[1], box[2] - 1, box[3] - 1), fill=0)
    master.save(tmp_path / "m.png")
    shown = Image.open(io.BytesIO(downscale(tmp_path / "m.png", rotate)))
    turned = (height, width) if rotate in (90, 270) else (width, height)
    assert shown.width / shown.height == pytest.approx(turned[0] / turned[1], rel=0.01)
    x, y, w, h = upright(box, width, height, rotate)
    scale = shown.width / turned[0]
    dark = shown.point(lambda v: 255 if v < 128 else 0).getbbox()  # where the block landed
    assert dark == pytest.approx((x * scale, y * scale, (x + w) * scale, (y + h) * scale), abs=3)


def test_a_page_without_words_or_master_is_shown_with_a_plain_message_not_an_error(corpus):
    conn, phong = corpus
    client = _client("admin")
    ma_ho_so = f"{phong}.01.2025.01"  # catalogued with text but no words.json and no master in S3
    page = client.get(f"/{ma_ho_so}/3")
    assert page.status_code == 200 and "chưa có chữ nhận dạng" in page.text and '"sua": true' in page.text
    image = client.get(f"/{ma_ho_so}/3/anh.jpg")
    assert image.status_code == 503 and "Không đọc được ảnh gốc" in image.text
    assert client.get(f"/{ma_ho_so}/3/anh.jpg", params={"xoay": 45}).status_code == 400
    for bad in (f"/{ma_ho_so}/ba", "/G01%00x/3", "/G01%00x/3/anh.jpg", "/-x/3"):  # never reach SQL (a NUL was a 500)
        answer = client.get(bad)
        assert answer.status_code == 422 and "Yêu cầu không hợp lệ" in answer.text
    assert client.get("/..%2Fmasters/3").status_code == 404
    refused = client.post(f"/{ma_ho_so}/3/dong/1", json={"text": "chữ", "phien_ban": 1}, headers=SAVE)
    assert refused.status_code == 400 and "chưa có chữ nhận dạng" in refused.json()["loi"]
