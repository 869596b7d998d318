"""ALTO XML v4 for one recognised page: lines and words with coordinates and confidence.

Coordinates are pixels of the *source* image file (the untouched scan), not of the
preprocessed page: boxes are mapped back through ``PageImage.to_source``.
"""
from __future__ import annotations

from lxml import etree

from .model import Box, PageText

NS = "http://www.loc.gov/standards/alto/ns-v4#"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA = f"{NS} http://www.loc.gov/alto/v4/alto-4-2.xsd"


def _place(el: etree._Element, box: Box) -> None:
    el.set("HPOS", str(box.x0))
    el.set("VPOS", str(box.y0))
    el.set("WIDTH", str(box.width))
    el.set("HEIGHT", str(box.height))


def alto_xml(page: PageText, *, source_name: str, width: int, height: int, to_source,
             software: str = "ocr_engine") -> bytes:
    """Serialise *page* as ALTO v4 (UTF-8 bytes). *width*/*height* are the source image's.

    Word confidence goes to ``WC`` (0..1) on every String.
    """
    E = lambda tag, parent=None: (etree.SubElement(parent, f"{{{NS}}}{tag}") if parent is not None
                                  else etree.Element(f"{{{NS}}}{tag}", nsmap={None: NS, "xsi": XSI}))
    root = E("alto")
    root.set(f"{{{XSI}}}schemaLocation", SCHEMA)
    desc = E("Description", root)
    E("MeasurementUnit", desc).text = "pixel"
    E("fileName", E("sourceImageInformation", desc)).text = source_name
    step = E("ocrProcessingStep", E("OCRProcessing", desc))
    step.getparent().set("ID", "OCR_0")
    sw = E("processingSoftware", step)
    E("softwareName", sw).text = software
    E("softwareVersion", sw).text = page.engine_version
    layout = E("Layout", root)
    pg = E("Page", layout)
    pg.set("ID", "PAGE_1")
    pg.set("PHYSICAL_IMG_NR", "1")
    pg.set("WIDTH", str(width))
    pg.set("HEIGHT", str(height))
    space = E("PrintSpace", pg)
    _place(space, Box(0, 0, width, height))
    if page.lines:
        block = E("TextBlock", space)
        block.set("ID", "BLOCK_1")
        _place(block, Box.union([l.box for l in page.lines]).mapped(to_source, width, height))
    for i, line in enumerate(page.lines, 1):
        tl = E("TextLine", block)
        tl.set("ID", f"LINE_{i}")
        _place(tl, line.box.mapped(to_source, width, height))
        for j, word in enumerate(line.words, 1):
            if j > 1:
                E("SP", tl)
            st = E("String", tl)
            st.set("ID", f"LINE_{i}_WORD_{j}")
            st.set("CONTENT", word.text)
            _place(st, word.box.mapped(to_source, width, height))
            st.set("WC", f"{word.confidence:.3f}")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
