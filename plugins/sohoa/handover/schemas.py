"""The official schemas a package is checked against, loaded offline from ``sohoa/schemas/xsd``.

``xsd_errors(kind, doc)`` validates a parsed document against the METS (with the E-ARK CSIP extension
attributes), EAD 2002 or PREMIS 3 XSD; ``csip_errors(doc)`` runs the E-ARK CSIP 2.1.0 Schematron rules over a
METS document. Imports between schemas resolve to the shipped files; the parser is forbidden the network, so a
schema that tried to reach it would fail loudly instead of silently validating less.
"""
from __future__ import annotations

import functools
import re
from pathlib import Path

from lxml import etree, isoschematron

XSD_DIR = Path(__file__).resolve().parents[1] / "schemas" / "xsd"
SCHEMA_FILES = {"mets": XSD_DIR / "mets" / "mets.xsd", "ead": XSD_DIR / "ead" / "ead.xsd",
                "premis": XSD_DIR / "premis" / "premis.xsd"}
# Locations the official schemas name for their imports, and the shipped copies.
LOCAL_COPIES = {
    "http://www.loc.gov/standards/xlink/xlink.xsd": XSD_DIR / "mets" / "xlink.xsd",
    "http://www.w3.org/2001/xml.xsd": XSD_DIR / "mets" / "xml.xsd",
}
NS = {"mets": "http://www.loc.gov/METS/", "csip": "https://DILCIS.eu/XML/METS/CSIPExtensionMETS",
      "sip": "https://DILCIS.eu/XML/METS/SIPExtensionMETS", "xlink": "http://www.w3.org/1999/xlink",
      "ead": "urn:isbn:1-931666-22-9", "premis": "http://www.loc.gov/premis/v3",
      "xsi": "http://www.w3.org/2001/XMLSchema-instance"}
# The vocabularies the CSIP rules test attributes against (placeholder -> vocabulary file).
VOCABULARIES = {
    "@TYPE": "CSIPVocabularyContentCategory.xml",
    "@csip:CONTENTINFORMATIONTYPE": "CSIPVocabularyContentInformationType.xml",
    "@csip:OAISPACKAGETYPE": "CSIPVocabularyOAISPackageType.xml",
    "@STATUS": "CSIPVocabularyStatus.xml",
}


class _Offline(etree.Resolver):
    def resolve(self, url, public_id, context):
        local = LOCAL_COPIES.get(url)
        return self.resolve_filename(str(local), context) if local else None


def _parser() -> etree.XMLParser:
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    parser.resolvers.add(_Offline())
    return parser


@functools.cache
def xsd(kind: str) -> etree.XMLSchema:
    """The compiled XSD of ``kind`` (``mets``, ``ead``, ``premis``); METS also knows the CSIP attributes."""
    if kind == "mets":
        parts = {NS["mets"]: SCHEMA_FILES["mets"], NS["csip"]: XSD_DIR / "mets" / "DILCISExtensionMETS.xsd",
                 NS["sip"]: XSD_DIR / "mets" / "DILCISExtensionSIPMETS.xsd"}
        imports = "".join(f'<xs:import namespace="{ns}" schemaLocation="{path.as_uri()}"/>' for ns, path in parts.items())
        wrapper = f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">{imports}</xs:schema>'
        return etree.XMLSchema(etree.fromstring(wrapper.encode(), _parser(), base_url=XSD_DIR.as_uri() + "/"))
    return etree.XMLSchema(etree.parse(str(SCHEMA_FILES[kind]), _parser()))


def xsd_errors(kind: str, doc: etree._ElementTree) -> list[str]:
    """Every XSD violation of ``doc`` as ``line N: message``; empty when valid."""
    schema = xsd(kind)
    if schema.validate(doc):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]


def _vocabulary_test(attribute: str, filename: str) -> str:
    terms = re.findall(r"<Term[^>]*>([^<]*)<", (XSD_DIR / "csip" / "vocabs" / filename).read_text(encoding="utf-8"))
    return " or ".join(f"({attribute} = '{term}')" for term in terms)


@functools.cache
def _csip_rules() -> tuple[tuple[str, isoschematron.Schematron], ...]:
    tests = {f"{attr}_vocabulary_test": _vocabulary_test(attr, name) for attr, name in VOCABULARIES.items()}
    media_types = (XSD_DIR / "csip" / "vocabs" / "IANA.txt").read_text(encoding="utf-8").split()
    tests["@MIMETYPE_IANA_test"] = " or ".join(f"(@MIMETYPE = '{m}')" for m in media_types)
    rules = []
    for path in sorted((XSD_DIR / "csip" / "schematron").glob("mets_*_rules.xml")):
        text = path.read_text(encoding="utf-8")
        for placeholder, test in tests.items():
            text = text.replace(placeholder, test)
        rules.append((path.stem, isoschematron.Schematron(etree.fromstring(text.encode()), store_report=True)))
    return tuple(rules)


def csip_errors(doc: etree._ElementTree) -> list[str]:
    """Every failed CSIP rule of role ERROR as ``CSIPnn: text``; warnings and infos are not errors."""
    problems = []
    for _, rules in _csip_rules():
        rules.validate(doc)
        for failed in rules.validation_report.iter("{http://purl.oclc.org/dsdl/svrl}failed-assert"):
            if failed.get("role", "ERROR").upper() == "ERROR":
                text = " ".join(failed.findtext("{http://purl.oclc.org/dsdl/svrl}text", "").split())
                problems.append(f"{failed.get('id')}: {text[:160]} (at {failed.get('location')})")
    return problems
