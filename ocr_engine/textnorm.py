"""Text normalisation applied to everything an engine returns."""
import unicodedata

_FIXES = str.maketrans({
    "\u00d0": "\u0110",  # Ð (Icelandic eth) is what engines emit for Đ
    "\u00f0": "\u0111",  # ð -> đ
})


def normalize_text(text: str) -> str:
    """Return *text* in NFC with eth look-alikes mapped to Vietnamese Đ/đ.

    Idempotent; never changes the number of visible words.
    """
    return unicodedata.normalize("NFC", text.translate(_FIXES))
