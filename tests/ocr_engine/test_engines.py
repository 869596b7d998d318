"""The engine interface: registry, built-in engines, and failure paths through fake engines."""
import importlib.util

import numpy as np
import pytest

from ocr_helpers import cer
from ocr_engine import engines
from ocr_engine.engines.paddle import check_dictionary, missing_vietnamese, read_dictionary
from ocr_engine.errors import EngineError, EngineTimeout, EngineUnavailable, ModelError
from ocr_engine.model import PageImage, PageText
from ocr_engine.pipeline import run

BLANKISH = np.full((100, 100), 255, np.uint8)


def _batch(*ids):
    return [PageImage(i, BLANKISH, 300) for i in ids]


def test_unknown_engine_name_lists_the_known_ones():
    with pytest.raises(EngineUnavailable, match="known: .*tesseract"):
        engines.get_engine("abbyy")


@pytest.mark.parametrize("name, error, words", [
    ("fake-crash", EngineError, "exited with status 139: Segmentation fault"),
    ("fake-oom", EngineError, "killed by SIGKILL (out of memory?)"),
    ("fake-bad-utf8", EngineError, "not valid UTF-8"),
    ("fake-buggy", EngineError, "crashed: ZeroDivisionError"),
])
def test_failing_page_is_a_verdict_and_the_batch_goes_on(name, error, words):
    engine = engines.get_engine(name, jobs=2, timeout=20)
    first, bad, last = engine.recognize(_batch("p1", "p2-bad", "p3"))
    assert isinstance(first, PageText) and isinstance(last, PageText) and last.text == "trang\n"
    assert isinstance(bad, error) and words in str(bad) and "p2-bad" in str(bad)


def test_hanging_engine_is_killed_after_its_timeout():
    engine = engines.get_engine("fake-hang", timeout=1)
    ok, hung = engine.recognize(_batch("p1", "p2-bad"))
    assert isinstance(ok, PageText)
    assert isinstance(hung, EngineTimeout) and "did not finish within 1 s" in str(hung)


def test_engine_text_is_nfc_with_d_with_stroke():
    [page] = engines.get_engine("fake-eth").recognize(_batch("p1"))
    assert page.text == "ĐỊNH\n"


def test_tesseract_reads_a_vietnamese_page(tesseract, pages):
    path, gt = pages["clean"]
    [outcome] = run([path], engines.get_engine("tesseract"))
    assert outcome.status == "ok"
    assert cer(gt, outcome.text.text) < 0.02
    word = outcome.text.lines[0].words[0]
    assert 0 < word.confidence <= 1 and word.box.width > 0


def test_tesseract_missing_language_is_unavailable(tesseract):
    with pytest.raises(EngineUnavailable, match="no traineddata for xyz"):
        engines.get_engine("tesseract", lang="xyz").version()


@pytest.mark.skipif(importlib.util.find_spec("paddleocr") is not None, reason="paddleocr is installed")
def test_paddle_without_paddleocr_says_how_to_install():
    with pytest.raises(EngineUnavailable, match="pip install paddleocr"):
        engines.get_engine("paddle", det_model_dir="/x", rec_model_dir="/y")


def test_dictionary_without_tone_marks_is_refused_unless_forced(tmp_path):
    stock = tmp_path / "en_dict.txt"
    stock.write_text("\n".join("abcdefghijklmnopqrstuvwxyzĐđ0123456789"), encoding="utf-8")
    chars = read_dictionary(stock)
    assert "ế" in missing_vietnamese(chars)
    with pytest.raises(ModelError, match="lacks .* Vietnamese letters"):
        check_dictionary(chars, source=str(stock))
    check_dictionary(chars, source=str(stock), force=True)


def test_vietnamese_dictionary_in_model_directory_is_accepted(tmp_path):
    from ocr_engine.engines.paddle import VIETNAMESE_LETTERS

    model = tmp_path / "vi_rec"
    model.mkdir()
    letters = sorted(VIETNAMESE_LETTERS | set("abc"))
    (model / "inference.yml").write_text(
        "Global:\n  model_name: vi_rec\nPostProcess:\n  character_dict:\n"
        + "".join(f"  - '{c}'\n" for c in letters), encoding="utf-8")
    assert missing_vietnamese(read_dictionary(model)) == []
    check_dictionary(read_dictionary(model), source=str(model))


def test_engine_returning_too_few_results_fails_its_pages_loudly(pages):
    [outcome] = run([pages["clean"][0]], engines.get_engine("fake-forgetful"))
    assert outcome.status == "failed" and "returned 0 results for 1 pages" in outcome.problems[0].message


TSV_HEAD = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"


def _tsv(rows) -> str:
    """Tesseract TSV word rows from (block, line, word, left, conf, text)."""
    return TSV_HEAD + "".join(f"5\t1\t{b}\t1\t{l}\t{w}\t{x}\t5\t100\t40\t{c}\t{t}\n" for b, l, w, x, c, t in rows)


def test_tesseract_tsv_noise_words_and_lines_are_dropped():
    from ocr_engine.engines.tesseract import parse_tsv

    rows = [("1", "1", "1", 10, 96.5, "Quyết"), ("1", "1", "2", 120, 95.0, "định"), ("1", "1", "3", 300, 20.0, "§"),
            ("1", "2", "1", 10, 45.0, "»"), ("1", "3", "1", 10, 97.0, "2"), ("1", "4", "1", 10, 30.0, "mui"),
            ("1", "4", "2", 90, 35.0, "sẽ")]
    assert [line.text for line in parse_tsv(_tsv(rows), what="p1")] == ["Quyết định", "2"]


def test_tesseract_tsv_dirt_at_the_ends_of_a_line_is_dropped_before_the_line_is_judged():
    """Streak speckle read beside a short line ("1.2. Nội dung ... khai #Z skc :" on bench aug300 p01)
    dragged the line's mean confidence under NOISE_LINE_CONF, and the whole line was lost."""
    from ocr_engine.engines.tesseract import parse_tsv

    text = [("‡", 90.0), ("qŸ", 2.0), ("Nội", 97.0), ("dung", 96.7), ("công", 97.0), ("việc", 69.8),
            ("kiai", 2.6), ("#Z", 0.0), ("skc", 0.0), ("#", 66.2), (":", 67.9), ("nG", 0.0), ("Ï", 0.0)]
    rows = [("1", "1", i + 1, 100 * i, c, t) for i, (t, c) in enumerate(text)]
    assert [line.text for line in parse_tsv(_tsv(rows), what="p1")] == ["Nội dung công việc kiai #Z skc"]


def test_tesseract_tsv_keeps_a_leading_bullet_and_unsure_words_with_letters():
    from ocr_engine.engines.tesseract import parse_tsv

    text = [("-", 92.0), ("UBND", 90.0), ("TP", 96.0), ("(để", 93.0), ("b/c);", 8.0)]
    rows = [("1", "1", i + 1, 100 * i, c, t) for i, (t, c) in enumerate(text)]
    assert [line.text for line in parse_tsv(_tsv(rows), what="p1")] == ["- UBND TP (để b/c);"]


def test_tesseract_tsv_table_rules_read_as_bars_are_not_text():
    """A table's vertical rules came back as "|" words and as bars stuck to the cells ("ST|", "|việc"): on the broad
    suite's tuning seeds' tables they were most of the error (5 clean tables: 1.0-11.2 % → 0-2.4 % CER without them)."""
    from ocr_engine.engines.tesseract import parse_tsv

    text = [("ST|", 91.0), ("Số,", 96.0), ("ký", 96.0), ("hiệu", 95.0), ("|", 88.0), ("1305/STC-KSTT", 90.0),
            ("|việc", 93.0), ("166", 96.0), ("¦", 60.0), ("50", 96.0), ("năm", 96.0)]
    rows = [("1", "1", i + 1, 100 * i, c, t) for i, (t, c) in enumerate(text)]
    assert [line.text for line in parse_tsv(_tsv(rows), what="p1")] == [
        "ST Số, ký hiệu 1305/STC-KSTT việc 166 50 năm"]


def test_tesseract_tsv_old_style_figures_read_as_letters_become_digits_inside_numbers_only():
    """EB Garamond's old-style figures come back as letters ("2oi6", "22/os/2oz4"); words, codes, Roman numerals
    and a lone "I" before a year (quý I/2025) stay as read."""
    from ocr_engine.engines.tesseract import parse_tsv

    text = [("quý", 96.0), ("II", 90.0), ("năm", 96.0), ("2oi6.", 80.0), ("ngày", 96.0), ("22/os/2oz4,", 70.0),
            ("trước", 96.0), ("ot/7/zozs,", 60.0), ("I/2025", 90.0), ("30/2020/NĐ-CP", 92.0), ("lis", 90.0)]
    rows = [("1", "1", i + 1, 100 * i, c, t) for i, (t, c) in enumerate(text)]
    assert [line.text for line in parse_tsv(_tsv(rows), what="p1")] == [
        "quý II năm 2016. ngày 22/05/2024, trước ot/7/2025, I/2025 30/2020/NĐ-CP lis"]


def test_tesseract_tsv_keeps_the_dashes_around_a_page_number_but_not_a_trailing_speck():
    from ocr_engine.engines.tesseract import parse_tsv

    rows = [("1", "1", 1, 0, 90.0, "-"), ("1", "1", 2, 100, 95.0, "18"), ("1", "1", 3, 200, 88.0, "-"),
            ("1", "2", 1, 0, 96.0, "Nơi"), ("1", "2", 2, 100, 96.0, "nhận:"), ("1", "2", 3, 200, 40.0, "-")]
    assert [line.text for line in parse_tsv(_tsv(rows), what="p1")] == ["- 18 -", "Nơi nhận:"]


def test_numbers_of_a_numbered_list_are_kept(tesseract, tmp_path):
    """With layout analysis Tesseract dropped a hanging list number and kept only its dot ("1. Yêu cầu" → ". Yêu
    cầu"); the strip left of the dot is read again on its own (broad suite's tuning seeds, 133 list, NĐ 30 and full
    pages: 6 read better, none worse; CER 7.54 → 7.50 %). A number lost together with its dot stays lost."""
    import re
    from ocr_engine import pipeline, suite

    page, gt, _ = suite.make_page(108, layout="list", condition="clean")  # a tuning page: all 7 numbers were lost
    numbers = [m.group(0) for m in re.finditer(r"(?m)^\d{1,2}\. ", gt)]
    assert len(numbers) >= 3
    path = tmp_path / "list.png"
    page.save(path, dpi=(200, 200))
    text = next(pipeline.run([path], engines.get_engine("tesseract"))).text.text
    found = [m.group(0) for m in re.finditer(r"(?m)^\d{1,2}\. ", text)]
    assert found == numbers, text[:400]


def test_a_list_marker_misread_as_a_sign_is_read_again_alone_and_kept_only_as_a_marker(monkeypatch):
    """Layout analysis read "c)" and "g)" as "€)" and "#)" (tuning seed s000259), which the line's edge cleaning
    then dropped; read alone, the strip gives a marker back, and a strip that does not read as one changes nothing."""
    from ocr_engine.engines import tesseract as t

    page_rows = [("1", "1", 1, 100, 40.0, "#)"), ("1", "1", 2, 140, 96.0, "Tuyên"), ("1", "1", 3, 240, 96.0, "truyền"),
                 ("1", "2", 1, 100, 50.0, "€)"), ("1", "2", 2, 140, 96.0, "Tăng"), ("1", "2", 3, 240, 96.0, "cường")]
    page_tsv = TSV_HEAD + "".join(
        f"5\t1\t{b}\t1\t{l}\t{w}\t{x}\t{100 * int(l)}\t30\t30\t{c}\t{txt}\n" for b, l, w, x, c, txt in page_rows)
    strips = iter(["g)", "%"])

    def fake_tsv(data, *, what, lang, psm, dpi, timeout):
        if psm == t.PSM_LINE:
            return TSV_HEAD + f"5\t1\t1\t1\t1\t1\t2\t2\t20\t26\t90.0\t{next(strips)}\n"
        return page_tsv

    monkeypatch.setattr(t.tess, "tsv", fake_tsv)
    page = PageImage("p", np.full((400, 600), 255, np.uint8), 200)
    lines = t.TesseractEngine().recognize_page(page)
    assert [line.text for line in lines] == ["g) Tuyên truyền", "Tăng cường"]
