"""The ground-truth-free reading quality: Vietnamese orthography, token classes, scores, evidence."""
from __future__ import annotations

import time
import unicodedata
from importlib import resources

import pytest

from ocr_engine.model import Box, Line, Word
from ocr_engine.quality import (Reading, line_reading, page_reading, syllable_valid, text_reading,
                                token_class)
from ocr_engine.synth import render_page

# Tesseract (psm 3, 200 dpi) reading synth page 536 turned 180°: word@confidence, one line per line.
UPSIDE_DOWN_536 = """\
'Ø1@0.49 0S@0.85 T8@0.73 En2@0.80 “teq@0.77 ugA@0.75 2ñ[@0.87 2ñui@0.40 TT)@0.55 Q5@0.30 ØS@0.92 OW@0.27 0S@0.93 1ÓưI@0.28
[E13@0.03 3ax@0.65 ttax@0.20 50p@0.62 ttpt©)@0.10 quụn@0.82 “đót@0.44 8uọ)@0.69 ạp@0.80 8uotd@0.51 ugA@0.71 ạA@0.91 ượq@0.21 tueA@0.33 8ưeq@0.78 og2@0.78
HOVOH@0.72
S60@0.50 1upu@0.84 6@0.93 BupM1@0.00 0g@0.93 ÁpBu@0.49 'Buotd@0.34 IpH@0.33 dA-HM/ZPT@0.37 :0S@0.87"""

JUNK = ["mm - 5 5ø EÌ 5 E Z E", "#Z skc # : nG Ï", "@ N s", "ÌÏ ï Ñ ä", "eee Ì—- Ệ l nrn", "#&yên", "—_ ~ :::",
        "dọ} ưọu ạp Ấpọ 6uọn) ugu"]


def line_of(text: str, confidence: float = 0.9) -> Line:
    return Line(tuple(Word(t, Box(i * 10, 0, i * 10 + 8, 10), confidence) for i, t in enumerate(text.split())))


def parse_reading(text: str) -> list[Line]:
    lines = []
    for raw in text.splitlines():
        words = [item.rsplit("@", 1) for item in raw.split()]
        lines.append(Line(tuple(Word(t, Box(0, 0, 1, 1), float(c)) for t, c in words)))
    return lines


@pytest.mark.parametrize("word", [
    "nghiêng", "khuỷu", "quốc", "giữa", "gì", "người", "thuở", "oẳn", "hoạch", "chuyển", "đường", "Hải", "Phòng",
    "quý", "quyết", "quỳnh", "quen", "qua", "gìn", "giếng", "gia", "giuộc", "yêu", "uyên", "khuya", "ke", "kẻ", "ghi",
    "nghỉ", "ngoài", "cua", "cuốc", "xoong", "soóc", "buýt", "ạ", "ở", "ý", "NGHĨA", "Ủy", "Nguyễn", "huệ", "thuế"])
def test_well_formed_syllables_are_valid(word):
    assert syllable_valid(word)


@pytest.mark.parametrize("old, new", [("hòa", "hoà"), ("thúy", "thuý"), ("khỏe", "khoẻ"), ("Ủy", "Uỷ")])
def test_old_and_new_tone_placement_are_both_valid(old, new):
    assert syllable_valid(old) and syllable_valid(new)


@pytest.mark.parametrize("word", [
    "càc",  # stop coda with huyền
    "xêp",  # stop coda without tone (a typo in a real plan: xếp)
    "ngi",  # ng before i must be ngh
    "ce", "ge", "kuy", "coa", "ghoa",  # c/k, g/gh spelling rules
    "str", "nrn", "skc", "ugu", "ưọu",  # no Vietnamese rhyme
    "cá̀", "Ấpọ",  # two tone marks
    "hòang", "qúa", "gịa",  # tone mark off the nucleus
    "lyên", "iên",  # yê only without onset, iê only with one
    "email", "zalo", "ẽ", "z", "f",  # loanwords; one letter that is no word on its own
])
def test_malformed_syllables_are_invalid(word):
    assert not syllable_valid(word)


def test_syllable_check_ignores_case_and_normal_form():
    assert syllable_valid("NGƯỜI") and syllable_valid(unicodedata.normalize("NFD", "người"))


@pytest.mark.parametrize("token, kind", [
    ("12", "number"), ("1.2.", "number"), ("05/12/2025", "number"), ("15/QĐ-UBND", "number"), ("2024;", "number"),
    ("10%", "number"), ("a)", "number"), ("b)", "number"), ("I.", "number"), ("II.", "number"), ("III", "number"),
    ("30/2020/NĐ-CP", "number"),
    ("UBND", "abbreviation"), ("HĐND", "abbreviation"), ("QĐ", "abbreviation"), ("TT-BNV", "abbreviation"),
    ("NĐ-CP", "abbreviation"), ("V/v", "abbreviation"), ("TP", "abbreviation"), ("TTr", "abbreviation"),
    ("KT.", "abbreviation"), ("GD&ĐT", "abbreviation"), ("KSTTHC", "abbreviation"),
    ("Số:", "syllable"), ("(kèm", "syllable"), ("thư,", "syllable"), ("“Quyết", "syllable"), ("Y", "syllable"),
    ("-", "punct"), ("…", "punct"), ("./.", "punct"), ("(*)", "punct"), (":::", "punct"),
    ("E", "invalid"), ("Z", "invalid"), ("nG", "invalid"), ("#Z", "invalid"), ("~", "invalid"), ("5ø", "invalid"),
    ("đẻ[", "invalid"), ("2q", "invalid"), ("ĐNQHd", "invalid"), ("HẢIPHÒNG", "invalid"), ("#&yên", "invalid"),
])
def test_tokens_are_classed(token, kind):
    assert token_class(token) == kind


def test_a_token_with_a_tone_mark_is_never_an_abbreviation():
    assert token_class("HĐND") == "abbreviation" and token_class("HĐǸD") == "invalid"


def test_every_word_of_the_shipped_corpus_is_valid():
    text = resources.files("ocr_engine").joinpath("data/corpus_vi.txt").read_text(encoding="utf-8")
    tokens = [t for line in text.splitlines() if not line.startswith(("#", "["))
              for t in line.replace("|", " ").split()]
    assert len(tokens) > 500
    assert [t for t in tokens if token_class(t) == "invalid"] == []


@pytest.mark.parametrize("junk", JUNK)
def test_junk_scores_low_even_when_read_surely(junk):
    assert text_reading(junk, confidence=0.9).score < 0.3
    assert line_reading(line_of(junk, 0.6)).score < 0.2


def test_a_correct_line_scores_high():
    reading = line_reading(line_of("Căn cứ Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3 năm 2020 của Chính phủ "
                                   "về công tác văn thư; Quyết định số 15/QĐ-UBND của UBND thành phố Hải Phòng.",
                                   0.9))
    assert reading.validity == 1.0 and reading.confidence == pytest.approx(0.9)
    assert reading.score > 0.85


def test_punctuation_is_not_counted():
    plain = text_reading("Hải Phòng ngày 05 tháng 3")
    assert text_reading("Hải Phòng , ngày 05 - tháng 3 …") == plain
    assert plain.words == 6 and plain.validity == 1.0


def test_empty_readings_are_all_zero():
    empty = Reading(0, 0, 0, 0, 0)
    assert text_reading("") == empty and page_reading([]) == empty
    assert line_reading(Line(())) == empty and text_reading("- … ./.") == empty
    assert empty.to_dict() == {"score": 0, "validity": 0, "confidence": 0, "words": 0, "evidence": 0}


def test_evidence_counts_letters_and_digits_of_valid_words_at_their_confidence():
    reading = page_reading([line_of("Số: 15/QĐ-UBND xyzq", 0.5)])
    assert reading.words == 3 and reading.validity == pytest.approx(2 / 3)
    assert reading.evidence == pytest.approx((2 + 8) * 0.5)


def test_a_right_reading_has_far_more_evidence_than_the_upside_down_one():
    _, truth, _ = render_page(536, dpi=200)
    right = text_reading(truth, confidence=0.95)
    upside_down = page_reading(parse_reading(UPSIDE_DOWN_536))
    assert right.evidence > 20 * upside_down.evidence
    assert right.score > 0.9 > 0.3 > upside_down.score


def test_a_forty_line_page_is_judged_within_5_ms():
    words = ("Các phòng, đơn vị thuộc Sở rà soát toàn bộ hồ sơ đã kết thúc trước ngày 30/9/2025, lập danh mục "
             "và bàn giao cho bộ phận lưu trữ theo Kế hoạch số 154/KH-UBND").split()
    lines = [Line(tuple(Word(w, Box(0, 0, 1, 1), 0.9) for w in words))] * 40
    page_reading(lines)
    best = min(_timed(page_reading, lines) for _ in range(5))
    assert best < 0.005


def _timed(fn, arg) -> float:
    start = time.perf_counter()
    fn(arg)
    return time.perf_counter() - start
