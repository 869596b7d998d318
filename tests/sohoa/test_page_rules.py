"""Intake and OCR apply one set of page rules (ocr_engine.pages): intake never accepts a page OCR refuses."""
from __future__ import annotations

import uuid

import pytest

from ocr_engine import images, qc
from ocr_engine.errors import InputError
from sohoa.intake import checks
from sohoa.intake.samples import encode, make_batch, noise_page, page_entry, read_manifest, write_manifest
from sohoa.intake.source import LocalBatch
from sohoa.intake.validate import validate_batch

VENDOR = "vendor-demo"


def ocr_refuses(path) -> bool:
    """What OCR does with the file: refuse it on input (InputError) or by a rejecting QC verdict."""
    try:
        [source] = images.list_pages(path)
        loaded = images.load_page(source)
    except InputError:
        return True
    return bool(qc.dpi_problems(source.page_id, loaded.dpi))


def test_a_48x68_page_is_rejected_at_intake_because_ocr_would_refuse_it(tmp_path):
    batch_id = f"v{uuid.uuid4().hex[:10]}"
    folder = tmp_path / batch_id
    make_batch(folder, VENDOR, batch_id, n_ho_so=1, pages_per_ho_so=2)
    manifest = read_manifest(folder)
    trang = manifest["ho_so"][0]["trang"][0]
    data = encode(noise_page("tiny", 1, size=(48, 68)))
    (folder / trang["ten_tep"]).write_bytes(data)
    trang.update(page_entry(1, trang["ten_tep"], data, 300, "color"))
    write_manifest(folder, manifest)

    verdict = validate_batch(LocalBatch(folder), vendor=VENDOR, batch_id=batch_id)

    page = next(i for i in verdict.items if i.name == trang["ten_tep"])
    assert verdict.verdict == "rejected" and page.status == "rejected"
    assert [r["code"] for r in page.reasons] == ["too_small"]
    assert "48×68 điểm ảnh, quá nhỏ" in page.reasons[0]["message"]
    assert ocr_refuses(folder / trang["ten_tep"])


PAGES = {
    "48x68 at 300 dpi": (lambda: noise_page("a", 1, size=(48, 68)), "jpg", 300),
    "63x200 at 300 dpi": (lambda: noise_page("b", 1, size=(63, 200)), "png", 300),
    "smallest accepted page": (lambda: noise_page("c", 1), "jpg", 300),
    "150 dpi": (lambda: noise_page("d", 1, size=(200, 280)), "jpg", 150),
    "199 dpi": (lambda: noise_page("e", 1, size=(200, 280)), "png", 199),
    "200 dpi greyscale": (lambda: noise_page("f", 1, size=(200, 280)).convert("L"), "jpg", 200),
    "bitonal": (lambda: noise_page("g", 1, size=(200, 280)).convert("1"), "png", 300),
}


@pytest.mark.parametrize("name", PAGES)
def test_every_page_intake_accepts_is_read_by_ocr(tmp_path, name):
    make, ext, dpi = PAGES[name]
    data = encode(make(), ext, dpi)
    path = tmp_path / f"page.{ext}"
    path.write_bytes(data)

    _, problems = checks.inspect_image(data, ext)

    assert (not problems) == (not ocr_refuses(path)), [p.code for p in problems]


def test_a_page_without_a_resolution_is_refused_by_both(tmp_path):
    path = tmp_path / "page.png"
    noise_page("nodpi", 1, size=(200, 280)).save(path)

    _, problems = checks.inspect_image(path.read_bytes(), "png")

    assert [p.code for p in problems] == ["dpi_missing"] and ocr_refuses(path)
