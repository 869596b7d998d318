from ocr_engine.metrics import error_counts, rates


def test_rates_ignore_layout_whitespace_and_separate_diacritic_errors():
    counts = error_counts("Quyết định\n\nsố 15", "Quyết  định\nsô 15\n")
    assert counts["char_edits"] == 1 and counts["plain_edits"] == 0
    r = rates([counts, error_counts("abc", "abc")])
    assert 0 < r["cer"] < 0.1 and r["cer_no_diacritics"] == 0 and r["wer"] == 1 / 5
