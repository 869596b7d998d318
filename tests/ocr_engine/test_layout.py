import numpy as np

from ocr_engine.layout import split_columns
from ocr_engine.model import Box, Line, Word


def _line(y, *spans):
    return Line(tuple(Word(t, Box(x0, y, x1, y + 40), 0.9) for t, x0, x1 in spans))


def test_side_by_side_header_blocks_are_read_left_then_right():
    lines = [
        _line(0, ("UBND", 100, 200), ("CỘNG", 900, 1000), ("HÒA", 1010, 1100)),
        _line(60, ("SỞ", 120, 180), ("Độc", 950, 1020), ("lập", 1030, 1090)),
        _line(120, ("Số:", 110, 170), ("15/QĐ", 180, 300)),
        _line(200, ("Điều", 100, 200), ("1.", 210, 260), ("Ban", 270, 350), ("hành", 360, 1400)),
    ]
    assert [l.text for l in split_columns(lines)] == ["UBND", "SỞ", "Số: 15/QĐ", "CỘNG HÒA", "Độc lập",
                                                      "Điều 1. Ban hành"]


def test_single_wide_gap_in_one_line_is_left_alone():
    lines = [_line(0, ("Nơi", 100, 160), ("nhận:", 170, 260), ("GIÁM", 900, 1000)),
             _line(60, ("Như", 100, 160), ("trên", 170, 260), ("và", 270, 300))]
    assert [l.text for l in split_columns(lines)] == ["Nơi nhận: GIÁM", "Như trên và"]


def test_a_gap_that_a_streak_crosses_is_no_column_gap():
    """On a line sheet, words hidden under a streak leave the same gap in every line: not two columns."""
    lines = [_line(0, ("Trong", 100, 200), ("quá", 210, 300), ("các", 900, 1000), ("đơn", 1010, 1100)),
             _line(60, ("cáo", 100, 200), ("bằng", 210, 300), ("xem", 900, 1000), ("xét", 1010, 1100))]
    streaks = np.zeros(1200, bool)
    streaks[560:600] = True
    assert [l.text for l in split_columns(lines)] == ["Trong quá", "cáo bằng", "các đơn", "xem xét"]
    assert [l.text for l in split_columns(lines, streaks)] == ["Trong quá các đơn", "cáo bằng xem xét"]
