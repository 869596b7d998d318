"""Pages with streaks across their text are read as a sheet of lines, and the words land back on the page."""
import numpy as np
import pytest

from ocr_engine import engines, metrics
from ocr_engine.linesheet import line_sheet
from ocr_engine.model import Box, Line, PageImage, PageText, Word
from ocr_engine.pipeline import run
from ocr_engine.synth import drum_streaks, render_page


@pytest.fixture(scope="module")
def streaked_read(tmp_path_factory, tesseract):
    """A rendered page crossed by drum streaks, saved at 200 dpi and read: (outcome, ground truth, clean page)."""
    clean, truth, _ = render_page(32, dpi=200)
    path = tmp_path_factory.mktemp("streaks") / "streaked.png"
    drum_streaks(clean, 32).save(path, dpi=(200, 200))
    [outcome] = run([path], engines.get_engine("tesseract"))
    return outcome, truth, clean


def test_a_streaked_page_is_read_through_its_streaks(streaked_read):
    """Read as a whole page, the streaks glue lines and pass for words (40 % CER on this page before)."""
    outcome, truth, _ = streaked_read
    assert outcome.report.streaks_removed >= 3
    assert metrics.rates([metrics.error_counts(truth, outcome.text.text)])["cer"] < 0.2


def test_words_read_on_the_sheet_land_on_their_line_of_the_page(streaked_read):
    outcome, _, clean = streaked_read
    ink_rows = np.flatnonzero((np.asarray(clean) < 128).any(axis=1))
    for line in outcome.text.lines:
        for word in line.words:  # every word's box covers rows where the clean page has ink
            assert np.any((ink_rows >= word.box.y0) & (ink_rows < word.box.y1)), word


def test_the_sheet_stacks_one_strip_per_text_line_and_maps_back():
    page = np.full((800, 300), 255, np.uint8)
    for top in (100, 300, 500):
        for x in range(40, 140, 6):
            page[top:top + 20, x:x + 2] = 0  # three short "lines" of 20 px tall strokes
    page[:, 200:220] = 20  # a streak down the whole page, right of where the lines end
    sheet = line_sheet(PageImage("p", page, 200))
    assert sheet.page.lines_only and len(sheet.strips) == 3
    for strip, top in zip(sheet.strips, (100, 300, 500)):  # each strip holds its line and a few px around it
        assert top - 8 <= strip.page_y <= top and top + 20 <= strip.page_y + strip.height <= top + 28
    assert sheet.page.pixels.shape == (sum(s.height + 24 for s in sheet.strips), 300)  # 24 px apart
    assert (sheet.page.pixels[:, 200:220] == 255).all()  # the streak beyond the lines' ink stays out
    strip = sheet.strips[2]
    word = Word("chữ", Box(40, strip.sheet_y + 5, 100, strip.sheet_y + 25), 0.9)
    [back] = sheet.read_back(PageText("p", [Line((word,))], "fake", "1", 0.0)).lines
    assert back.words[0].box == Box(40, strip.page_y + 5, 100, strip.page_y + 25)


def test_reading_back_gives_one_line_per_strip_left_to_right_whatever_the_engine_grouping():
    page = np.full((800, 300), 255, np.uint8)
    for top in (100, 300):
        page[top:top + 20, 40:140] = 0
    sheet = line_sheet(PageImage("p", page, 200))
    first, second = sheet.strips

    def word(text, x0, strip):
        return Word(text, Box(x0, strip.sheet_y + 2, x0 + 20, strip.sheet_y + 18), 0.9)

    engine_lines = [Line((word("hai", 90, second),)),  # the engine's own order and grouping
                    Line((word("ba", 40, first), word("một", 10, first))),
                    Line((word("bốn", 120, second), word("một", 40, second)))]
    back = sheet.read_back(PageText("p", engine_lines, "fake", "1", 0.0)).lines
    assert [line.text for line in back] == ["một ba", "một hai bốn"]
    assert [line.words[0].box.y0 for line in back] == [first.page_y + 2, second.page_y + 2]


def test_a_page_without_a_column_free_of_streaks_gives_no_sheet():
    assert line_sheet(PageImage("p", np.full((200, 100), 30, np.uint8), 200)) is None


def _lines_of_strokes(slope: float) -> np.ndarray:
    """Six 'lines' of 20 px tall strokes, 40 px apart, each dropping *slope* px per px to the right, and a streak."""
    page = np.full((1400, 400), 255, np.uint8)  # tall enough that no column of text is as dark as a streak
    for top in range(100, 340, 40):
        for x in range(20, 320, 6):
            y = top + round(slope * x)
            page[y:y + 20, x:x + 2] = 0
    page[:, 360:375] = 20
    return page


def test_lines_the_rows_separate_get_one_strip_each():
    sheet = line_sheet(PageImage("p", _lines_of_strokes(0.0), 200))
    assert sheet is not None and len(sheet.strips) == 6


def test_sloping_lines_that_share_their_rows_get_no_sheet():
    """Lines that wave or slope by more than their spacing leave no blank row between them: one strip would hold
    several lines, read as one with their words interleaved (augraphy page s000018: 74 % CER as a sheet, 12 % without)."""
    assert line_sheet(PageImage("p", _lines_of_strokes(0.25), 200)) is None
