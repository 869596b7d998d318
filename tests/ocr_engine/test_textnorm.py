import unicodedata

from ocr_engine.textnorm import normalize_text


def test_eth_becomes_vietnamese_d_with_stroke_and_text_is_nfc():
    decomposed = unicodedata.normalize("NFD", "QUYẾT ÐỊNH ðúng")
    assert normalize_text(decomposed) == "QUYẾT ĐỊNH đúng"
    assert unicodedata.is_normalized("NFC", normalize_text(decomposed))
