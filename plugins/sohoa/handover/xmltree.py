"""Small helpers to write the package's XML documents with lxml."""
from __future__ import annotations

from pathlib import Path

from lxml import etree

from .schemas import NS


def q(prefixed: str) -> str:
    """``"mets:file"`` -> ``"{http://www.loc.gov/METS/}file"``."""
    prefix, _, local = prefixed.partition(":")
    return f"{{{NS[prefix]}}}{local}"


def sub(parent: etree._Element, tag: str, text: object = None, **attrs: object) -> etree._Element:
    """Append a child; ``attrs`` may use ``xlink__href`` for ``xlink:href``; None-valued attributes are left out."""
    element = etree.SubElement(parent, q(tag))
    for name, value in attrs.items():
        if value is not None:
            element.set(q(name.replace("__", ":")) if "__" in name else name, str(value))
    if text is not None:
        element.text = str(text)
    return element


def write(root: etree._Element, path: Path) -> bytes:
    """Write ``root`` as UTF-8 XML with a declaration; return the bytes written."""
    data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return data
