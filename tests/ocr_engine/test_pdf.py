"""Two-layer PDF/A: images untouched, text layer aligned and extractable, metadata in sync."""
import io

import numpy as np
import pikepdf
import pytest
from PIL import Image, ImageCms

from ocr_engine import engines, pdf
from ocr_engine.icc import srgb_profile
from ocr_engine.images import read_header
from ocr_engine.pipeline import run


@pytest.fixture(scope="module")
def document(tmp_path_factory, pages, tesseract):
    """A PDF of one PNG and one JPEG page, plus the outcomes used to build it."""
    out = tmp_path_factory.mktemp("pdf") / "hoso.pdf"
    outcomes = list(run([pages["clean"][0], pages["degraded"][0]], engines.get_engine("tesseract"), jobs=2))
    with pdf.PdfAWriter(out, title="Hồ sơ số hóa 01", author="Sở Ngoại vụ") as writer:
        for o in outcomes:
            writer.add_page(o.loaded, o.text, o.to_source, o.report.orientation_deg)
    return out, outcomes


def test_pdf_passes_the_pdfa_checks_and_text_round_trips(document):
    path, outcomes = document
    expected = "\n".join(o.text.text for o in outcomes)
    assert pdf.validate_pdfa(path, expected_text=expected) == []


def test_jpeg_scan_is_embedded_byte_for_byte(document, pages):
    path, _ = document
    with pikepdf.open(path) as doc:
        image = next(iter(doc.pages[1].get_images().values()))
        assert image.Filter == "/DCTDecode"
        assert image.read_raw_bytes() == pages["degraded"][0].read_bytes()


def test_a_page_given_by_its_header_gives_the_same_pdf_as_a_decoded_one(document, tmp_path):
    """Assembly passes headers so JPEG masters are never decoded; PNG pages are decoded then, losslessly."""
    _, outcomes = document
    created = pdf.dt.datetime(2026, 11, 24, 9, 0, tzinfo=pdf.dt.timezone.utc)
    built = {}
    for how in ("decoded", "header"):
        built[how] = tmp_path / f"{how}.pdf"
        with pdf.PdfAWriter(built[how], title="Hồ sơ", created=created) as writer:
            for o in outcomes:
                page = o.loaded if how == "decoded" else read_header(o.loaded.source)
                writer.add_page(page, o.text, o.to_source, o.report.orientation_deg)
    assert built["header"].read_bytes() == built["decoded"].read_bytes()


def test_png_scan_is_embedded_losslessly_at_full_resolution(document, pages):
    path, _ = document
    with pikepdf.open(path) as doc:
        pdfimage = pikepdf.PdfImage(next(iter(doc.pages[0].get_images().values())))
        assert np.array_equal(np.asarray(pdfimage.as_pil_image()), np.asarray(Image.open(pages["clean"][0])))
        assert float(doc.pages[0].MediaBox[2]) == pytest.approx(1654 * 72 / 200, abs=0.01)


def test_xmp_and_info_agree_and_identify_pdfa_2b(document):
    path, _ = document
    with pikepdf.open(path) as doc:
        meta = doc.open_metadata()
        assert meta["pdfaid:part"] == "2" and meta["pdfaid:conformance"] == "B"
        assert str(doc.docinfo.Title) == meta["dc:title"] == "Hồ sơ số hóa 01"
        font = doc.pages[0].Resources.Font.F1
        assert font.Subtype == "/Type0" and "/ToUnicode" in font
        assert "/FontFile2" in font.DescendantFonts[0].FontDescriptor


def test_text_layer_words_sit_on_their_image_words(document):
    from ocr_engine._exec.poppler import pdftotext  # noqa: F401  (poppler must be installed)
    import subprocess
    path, outcomes = document
    html = subprocess.run(["pdftotext", "-bbox", "-f", "1", "-l", "1", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    first = outcomes[0].text.lines[0].words[0]
    k = 72 / 200
    x_min = float(html.split('xMin="')[1].split('"')[0])
    assert x_min == pytest.approx(first.box.x0 * k, abs=1.0)


def test_upside_down_scan_is_shown_upright_without_touching_the_image(tmp_path, pages, tesseract):
    src = tmp_path / "turned.png"
    Image.open(pages["clean"][0]).rotate(180).save(src, dpi=(200, 200))
    [o] = run([src], engines.get_engine("tesseract"))
    out = tmp_path / "turned.pdf"
    with pdf.PdfAWriter(out, title="turned") as writer:
        writer.add_page(o.loaded, o.text, o.to_source, o.report.orientation_deg)
    with pikepdf.open(out) as doc:
        assert doc.pages[0].Rotate == 180
    assert pdf.validate_pdfa(out, expected_text=o.text.text) == []


def test_validation_reports_a_plain_pdf(tmp_path):
    plain = tmp_path / "plain.pdf"
    doc = pikepdf.new()
    doc.add_blank_page()
    doc.save(plain)
    problems = pdf.validate_pdfa(plain)
    assert any("XMP identification" in p for p in problems)
    assert any("output intent" in p for p in problems)


def test_output_intent_profile_is_a_working_srgb_profile():
    profile = ImageCms.ImageCmsProfile(io.BytesIO(srgb_profile()))
    assert "sRGB" in ImageCms.getProfileDescription(profile)
    assert srgb_profile()[36:40] == b"acsp"


def test_page_scanned_sideways_keeps_its_text_layer_readable(tmp_path, pages, tesseract):
    src = tmp_path / "sideways.png"
    Image.open(pages["clean"][0]).rotate(90, expand=True).save(src, dpi=(200, 200))
    [o] = run([src], engines.get_engine("tesseract"))
    assert o.report.orientation_deg == 90  # PIL turned it counter-clockwise
    out = tmp_path / "sideways.pdf"
    with pdf.PdfAWriter(out, title="sideways") as writer:
        writer.add_page(o.loaded, o.text, o.to_source, o.report.orientation_deg)
    with pikepdf.open(out) as doc:
        assert doc.pages[0].Rotate == 90
    assert pdf.validate_pdfa(out, expected_text=o.text.text) == []


def test_validation_reports_info_and_xmp_out_of_sync(document, tmp_path):
    path, _ = document
    changed = tmp_path / "changed.pdf"
    with pikepdf.open(path) as doc:
        doc.docinfo["/Title"] = "Tên khác"
        doc.save(changed)
    assert any("differs from XMP dc:title" in p for p in pdf.validate_pdfa(changed))


def test_text_layer_glyphs_are_as_tall_as_the_scanned_line(tmp_path, pages, tesseract):
    import subprocess
    src = pages["clean300"][0]
    [o] = run([src], engines.get_engine("tesseract"))  # recognised at 200 dpi, scan is 300 dpi
    out = tmp_path / "fine.pdf"
    with pdf.PdfAWriter(out, title="fine") as writer:
        writer.add_page(o.loaded, o.text, o.to_source, 0)
    html = subprocess.run(["pdftotext", "-bbox", str(out), "-"], capture_output=True, text=True, check=True).stdout
    y_min, y_max = (float(html.split(f'{k}="')[2].split('"')[0]) for k in ("yMin", "yMax"))
    line = o.text.lines[0].box.mapped(o.to_source, 2480, 3508)
    assert y_max - y_min == pytest.approx(line.height * 72 / 300, rel=0.15)


def _broken_copy(path, tmp_path, breakage) -> list[str]:
    """Problems validate_pdfa finds in a copy of *path* changed by ``breakage(doc)``."""
    changed = tmp_path / "broken.pdf"
    with pikepdf.open(path) as doc:
        breakage(doc)
        doc.save(changed)
    return pdf.validate_pdfa(changed)


def test_validation_reports_a_stream_that_cannot_be_decoded(document, tmp_path):
    path, _ = document

    def corrupt_contents(doc):
        doc.pages[0].Contents.write(b"not deflate data", filter=pikepdf.Name.FlateDecode)

    assert any("cannot be decoded" in p for p in _broken_copy(path, tmp_path, corrupt_contents))


def test_validation_reports_a_jpeg_whose_dictionary_lies_about_its_size(document, tmp_path):
    path, _ = document

    def wrong_width(doc):
        next(iter(doc.pages[1].get_images().values())).Width = 100

    problems = _broken_copy(path, tmp_path, wrong_width)
    assert any("JPEG image" in p and "says 100×" in p for p in problems)


def test_the_embedded_font_subset_is_the_same_bytes_a_second_later():
    """fontTools stamps the save time into the font's head table unless told not to: the same pages then
    gave a different PDF whenever two builds straddled a second (a flaky byte-for-byte comparison)."""
    import time

    from ocr_engine.fonts import TextFont

    programs = []
    for _ in range(2):
        font = TextFont()
        font.glyphs("Hồ sơ lưu trữ Đà Nẵng")
        programs.append(font.subset_program())
        time.sleep(1.1)
    assert programs[0] == programs[1]
