"""The PDF/A-2b access copy of a signed văn bản: made beside the original, which is never changed."""
from __future__ import annotations

import hashlib
import io

import pytest

from ocr_engine.synth import render_page
from sohoa.born_digital.pdfinfo import inspect_pdf
from sohoa.born_digital.rendition import make_rendition, needs_rendition
from sohoa.born_digital.samples import ThrowawayCA, image_pdf, sign, text_pdf
from sohoa.born_digital.signatures import TrustStore, verify_file


@pytest.fixture(scope="module")
def signer():
    return ThrowawayCA.make().issue("Ủy ban nhân dân tỉnh Thử Nghiệm", "Tỉnh Thử Nghiệm")


def test_text_pdf_rendition_is_pdfa_2b_with_the_originals_own_text_and_the_original_is_untouched(tmp_path, signer):
    original = tmp_path / "qd.pdf"
    original.write_bytes(sign(text_pdf(pages=2), signer))
    before = hashlib.sha256(original.read_bytes()).hexdigest()
    facts = inspect_pdf(original)
    assert needs_rendition(facts)
    copy = make_rendition(original, tmp_path / "qd.pdfa.pdf", facts, title="Quyết định 15/QĐ-UBND")
    assert copy.ocr_pages == [] and copy.problems == []
    assert hashlib.sha256(original.read_bytes()).hexdigest() == before
    rendered = inspect_pdf(copy.path)
    assert rendered.pdfa == "2B" and rendered.pages == 2
    assert "Số: 15/QĐ-UBND" in rendered.text and "QUYẾT ĐỊNH" in rendered.text
    assert verify_file(copy.path, TrustStore()).signatures == []  # signatures stay with the original


def test_scanned_page_gets_an_ocr_text_layer_in_the_rendition(tmp_path, signer):
    image, truth, fields = render_page(seed=7, dpi=300)
    png = io.BytesIO()
    image.save(png, format="PNG", dpi=(300, 300))
    original = tmp_path / "scan.pdf"
    original.write_bytes(sign(image_pdf(png.getvalue()), signer))
    facts = inspect_pdf(original)
    assert facts.image_only_pages() == [1]
    copy = make_rendition(original, tmp_path / "scan.pdfa.pdf", facts, title="Bản quét")
    assert copy.ocr_pages == [1]
    text = inspect_pdf(copy.path).text
    assert fields["so_ky_hieu"].split("/")[0] in text and inspect_pdf(copy.path).pdfa == "2B"


def test_signed_pdfa_needs_no_rendition_and_its_signature_verifies(tmp_path, signer):
    plain = tmp_path / "plain.pdf"
    plain.write_bytes(text_pdf())
    pdfa = make_rendition(plain, tmp_path / "a.pdf", inspect_pdf(plain), title="Văn bản PDF/A").path
    signed = tmp_path / "signed-pdfa.pdf"
    signed.write_bytes(sign(pdfa.read_bytes(), signer))
    facts = inspect_pdf(signed)
    assert facts.pdfa == "2B" and not needs_rendition(facts)
    [sig] = verify_file(signed, TrustStore()).signatures
    assert (sig.integrity, sig.covers_whole_file, sig.trust) == ("valid", True, "unknown")
