"""Font families from Debian packages that cover the whole Vietnamese alphabet, for synthetic pages
and line images.

Each family maps styles (``regular``, ``bold``, ``italic``, ``bold_italic``, where the family has
them) to font files and has a ``kind``: ``serif``, ``sans``, ``mono`` (typewriter-like) or
``script`` (a calligraphic hand for margin notes; not offered by :func:`available` unless asked).
Only files whose cmap holds every letter of :data:`VIETNAMESE` (both cases, all tone marks, Đđ)
count: a font lacking one of them would print a box or a wrong fallback glyph, and the ground
truth would lie. Checked on Debian 12 (bookworm), where these files were left out for missing
Vietnamese letters: DejaVu Sans Mono (46), Caladea (88), Courier Prime and the URW base 35
(92 each), EB Garamond Bold (134), Linux Libertine Bold Italic (4).

Liberation 2 is the Chrome OS core fonts (Tinos, Arimo, Cousine) renamed, so fonts-croscore adds
no new shapes and is not used.

:data:`EVAL_ONLY_FAMILIES` are two families (one serif, one mono) that a recogniser must never
train on; the benchmark suite uses every family.
"""
from __future__ import annotations

import functools
import unicodedata
from pathlib import Path

from PIL import ImageFont

STYLES = ("regular", "bold", "italic", "bold_italic")
KINDS = ("serif", "sans", "mono", "script")

_LETTERS = "aăâbcdđeêghiklmnoôơpqrstuưvxyfjwz"
_VOWELS = "aăâeêioôơuưy"
_TONES = ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323")  # none, huyền, sắc, ngã, hỏi, nặng
VIETNAMESE = "".join(sorted(
    {c for base in set(_LETTERS) | {unicodedata.normalize("NFC", v + t) for v in _VOWELS for t in _TONES}
     for c in (base, base.upper())}))
"""Every Vietnamese letter in both cases, precomposed (NFC): 72 lower-case vowel forms, đ, the
consonants and f j w z (loan words, codes)."""

_LIB = Path("/usr/share/fonts/truetype/liberation2")  # fonts-liberation2
_DEJAVU = Path("/usr/share/fonts/truetype/dejavu")  # fonts-dejavu-core (upright), fonts-dejavu-extra (slanted)
_FREE = Path("/usr/share/fonts/truetype/freefont")  # fonts-freefont-ttf
_OPEN = Path("/usr/share/fonts/truetype/open-sans")  # fonts-open-sans
_CARLITO = Path("/usr/share/fonts/truetype/crosextra")  # fonts-crosextra-carlito
_ROBOTO = Path("/usr/share/fonts/truetype/roboto/unhinted/RobotoTTF")  # fonts-roboto-unhinted
_GYRE = Path("/usr/share/texmf/fonts/opentype/public/tex-gyre")  # fonts-texgyre
_LIBERTINE = Path("/usr/share/fonts/opentype/linux-libertine")  # fonts-linuxlibertine
_GARAMOND = Path("/usr/share/fonts/opentype/ebgaramond")  # fonts-ebgaramond


def _four(folder: Path, regular: str, bold: str, italic: str, bold_italic: str) -> dict[str, Path]:
    return {"regular": folder / regular, "bold": folder / bold, "italic": folder / italic,
            "bold_italic": folder / bold_italic}


def _gyre(name: str) -> dict[str, Path]:
    return _four(_GYRE, f"texgyre{name}-regular.otf", f"texgyre{name}-bold.otf", f"texgyre{name}-italic.otf",
                 f"texgyre{name}-bolditalic.otf")


FAMILIES: dict[str, dict] = {
    # serif: NĐ 30/2020 asks for Times New Roman; these are Times clones and other book faces
    "liberation_serif": {"kind": "serif", "package": "fonts-liberation2", **_four(
        _LIB, "LiberationSerif-Regular.ttf", "LiberationSerif-Bold.ttf", "LiberationSerif-Italic.ttf",
        "LiberationSerif-BoldItalic.ttf")},
    "texgyre_termes": {"kind": "serif", "package": "fonts-texgyre", **_gyre("termes")},
    "free_serif": {"kind": "serif", "package": "fonts-freefont-ttf", **_four(
        _FREE, "FreeSerif.ttf", "FreeSerifBold.ttf", "FreeSerifItalic.ttf", "FreeSerifBoldItalic.ttf")},
    "dejavu_serif": {"kind": "serif", "package": "fonts-dejavu-core fonts-dejavu-extra", **_four(
        _DEJAVU, "DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf", "DejaVuSerif-Italic.ttf", "DejaVuSerif-BoldItalic.ttf")},
    "texgyre_pagella": {"kind": "serif", "package": "fonts-texgyre", **_gyre("pagella")},
    "texgyre_bonum": {"kind": "serif", "package": "fonts-texgyre", **_gyre("bonum")},
    "texgyre_schola": {"kind": "serif", "package": "fonts-texgyre", **_gyre("schola")},
    "linux_libertine": {"kind": "serif", "package": "fonts-linuxlibertine", "regular": _LIBERTINE / "LinLibertine_R.otf",
                        "bold": _LIBERTINE / "LinLibertine_RB.otf", "italic": _LIBERTINE / "LinLibertine_RI.otf"},
    "eb_garamond": {"kind": "serif", "package": "fonts-ebgaramond", "regular": _GARAMOND / "EBGaramond12-Regular.otf",
                    "italic": _GARAMOND / "EBGaramond12-Italic.otf"},
    # sans
    "liberation_sans": {"kind": "sans", "package": "fonts-liberation2", **_four(
        _LIB, "LiberationSans-Regular.ttf", "LiberationSans-Bold.ttf", "LiberationSans-Italic.ttf",
        "LiberationSans-BoldItalic.ttf")},
    "dejavu_sans": {"kind": "sans", "package": "fonts-dejavu-core fonts-dejavu-extra", **_four(
        _DEJAVU, "DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf", "DejaVuSans-BoldOblique.ttf")},
    "free_sans": {"kind": "sans", "package": "fonts-freefont-ttf", **_four(
        _FREE, "FreeSans.ttf", "FreeSansBold.ttf", "FreeSansOblique.ttf", "FreeSansBoldOblique.ttf")},
    "open_sans": {"kind": "sans", "package": "fonts-open-sans", **_four(
        _OPEN, "OpenSans-Regular.ttf", "OpenSans-Bold.ttf", "OpenSans-Italic.ttf", "OpenSans-BoldItalic.ttf")},
    "carlito": {"kind": "sans", "package": "fonts-crosextra-carlito", **_four(
        _CARLITO, "Carlito-Regular.ttf", "Carlito-Bold.ttf", "Carlito-Italic.ttf", "Carlito-BoldItalic.ttf")},
    "roboto": {"kind": "sans", "package": "fonts-roboto-unhinted", **_four(
        _ROBOTO, "Roboto-Regular.ttf", "Roboto-Bold.ttf", "Roboto-Italic.ttf", "Roboto-BoldItalic.ttf")},
    "texgyre_heros": {"kind": "sans", "package": "fonts-texgyre", **_gyre("heros")},
    "linux_biolinum": {"kind": "sans", "package": "fonts-linuxlibertine", "regular": _LIBERTINE / "LinBiolinum_R.otf",
                       "bold": _LIBERTINE / "LinBiolinum_RB.otf", "italic": _LIBERTINE / "LinBiolinum_RI.otf"},
    # mono: what typewriters and old printers produced
    "liberation_mono": {"kind": "mono", "package": "fonts-liberation2", **_four(
        _LIB, "LiberationMono-Regular.ttf", "LiberationMono-Bold.ttf", "LiberationMono-Italic.ttf",
        "LiberationMono-BoldItalic.ttf")},
    "free_mono": {"kind": "mono", "package": "fonts-freefont-ttf", **_four(
        _FREE, "FreeMono.ttf", "FreeMonoBold.ttf", "FreeMonoOblique.ttf", "FreeMonoBoldOblique.ttf")},
    "texgyre_cursor": {"kind": "mono", "package": "fonts-texgyre", **_gyre("cursor")},
    # script: margin notes (TeX Gyre Chorus, a Zapf Chancery clone; one slanted style only)
    "texgyre_chorus": {"kind": "script", "package": "fonts-texgyre",
                       "regular": _GYRE / "texgyrechorus-mediumitalic.otf"},
}

EVAL_ONLY_FAMILIES = ("texgyre_pagella", "texgyre_cursor")
"""Held out from recogniser training (one serif, one mono); the benchmark suite uses them too, so it
shows how a recogniser does on shapes it never saw."""

PRINTED_KINDS = ("serif", "sans", "mono")


def styles(family: str) -> dict[str, Path]:
    """The style → file map of *family*."""
    return {k: v for k, v in FAMILIES[family].items() if k in STYLES}


@functools.cache
def covers_vietnamese(path: Path) -> bool:
    """Whether the font file at *path* exists and maps every character of :data:`VIETNAMESE`."""
    if not Path(path).is_file():
        return False
    from fontTools.ttLib import TTFont

    cmap = TTFont(str(path), lazy=True).getBestCmap()
    return all(ord(c) in cmap for c in VIETNAMESE)


@functools.cache
def _usable(family: str) -> bool:
    return all(covers_vietnamese(p) for p in styles(family).values())


def available(kinds: tuple[str, ...] = PRINTED_KINDS) -> list[str]:
    """Families of *kinds* whose every style file is installed and covers Vietnamese, in
    :data:`FAMILIES` order."""
    return [name for name, f in FAMILIES.items() if f["kind"] in kinds and _usable(name)]


def training_families(kinds: tuple[str, ...] = PRINTED_KINDS) -> list[str]:
    """:func:`available` less :data:`EVAL_ONLY_FAMILIES`."""
    return [f for f in available(kinds) if f not in EVAL_ONLY_FAMILIES]


def nearest_style(family: str, style: str) -> str:
    """*style* if *family* has it, else the closest it has (bold italic → bold → italic → regular)."""
    have = styles(family)
    for candidate in {"bold_italic": ("bold_italic", "bold", "italic"), "bold": ("bold",),
                      "italic": ("italic",)}.get(style, ()) + ("regular",):
        if candidate in have:
            return candidate
    raise KeyError(f"font family {family} has no regular style")


@functools.lru_cache(maxsize=512)
def font(family: str, style: str, px: int) -> ImageFont.FreeTypeFont:
    """*family* in *style* (the nearest one it has, see :func:`nearest_style`) at *px* pixels per em."""
    path = styles(family)[nearest_style(family, style)]
    if not path.is_file():
        raise FileNotFoundError(f"{path} missing: install Debian {FAMILIES[family]['package']}")
    return ImageFont.truetype(str(path), px)


def debian_packages() -> list[str]:
    """The Debian packages holding every family, sorted."""
    return sorted({p for f in FAMILIES.values() for p in f["package"].split()})
