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


def test_a_header_joined_on_its_first_row_only_is_read_left_block_then_right_block():
    """Tuning seeds s000229, s000071: Tesseract joined only the header's first row ("UBND THÀNH PHỐ HẢI PHÒNG CỘNG
    HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM") and read the blocks' other rows as lines of their own, left ones then right
    ones: the motto's first line ended up after the left block's last (64 of a page's 776 characters wrong)."""
    lines = [
        _line(0, ("UBND", 100, 200), ("CỘNG", 900, 1000), ("HÒA", 1010, 1100)),
        _line(60, ("VĂN", 110, 180), ("PHÒNG", 190, 300)),
        _line(120, ("Số:", 110, 170), ("161/TB", 180, 300)),
        _line(60, ("Độc", 950, 1020), ("lập", 1030, 1090)),
        _line(120, ("Thủy", 900, 980), ("Nguyên,", 990, 1100)),
        _line(200, ("THÔNG", 500, 620), ("BÁO", 630, 700)),
    ]
    assert [l.text for l in split_columns(lines)] == ["UBND", "VĂN PHÒNG", "Số: 161/TB", "CỘNG HÒA", "Độc lập",
                                                      "Thủy Nguyên,", "THÔNG BÁO"]


def test_one_wide_gap_above_lines_on_one_side_only_is_left_alone():
    lines = [_line(0, ("Nơi", 100, 160), ("nhận:", 170, 260), ("GIÁM", 900, 1000)),
             _line(60, ("Như", 100, 160), ("trên;", 170, 260)),
             _line(120, ("Lưu:", 100, 160), ("VT.", 170, 260))]
    assert [l.text for l in split_columns(lines)] == ["Nơi nhận: GIÁM", "Như trên;", "Lưu: VT."]


def test_the_first_line_of_a_page_counts_a_narrower_gap_between_header_blocks():
    """Tuning seeds s000071 and s000229: the header's blocks were 1.45 line heights apart on its joined first row."""
    def page(first_y: int):
        lines = [_line(0, ("Tiêu", 100, 200), ("đề", 210, 300))] if first_y else []
        return lines + [
            _line(first_y, ("UBND", 100, 300), ("CỘNG", 360, 460), ("HÒA", 470, 560)),  # a gap of 1.5 line heights
            _line(first_y + 60, ("VĂN", 100, 180), ("PHÒNG", 190, 300)),
            _line(first_y + 60, ("Độc", 380, 440), ("lập", 450, 520)),
        ]
    assert [l.text for l in split_columns(page(0))] == ["UBND", "VĂN PHÒNG", "CỘNG HÒA", "Độc lập"]
    assert [l.text for l in split_columns(page(100))] == ["Tiêu đề", "UBND CỘNG HÒA", "VĂN PHÒNG", "Độc lập"]


def test_a_table_row_whose_cells_wrapped_is_not_taken_for_header_blocks():
    """Tuning seed s000221: one row cut by a wide gap with its wrapped cells below it on both sides is a table row;
    read as blocks, its cells moved below the next row (32 → 40 % CER)."""
    lines = [_line(0, ("Bảng", 100, 200), ("1", 210, 240)),
             _line(60, ("466/BC-BNV", 100, 300), ("việc", 700, 780), ("giao", 790, 870)),
             _line(120, ("tiệu", 100, 180)),
             _line(120, ("Vĩnh", 900, 980), ("viễn", 990, 1070)),
             _line(180, ("634/NQ", 100, 300))]
    assert [l.text for l in split_columns(lines)] == ["Bảng 1", "466/BC-BNV việc giao", "tiệu", "Vĩnh viễn",
                                                      "634/NQ"]


def test_a_numbered_list_with_a_hanging_indent_is_no_column():
    """Each item's number stands apart from its text by a wide gap, line after line: read each number with its item
    (the numbers were read first, as a column, on a fresh-seed 'list' page); a header's blocks still are columns."""
    lines = [_line(0, ("1.", 100, 140), ("Các", 300, 380), ("tài", 390, 460), ("liệu", 470, 1400)),
             _line(60, ("Công", 300, 400), ("văn", 410, 1400)),
             _line(120, ("2.", 100, 140), ("Yêu", 300, 380), ("cầu", 390, 1400)),
             _line(180, ("b)", 100, 140), ("Quyết", 300, 400), ("định", 410, 1400)),
             _line(240, ("-", 100, 120), ("Phần", 300, 400), ("mềm", 410, 1400))]
    assert [l.text for l in split_columns(lines)] == ["1. Các tài liệu", "Công văn", "2. Yêu cầu", "b) Quyết định",
                                                      "- Phần mềm"]
    header = [_line(0, ("UBND", 100, 200), ("CỘNG", 900, 1000)), _line(60, ("1.", 100, 140), ("Độc", 950, 1020)),
              _line(120, ("Số:", 110, 170), ("lập", 950, 1020))]
    assert [l.text for l in split_columns(header)] == ["UBND", "1.", "Số:", "CỘNG", "Độc", "lập"]


def test_list_numbers_read_as_a_block_of_their_own_go_back_to_their_items():
    """Tesseract's layout analysis may put a list's numbers in a block of their own, read before the items; each
    number goes back to the start of the line beside it; a number with no line beside it stays where it is."""
    lines = [_line(0, ("1.", 100, 130)), _line(120, ("2.", 100, 130)), _line(300, ("- 5 -", 600, 700)),
             _line(0, ("Các", 150, 230), ("tài", 240, 300)), _line(60, ("Công", 150, 250), ("văn", 260, 330)),
             _line(120, ("Yêu", 150, 230), ("cầu", 240, 300))]
    assert [l.text for l in split_columns(lines)] == ["- 5 -", "1. Các tài", "Công văn", "2. Yêu cầu"]
