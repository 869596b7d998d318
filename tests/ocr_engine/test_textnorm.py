import unicodedata

from ocr_engine.textnorm import normalize_text


def test_eth_becomes_vietnamese_d_with_stroke_and_text_is_nfc():
    decomposed = unicodedata.normalize("NFD", "QUYẾT ÐỊNH ðúng")
    assert normalize_text(decomposed) == "QUYẾT ĐỊNH đúng"
    assert unicodedata.is_normalized("NFC", normalize_text(decomposed))


def test_slash_look_alikes_become_a_slash():
    assert normalize_text("ngày 08⁄3⁄2016, 5∕2025") == "ngày 08/3/2016, 5/2025"
    assert normalize_text(normalize_text("5⁄2025")) == "5/2025"
