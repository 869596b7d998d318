"""Processing against the real Postgres and SeaweedFS: OCR, derivatives, PDF/A, metadata, review, failures."""
from __future__ import annotations

import datetime as dt
import uuid

import pytest

from ocr_engine.engines import OcrEngine, register
from ocr_engine.errors import EngineError
from ocr_engine.pdf import validate_pdfa
from ocr_engine.synth import render_page
from sohoa import storage
from sohoa.catalogue.db import connect, transaction
from sohoa.catalogue.events import events_of
from sohoa.intake.process import run_intake
from sohoa.intake.samples import make_batch
from sohoa.processing import keys
from sohoa.processing.assemble import assemble_ho_so, ready_ho_so
from sohoa.processing.ocr import MAX_ATTEMPTS, OcrIncomplete, ocr_chunk
from sohoa.processing.plan import batch_pk_of, pending_chunks
from sohoa.processing.review import ReviewError, list_items, resolve
from sohoa.vendor.upload import upload_batch

pytestmark = pytest.mark.stack
VENDOR = "vendor-demo"


@register
class AlwaysCrashEngine(OcrEngine):
    """Every page fails, as an engine whose recogniser segfaults would."""
    name = "fake-always-crash"

    def version(self) -> str:
        return "fake-always-crash 1.0"

    def recognize(self, pages):
        return [EngineError(f"{p.page_id}: recogniser crashed (exit 139)") for p in pages]


def _rendered_pages(seeds: dict):
    """A page factory: page n of a hồ sơ is the synthetic document rendered from seeds[n]."""
    truths = {}

    def page(ma_ho_so: str, so_trang: int):
        image, truth, fields = render_page(seeds[so_trang], dpi=200)
        truths[so_trang] = (truth, fields)
        return image.convert("RGB")
    return page, truths


def _intake(tmp_path, stack, n_pages: int) -> tuple[str, int, dict]:
    """A fresh batch of ``n_pages`` rendered pages through upload and intake; seeds are unique per run, since
    intake rightly rejects a page whose SHA-256 is already catalogued."""
    batch_id = f"proc-{uuid.uuid4().hex[:8]}"
    base = uuid.uuid4().int % 10**9
    factory, truths = _rendered_pages({n: base + n for n in range(1, n_pages + 1)})
    manifest = make_batch(tmp_path / batch_id, VENDOR, batch_id, n_ho_so=1, pages_per_ho_so=n_pages,
                          page_image=factory, dpi=200, with_van_ban=False)
    upload_batch(tmp_path / batch_id, vendor=VENDOR, s3=storage.client(identity=VENDOR), progress=False)
    conn = connect()
    try:
        run_intake(storage.client(), conn, VENDOR, batch_id)
        with transaction(conn) as cur:
            batch_pk = batch_pk_of(cur, VENDOR, batch_id)
    finally:
        conn.close()
    return manifest["ho_so"][0]["ma_ho_so"], batch_pk, truths


@pytest.fixture(scope="module")
def processed(tmp_path_factory, stack):
    """One hồ sơ of two rendered pages, taken through intake, OCR (tesseract) and assembly."""
    ma_ho_so, batch_pk, truths = _intake(tmp_path_factory.mktemp("proc"), stack, 2)
    conn = connect()
    s3 = storage.client()
    with transaction(conn) as cur:
        chunks = pending_chunks(cur, batch_pk=batch_pk, chunk_size=8)
    reports = [ocr_chunk(conn, s3, chunk, engine="tesseract", jobs=2) for chunk in chunks]
    with transaction(conn) as cur:
        ready = ready_ho_so(cur, batch_pk=batch_pk)
    pdfs = assemble_ho_so(conn, s3, ma_ho_so)
    yield {"ma_ho_so": ma_ho_so, "batch_pk": batch_pk, "truths": truths, "chunks": chunks, "reports": reports,
           "ready": ready, "pdfs": pdfs, "conn": conn, "s3": s3}
    conn.close()


def _pages(conn, ma_ho_so: str) -> list[dict]:
    with transaction(conn) as cur:
        cur.execute("""SELECT t.id, t.so_trang, t.ocr_status, t.ocr_text, t.ocr_confidence, t.ocr_engine,
                              t.derivative_keys, t.ocr_attempts, t.ocr_error
                       FROM trang t JOIN ho_so h ON h.id = t.ho_so_id WHERE h.ma_ho_so = %s ORDER BY so_trang""",
                    (ma_ho_so,))
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]


def test_every_page_is_ocrd_with_its_diacritics(processed):
    pages = _pages(processed["conn"], processed["ma_ho_so"])
    assert [p["ocr_status"] for p in pages] == ["done", "done"]
    assert processed["ready"] == [processed["ma_ho_so"]]
    for page in pages:
        truth, fields = processed["truths"][page["so_trang"]]
        assert fields["so_ky_hieu"] in page["ocr_text"]
        assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in page["ocr_text"]
        assert page["ocr_engine"] == "tesseract" and 0.5 < page["ocr_confidence"] <= 1.0


def test_derivatives_are_stored_with_matching_checksums(processed):
    s3 = processed["s3"]
    for page in _pages(processed["conn"], processed["ma_ho_so"]):
        assert set(page["derivative_keys"]) == {"txt", "alto.xml", "json", "words.json"}
        for kind, entry in page["derivative_keys"].items():
            assert entry["key"] == keys.derivative(processed["ma_ho_so"], page["so_trang"], kind)
            assert storage.read_sha256(s3, "derivatives", entry["key"])[0] == entry["sha256"]


def test_the_pdf_is_named_per_tt05_and_is_a_valid_two_layer_pdfa(processed, tmp_path):
    ma = processed["ma_ho_so"]
    assert processed["pdfs"]["1"]["key"] == f"{ma}/{ma}.01.pdf"
    path = tmp_path / "doc.pdf"
    path.write_bytes(processed["s3"].get_object(Bucket="derivatives", Key=processed["pdfs"]["1"]["key"])["Body"].read())
    texts = "\n".join(p["ocr_text"] for p in _pages(processed["conn"], ma))
    assert validate_pdfa(path, expected_text=texts) == []


def test_metadata_is_proposed_from_the_text_and_queued_for_review(processed):
    conn = processed["conn"]
    _, fields = processed["truths"][1]
    with transaction(conn) as cur:
        cur.execute("""SELECT v.id, v.so_ky_hieu, v.ngay_ban_hanh, v.status, v.proposed FROM van_ban v
                       JOIN ho_so h ON h.id = v.ho_so_id WHERE h.ma_ho_so = %s""", (processed["ma_ho_so"],))
        van_ban_id, so_ky_hieu, ngay, status, proposed = cur.fetchone()
        items = list_items(cur, ma_ho_so=processed["ma_ho_so"])
    assert so_ky_hieu == fields["so_ky_hieu"]
    assert ngay == dt.date.fromisoformat(fields["ngay"])
    assert status == "proposed" and proposed["so"]["confidence"] > 0.5
    assert any(i.object_type == "van_ban" and i.object_id == van_ban_id and i.reason == "metadata" for i in items)


def test_a_correction_makes_the_van_ban_final_and_is_an_event(processed):
    conn = processed["conn"]
    with transaction(conn) as cur:
        item = next(i for i in list_items(cur, ma_ho_so=processed["ma_ho_so"]) if i.reason == "metadata")
        resolve(cur, item.id, reviewer="archivist-lan", resolution="corrected",
                corrections={"trich_yeu": "Về việc số hóa tài liệu lưu trữ"})
    with transaction(conn) as cur:
        cur.execute("SELECT status, trich_yeu, finalised_by FROM van_ban WHERE id = %s", (item.object_id,))
        assert cur.fetchone() == ("final", "Về việc số hóa tài liệu lưu trữ", "archivist-lan")
        events = events_of(cur, "van_ban", str(item.object_id))
        assert events[-1]["event_type"] == "metadata modification" and events[-1]["agent"] == "archivist-lan"
        with pytest.raises(ReviewError, match="đã được xử lý"):
            resolve(cur, item.id, reviewer="archivist-lan", resolution="accepted")


def test_a_correction_of_a_field_that_is_not_editable_is_refused(processed):
    with transaction(processed["conn"]) as cur:
        item = list_items(cur, status=None, ma_ho_so=processed["ma_ho_so"])[0]
        with pytest.raises(ReviewError, match="Không được sửa trường"):
            resolve(cur, item.id, reviewer="x", resolution="corrected", corrections={"status": "final"})


def test_running_ocr_and_assembly_again_changes_nothing(processed):
    conn, s3 = processed["conn"], processed["s3"]
    before = _pages(conn, processed["ma_ho_so"])
    again = ocr_chunk(conn, s3, processed["chunks"][0], engine="tesseract")
    assert again.done == [] and len(again.skipped) == 2
    assert assemble_ho_so(conn, s3, processed["ma_ho_so"]) == processed["pdfs"]
    assert _pages(conn, processed["ma_ho_so"]) == before
    with transaction(conn) as cur:
        assert pending_chunks(cur, batch_pk=processed["batch_pk"]) == []
        cur.execute("SELECT count(*) FROM event WHERE object_type = 'ho_so' AND object_id = %s AND event_type = 'creation'",
                    (processed["ma_ho_so"],))
        assert cur.fetchone()[0] == 1


def test_a_page_that_keeps_failing_is_retried_then_parked_never_dropped(tmp_path, stack):
    ma_ho_so, batch_pk, _ = _intake(tmp_path, stack, 1)
    conn, s3 = connect(), storage.client()
    try:
        with transaction(conn) as cur:
            [chunk] = pending_chunks(cur, batch_pk=batch_pk)
        for attempt in range(1, MAX_ATTEMPTS):
            with pytest.raises(OcrIncomplete):
                ocr_chunk(conn, s3, chunk, engine="fake-always-crash")
            assert _pages(conn, ma_ho_so)[0]["ocr_status"] == "failed"
        report = ocr_chunk(conn, s3, chunk, engine="fake-always-crash")
        [page] = _pages(conn, ma_ho_so)
        assert report.parked == [page["id"]]
        assert page["ocr_status"] == "parked" and page["ocr_attempts"] == MAX_ATTEMPTS
        assert "recogniser crashed" in page["ocr_error"]
        with transaction(conn) as cur:
            assert any(i.reason == "ocr_parked" for i in list_items(cur, ma_ho_so=ma_ho_so))
            failures = [e for e in events_of(cur, "trang", str(page["id"])) if e["outcome"] == "failure"]
        assert len(failures) == MAX_ATTEMPTS
        pdf = assemble_ho_so(conn, s3, ma_ho_so)  # the parked page keeps its image, without a text layer
        assert pdf["1"]["pages"] == [1, 1]
    finally:
        conn.close()
