import numpy as np
from lxml import etree

from ocr_engine.alto import NS, alto_xml
from ocr_engine.model import Box, Line, PageText, Word

A = f"{{{NS}}}"


def _page():
    words = (Word("QUYẾT", Box(100, 50, 220, 90), 0.91), Word("ĐỊNH", Box(240, 50, 340, 90), 0.88))
    return PageText("p1", [Line(words)], "tesseract", "tesseract 5.3.0", 1.0)


def test_alto_has_words_with_coordinates_and_confidence():
    root = etree.fromstring(alto_xml(_page(), source_name="p1.png", width=1000, height=800,
                                     to_source=np.array([[1.0, 0, 0], [0, 1.0, 0]])))
    assert root.tag == f"{A}alto"
    strings = root.findall(f".//{A}String")
    assert [s.get("CONTENT") for s in strings] == ["QUYẾT", "ĐỊNH"]
    assert [strings[0].get(k) for k in ("HPOS", "VPOS", "WIDTH", "HEIGHT", "WC")] == ["100", "50", "120", "40", "0.910"]
    assert root.find(f".//{A}Page").get("WIDTH") == "1000"
    assert root.find(f".//{A}fileName").text == "p1.png"


def test_alto_coordinates_are_those_of_the_source_image():
    upside_down = np.array([[-1.0, 0, 1000], [0, -1.0, 800]])
    root = etree.fromstring(alto_xml(_page(), source_name="p1.png", width=1000, height=800,
                                     to_source=upside_down))
    first = root.find(f".//{A}String")
    assert (first.get("HPOS"), first.get("VPOS")) == ("780", "710")
