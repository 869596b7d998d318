"""How well a page reads, without ground truth: the share of its words that are Vietnamese.

The pipeline decides things it cannot undo (turn a page 90/180/270°, keep an enhanced reading or
the plain one, call a page blank) by comparing what the page *reads as*. A right reading of a
Vietnamese administrative page is almost entirely valid syllables, numbers and abbreviations read
with high engine confidence; a reading of a wrongly turned or streaked page is letter salad
(``dọ} ưọu ạp Ấpọ 6uọn) ugu``) read with low confidence.

- :func:`syllable_valid` checks one token against Vietnamese orthography (onset, rhyme, tone
  mark and where it sits), from the rhyme table below, not from a word list.
- :func:`token_class` sorts a token into syllable, number, abbreviation, punctuation or invalid.
- :class:`Reading` sums a line, page or string up: ``score`` (0..1, compare pages with it),
  ``evidence`` (amount of good text, compare two readings of the same page with it).
"""
from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from importlib import resources

from .model import Line
from .textnorm import normalize_text

CONFIDENCE_WEIGHT = 1.0  # w in score = validity × (1 − w + w × confidence), so score = validity × confidence.
#   Measured on Tesseract readings (psm 3, 200 dpi) of 60 synth pages (plain, blurred, downscaled, noisy,
#   turned 90/180°) and 121 rendered lines at graded blur/downscale/noise, against real CER. Share of pairs
#   (CER apart by > 0.02) the score orders rightly, w = 0 / 0.5 / 1: pages 0.866 / 0.874 / 0.871, lines
#   0.667 / 0.903 / 0.911. Validity alone cannot see a misread diacritic that is still a syllable (thắng for
#   tháng), the engine's confidence can; confidence alone rates junk read at 0.6 too high.

# --- Vietnamese orthography -----------------------------------------------------------------------

ONSETS = ("", "b", "c", "ch", "d", "đ", "g", "gh", "gi", "h", "k", "kh", "l", "m", "n", "ng", "ngh", "nh",
          "p", "ph", "qu", "r", "s", "t", "th", "tr", "v", "x")
_ONSET_SET = frozenset(ONSETS)
FRONT_VOWELS = frozenset("ieêy")  # k, gh, ngh before these; c, g, ng before every other vowel
STOP_CODAS = ("c", "ch", "p", "t")  # a syllable ending in one of these takes only the sắc or nặng tone

# Rhymes as written, ``*`` after each letter that may carry the tone mark (two stars: the old and the
# new placement, hòa/hoà, thúy/thuý, both in use). Nucleus vowels are a ă â e ê i/y o ô ơ u ư and the
# diphthongs ia/iê/yê, ua/uô, ưa/ươ; codas are c ch m n ng nh p t and the semivowels i y o u.
PLAIN_RHYMES = """
    a* a*c a*ch a*i a*m a*n a*ng a*nh a*o a*p a*t a*u a*y
    ă*c ă*m ă*n ă*ng ă*p ă*t
    â*c â*m â*n â*ng â*p â*t â*u â*y
    e* e*c e*m e*n e*ng e*o e*p e*t
    ê* ê*ch ê*m ê*n ê*nh ê*p ê*t ê*u
    i* i*a i*ch i*m i*n i*nh i*p i*t i*u
    iê*c iê*m iê*n iê*ng iê*p iê*t iê*u
    y* yê*m yê*n yê*ng yê*t yê*u
    o* o*c o*i o*m o*n o*ng o*p o*t oo*c oo*ng
    ô* ô*c ô*i ô*m ô*n ô*ng ô*p ô*t
    ơ* ơ*i ơ*m ơ*n ơ*p ơ*t
    u* u*a u*c u*i u*m u*n u*ng u*p u*t
    uô*c uô*i uô*m uô*n uô*ng uô*t
    ư* ư*a ư*c ư*i ư*ng ư*t ư*u
    ươ*c ươ*i ươ*m ươ*n ươ*ng ươ*p ươ*t ươ*u
"""
# Rhymes with the medial o (before a ă e) or u (before â ê y ơ); never after c, k, gh, ngh or gi.
MEDIAL_RHYMES = """
    o*a* oa*c oa*ch oa*i oa*m oa*n oa*ng oa*nh oa*o oa*p oa*t oa*y
    oă*c oă*m oă*n oă*ng oă*t
    o*e* oe*n oe*o oe*t
    u*y* uy*a uy*ch uy*nh uy*t uy*u uyê*n uyê*t
    uâ*n uâ*ng uâ*t uâ*y
    uê* uê*ch uê*nh
    uơ*
"""
# What follows "qu" (its u is the medial, so the tone never sits on it): qua, quắt, quân, quen, quê,
# quý (old spelling quí), quỳnh, quyết, quơ, quốc.
QU_RHYMES = """
    a* a*c a*ch a*i a*n a*ng a*nh a*o a*t a*u a*y
    ă*c ă*m ă*n ă*ng ă*p ă*t
    â*n â*ng â*t â*y
    e* e*n e*o e*t
    ê* ê*ch ê*nh ê*t
    i* i*t y* y*ch y*nh y*t yê*n yê*t
    ơ* ô*c
"""
# Words of one letter (NFC, lower case); a lone capital counts only when it is one of CAPITAL_WORDS,
# since capitals alone are what junk is made of (``5ø EÌ 5 E Z E``).
ONE_LETTER_WORDS = frozenset("a à á ả ạ e è ê ề i ì ỉ o ò ó ô ồ ơ ờ ở ợ u ư ừ y ý".split())
CAPITAL_WORDS = frozenset("Ở Ý Y Á Ô".split())  # Ở đâu, Ý kiến, Sở Y tế, Châu Á, Ô tô
MAX_SYLLABLE = 7  # letters in the longest syllable (nghiêng)

TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")  # huyền, sắc, ngã, hỏi, nặng (NFD combining)
STOP_TONES = frozenset("\u0301\u0323")  # sắc, nặng


def _rhyme_table(spec: str) -> dict[str, frozenset[int]]:
    """Written rhyme → positions (in the rhyme) where its tone mark may sit."""
    table = {}
    for item in spec.split():
        letters, marks = "", set()
        for ch in item:
            if ch == "*":
                marks.add(len(letters) - 1)
            else:
                letters += ch
        table[letters] = frozenset(marks)
    return table


_PLAIN = _rhyme_table(PLAIN_RHYMES)
_MEDIAL = _rhyme_table(MEDIAL_RHYMES)
_QU = _rhyme_table(QU_RHYMES)
_ANY = {**_PLAIN, **_MEDIAL}


@functools.lru_cache(maxsize=1024)
def _letter(ch: str) -> tuple[str, str]:
    """``(the letter without its tone mark, the tone mark or "")`` of one NFC character. A tone mark
    that NFC left on its own (a second one on a letter) stays a character and fails every rhyme."""
    decomposed = unicodedata.normalize("NFD", ch)
    tones = [m for m in decomposed[1:] if m in TONE_MARKS]
    if len(tones) != 1:
        return ch, ""
    return unicodedata.normalize("NFC", decomposed.replace(tones[0], "")), tones[0]


def _detone(word: str) -> tuple[str, int, str] | None:
    """``(letters without tone mark, index of the toned letter or -1, the tone mark or "")``;
    None when the word carries more than one tone mark."""
    letters, index, tone = [], -1, ""
    for i, ch in enumerate(word):
        letter, mark = _letter(ch)
        if mark:
            if tone:
                return None
            index, tone = i, mark
        letters.append(letter)
    return "".join(letters), index, tone


def _rhyme_ok(table: dict[str, frozenset[int]], rhyme: str, tone_at: int, tone: str) -> bool:
    """*rhyme* is in *table*, its tone mark (at *tone_at* in the rhyme) sits where it may, and a
    stop coda has the sắc or nặng tone."""
    places = table.get(rhyme)
    if places is None:
        return False
    if tone and tone_at not in places:
        return False
    return tone in STOP_TONES if rhyme.endswith(STOP_CODAS) else True


def _onset_rhyme_ok(onset: str, rest: str, tone_at: int, tone: str) -> bool:
    """Whether *rest* (tone mark at *tone_at*, relative to rest) is a rhyme *onset* may take."""
    if onset == "qu":
        return _rhyme_ok(_QU, rest, tone_at, tone)
    if onset == "gi":  # gia, giữa, giuộc; and gì, gìn, giếng, where the i of gi is the rhyme's own
        if rest and rest[0] not in "iy" and _rhyme_ok(_PLAIN, rest, tone_at, tone):
            return True
        return rest != "a" and _rhyme_ok(_PLAIN, "i" + rest, tone_at + 1, tone)  # gia is gi + a
    if not rest or rest not in _ANY:
        return False
    front = rest[0] in FRONT_VOWELS
    if onset in ("k", "gh", "ngh") and not front:
        return False
    if onset in ("c", "g", "ng") and front:
        return False
    if onset in ("c", "k", "gh", "ngh") and rest in _MEDIAL:
        return False
    if onset and rest.startswith("yê"):  # yên, yêu stand alone; after an onset it is iê (tiên)
        return False
    if not onset and rest.startswith("iê"):
        return False
    return _rhyme_ok(_ANY, rest, tone_at, tone)


@functools.lru_cache(maxsize=1 << 15)
def syllable_valid(token: str) -> bool:
    """Whether *token* (one word, any case, no punctuation) is a well-formed Vietnamese syllable.

    Checks the onset, the rhyme (:data:`PLAIN_RHYMES`, :data:`MEDIAL_RHYMES`, :data:`QU_RHYMES`),
    the spelling rules c/k/qu, g/gh, ng/ngh, at most one tone mark, placed on the nucleus (old and
    new placement both accepted), and sắc or nặng on a stop coda. Words of one letter are valid
    only when they are words (:data:`ONE_LETTER_WORDS`). Loanwords (email) fail.
    """
    word = normalize_text(token).lower()
    if len(word) == 1:
        return word in ONE_LETTER_WORDS
    if not word or len(word) > MAX_SYLLABLE:
        return False
    detoned = _detone(word)
    if detoned is None:
        return False
    letters, tone_at, tone = detoned
    return any(letters[:n] in _ONSET_SET and _onset_rhyme_ok(letters[:n], letters[n:], tone_at - n, tone)
               for n in range(4))


# --- tokens -----------------------------------------------------------------------------------------

STRIP = ",.;:!?\"'()[]…«»“”‘’-–—*/"  # punctuation around a word, stripped before it is judged ...
STRIP_LEADING = STRIP.translate(str.maketrans("", "", ")]»”’"))  # ... but a closing bracket only at its end
STRIP_TRAILING = STRIP.translate(str.maketrans("", "", "([«“‘"))  # and an opening one only at its start:
#                                                                   đẻ[ is upside-down junk, not đẻ
PUNCTUATION = frozenset(STRIP + "_•·")  # a token of only these is punctuation, not counted
VALID_CLASSES = frozenset({"syllable", "number", "abbreviation"})

_NUMBER = re.compile(r"\d+(?:[.,:/\-–]\d+)*%?")  # 12, 1.2, 05/12/2025, 10%, 1,5%; not 2q or 0g, which
#                                                    upside-down text reads as
_ROMAN = re.compile(r"(?=[IVXLC]{2})M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})")  # II, XIV
_LIST_MARKER = re.compile(r"\(?(?:[a-zđ]|[ivx]+|\d+)\)|[IVXLC]+\.|[A-ZĐ]\.")  # a) (b) iv) 1) II. A.
_JOINERS = re.compile(r"[-–/&.]")
_CONSONANTS = "BCDĐGHKLMNPQRSTVX"
_CONSONANT_ABBR = re.compile(f"[{_CONSONANTS}]{{2,6}}")  # HĐND, KSTTHC; mixed case (TTr) only when listed:
#                                                            upside-down PHÒNG reads as ĐNQHd


@functools.cache
def abbreviations() -> frozenset[str]:
    """The shipped list ``ocr_engine/data/abbreviations_vi.txt`` (exact case)."""
    text = resources.files("ocr_engine").joinpath("data/abbreviations_vi.txt").read_text(encoding="utf-8")
    return frozenset(s for s in (line.strip() for line in text.splitlines()) if s and not s.startswith("#"))


def _plain_case(word: str) -> bool:
    """lower, Capitalised or UPPER: the only ways a syllable is written (``nG`` is junk)."""
    return word == word.lower() or word == word.upper() or word[1:] == word[1:].lower()


def _part_class(part: str) -> str:
    """Class of one token or one joined part of it, punctuation already stripped."""
    if part in abbreviations():
        return "abbreviation"
    if _NUMBER.fullmatch(part) or _ROMAN.fullmatch(part):
        return "number"
    if len(part) == 1:
        return "syllable" if part in ONE_LETTER_WORDS or part in CAPITAL_WORDS else "invalid"
    if _plain_case(part) and syllable_valid(part):
        return "syllable"
    if _CONSONANT_ABBR.fullmatch(part):
        return "abbreviation"
    return "invalid"


@functools.lru_cache(maxsize=1 << 16)
def _classify(token: str) -> tuple[str, int]:
    """``(token_class, letters and digits in it)``."""
    text = normalize_text(token)
    alnum = sum(c.isalnum() for c in text)
    if not alnum:
        return ("punct" if all(c in PUNCTUATION for c in text) else "invalid"), 0
    if _LIST_MARKER.fullmatch(text):
        return "number", alnum
    core = text.lstrip(STRIP_LEADING).rstrip(STRIP_TRAILING)
    kind = _part_class(core)
    if kind != "invalid" or not _JOINERS.search(core):
        return kind, alnum
    kinds = {_part_class(part) for part in _JOINERS.split(core)}  # 15/QĐ-UBND, TT-BNV, GD&ĐT, TP.HCM
    for kind in ("invalid", "number", "abbreviation"):
        if kind in kinds:
            return kind, alnum
    return "syllable", alnum


def token_class(token: str) -> str:
    """``"syllable"``, ``"number"``, ``"abbreviation"``, ``"punct"`` or ``"invalid"`` (any case, NFC or not).

    - Punctuation (:data:`STRIP`) is stripped from both ends first (an opening bracket only at the
      start, a closing one only at the end); a token of punctuation only is ``"punct"`` and left out
      of every score; other symbols (``~ # | @``) are ``"invalid"``.
    - ``"number"``: ``12``, ``1.2.``, ``05/12/2025``, ``10%``, Roman ``III``, list markers ``a)``,
      ``(b)``, ``II.``, ``A.``; and codes joined by ``- / & .`` with a number part (``15/QĐ-UBND``).
    - ``"abbreviation"``: :func:`abbreviations` (``UBND``, ``V/v``, ``TTr``), any all-caps token of
      2-6 Vietnamese consonant letters (``HĐND``, ``KSTTHC``; a tone mark rules it out), and codes
      joined of such parts (``NĐ-CP``, ``GD&ĐT``).
    - ``"syllable"``: :func:`syllable_valid` and written lower, Capitalised or UPPER (``nG`` is not);
      a lone capital only when it is a word alone (:data:`CAPITAL_WORDS`), so ``E`` and ``Z`` are not.
    """
    return _classify(token)[0]


# --- readings ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Reading:
    """Quality of a reading (a line, a page, a string); all zero when it has no word.

    - ``score`` = validity × (1 − w + w × confidence), w = :data:`CONFIDENCE_WEIGHT`: compare
      pages, lines or readings with it; higher is better.
    - ``validity``: share of word tokens (punctuation excluded) that are syllables, numbers or
      abbreviations.
    - ``confidence``: mean engine confidence of those word tokens.
    - ``words``: word tokens counted.
    - ``evidence``: Σ over valid tokens of (letters and digits) × confidence, an amount: of two
      readings of the same page (0° and 180°), the right one has far more.
    """
    score: float
    validity: float
    confidence: float
    words: int
    evidence: float

    def to_dict(self) -> dict:
        return asdict(self)


EMPTY = Reading(0.0, 0.0, 0.0, 0, 0.0)


def _reading(words: Iterable[tuple[str, float]]) -> Reading:
    counted = valid = 0
    confidence = evidence = 0.0
    for text, conf in words:
        kind, alnum = _classify(text)
        if kind == "punct":
            continue
        counted += 1
        confidence += conf
        if kind in VALID_CLASSES:
            valid += 1
            evidence += alnum * conf
    if not counted:
        return EMPTY
    validity, confidence = valid / counted, confidence / counted
    score = validity * (1.0 - CONFIDENCE_WEIGHT + CONFIDENCE_WEIGHT * confidence)
    return Reading(score, validity, confidence, counted, evidence)


def line_reading(line: Line) -> Reading:
    """Quality of one recognised line."""
    return _reading((w.text, w.confidence) for w in line.words)


def page_reading(lines: list[Line]) -> Reading:
    """Quality of a page: over all words of all *lines*."""
    return _reading((w.text, w.confidence) for line in lines for w in line.words)


def text_reading(text: str, confidence: float = 1.0) -> Reading:
    """Quality of plain text (benchmarks, ground truth), every word read at *confidence*."""
    return _reading((word, confidence) for word in text.split())
