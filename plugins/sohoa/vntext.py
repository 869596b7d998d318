"""Vietnamese text helpers shared by extraction and search: NFC with Đ for its look-alikes (``nfc``) and
diacritics folding that keeps offsets (``fold``). One implementation, :mod:`ocr_engine.textnorm`'s: the archive
normalises text exactly as the OCR engine does.
"""
from ocr_engine.textnorm import fold
from ocr_engine.textnorm import normalize_text as nfc

__all__ = ["fold", "nfc"]
