"""``metadata/preservation/PREMIS.xml``: objects, events and agents of a unit in PREMIS 3.0.

Objects: the unit as an intellectual entity (and each of its văn bản), every PDF of the package (with its
SHA-256, size, format and its derivation from the master page images) and every master page image (with its
SHA-256 and where it is stored). A born-digital văn bản has two file objects: the signed original, whose
preservation level role is "preservation master", and its PDF/A-2b access copy, derived from (``has source``)
the original; its signature verification is one of the events (``validation``, digital signature validation).
Events: every catalogue event of the hồ sơ, its văn bản and its pages, plus the creation of this package.
Agents: every agent those events name. Every event links to its agent and to the object it concerns, so the
file can be checked for dangling links (``linking_problems``).
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from lxml import etree

from .records import Unit, iso
from .schemas import NS
from .xmltree import q, sub

AGENT = "sohoa.handover"
ID_TYPES = {"ho_so": "mã hồ sơ", "van_ban": "mã lưu trữ", "trang": "sohoa master key", "file": "package path",
            "event": "sohoa event", "agent": "sohoa agent"}
FORMATS = {"pdf": "PDF/A-2b", "jpg": "JPEG", "jpeg": "JPEG", "tif": "TIFF", "tiff": "TIFF", "png": "PNG"}


@dataclass(frozen=True)
class PackageFile:
    """A content file of the package: its path inside the package, digest, size, the văn bản it holds, and its
    format (``PDF/A-2b`` for PDFs assembled here, ``PDF`` for born-digital originals)."""
    href: str
    sha256: str
    size: int
    stt: int
    format_name: str = "PDF/A-2b"
    role: str | None = None  # PREMIS preservationLevelRole, e.g. "preservation master" for a signed original
    source: str | None = None  # package path of the file this one was derived from (an access copy's original)


def build(unit: Unit, files: list[PackageFile], *, package_id: str, created: str) -> etree._Element:
    """The PREMIS document of ``unit`` whose content files are ``files``."""
    premis = etree.Element(q("premis:premis"), nsmap={None: NS["premis"], "xsi": NS["xsi"]}, version="3.0")
    h = unit.ho_so
    van_ban_ids = {str(v["id"]): v["ma_luu_tru"] for v in unit.van_ban}
    page_keys = {str(p["id"]): p["master_key"] for p in unit.pages} | {p["master_key"]: p["master_key"]
                                                                       for p in unit.pages}

    entity = _object(premis, "intellectualEntity", "ho_so", h["ma_ho_so"])
    for row in unit.van_ban:
        _relationship(entity, "structural", "includes", "van_ban", row["ma_luu_tru"])
    for row in unit.van_ban:
        part = _object(premis, "intellectualEntity", "van_ban", row["ma_luu_tru"])
        _relationship(part, "structural", "is part of", "ho_so", h["ma_ho_so"])
    spans = {v["stt"]: (v["trang_dau"], v["trang_cuoi"]) for v in unit.van_ban}
    for item in files:
        obj = _object(premis, "file", "file", item.href, sha256=item.sha256, size=item.size, ext="pdf",
                      format_name=item.format_name, role=item.role)
        if item.source:
            _relationship(obj, "derivation", "has source", "file", item.source)
            continue
        first, last = spans[item.stt]
        for page in unit.pages:
            if first <= page["so_trang"] <= last:
                _relationship(obj, "derivation", "has source", "trang", page["master_key"])
    for page in unit.pages:
        _object(premis, "file", "trang", page["master_key"], sha256=page["sha256"], size=page["size_bytes"],
                ext=(page["format"] or page["master_key"].rsplit(".", 1)[-1]),
                location=f"s3://masters/{page['master_key']}")

    agents = {AGENT}
    for event in unit.events:
        linked = {"ho_so": lambda oid: oid, "van_ban": van_ban_ids.get, "trang": page_keys.get}[event["object_type"]]
        _event(premis, str(event["id"]), event["event_type"], iso(event["occurred_at"]), event["outcome"],
               json.dumps(event["detail"], ensure_ascii=False, default=str, sort_keys=True),
               event["agent"], (event["object_type"], linked(event["object_id"])))
        agents.add(event["agent"])
    _event(premis, f"{package_id}/creation", "information package creation", created, "success",
           f"gói {package_id} (E-ARK CSIP, TT 05/2025/TT-BNV)", AGENT, (unit.level, unit.identifier))
    for name in sorted(agents):
        agent = sub(premis, "premis:agent")
        ident = sub(agent, "premis:agentIdentifier")
        sub(ident, "premis:agentIdentifierType", ID_TYPES["agent"])
        sub(ident, "premis:agentIdentifierValue", name)
        sub(agent, "premis:agentName", name)
        sub(agent, "premis:agentType", "software" if name.startswith("sohoa") else "person")
    return premis


def _object(premis, kind: str, id_type: str, value: str, *, sha256: str | None = None, size: int | None = None,
            ext: str | None = None, location: str | None = None, format_name: str | None = None,
            role: str | None = None) -> etree._Element:
    obj = sub(premis, "premis:object", **{"xsi__type": kind})
    ident = sub(obj, "premis:objectIdentifier")
    sub(ident, "premis:objectIdentifierType", ID_TYPES[id_type])
    sub(ident, "premis:objectIdentifierValue", value)
    if role:
        level = sub(obj, "premis:preservationLevel")
        sub(level, "premis:preservationLevelValue", "bit-level")
        sub(level, "premis:preservationLevelRole", role)
    if kind == "file":
        traits = sub(obj, "premis:objectCharacteristics")
        sub(traits, "premis:compositionLevel", 0)
        fixity = sub(traits, "premis:fixity")
        sub(fixity, "premis:messageDigestAlgorithm", "SHA-256")
        sub(fixity, "premis:messageDigest", sha256)
        sub(traits, "premis:size", size)
        name = format_name or FORMATS.get(ext.lower(), ext.upper())
        sub(sub(sub(traits, "premis:format"), "premis:formatDesignation"), "premis:formatName", name)
        if location:
            storage = sub(obj, "premis:storage")
            where = sub(storage, "premis:contentLocation")
            sub(where, "premis:contentLocationType", "URI")
            sub(where, "premis:contentLocationValue", location)
    return obj


def _relationship(obj, kind: str, subtype: str, id_type: str, value: str) -> None:
    rel = sub(obj, "premis:relationship")
    sub(rel, "premis:relationshipType", kind)
    sub(rel, "premis:relationshipSubType", subtype)
    related = sub(rel, "premis:relatedObjectIdentifier")
    sub(related, "premis:relatedObjectIdentifierType", ID_TYPES[id_type])
    sub(related, "premis:relatedObjectIdentifierValue", value)


def _event(premis, event_id: str, event_type: str, when: str, outcome: str, detail: str, agent: str,
           concerns: tuple[str, str]) -> None:
    event = sub(premis, "premis:event")
    ident = sub(event, "premis:eventIdentifier")
    sub(ident, "premis:eventIdentifierType", ID_TYPES["event"])
    sub(ident, "premis:eventIdentifierValue", event_id)
    sub(event, "premis:eventType", event_type)
    sub(event, "premis:eventDateTime", when)
    sub(sub(event, "premis:eventDetailInformation"), "premis:eventDetail", detail)
    sub(sub(event, "premis:eventOutcomeInformation"), "premis:eventOutcome", outcome)
    link = sub(event, "premis:linkingAgentIdentifier")
    sub(link, "premis:linkingAgentIdentifierType", ID_TYPES["agent"])
    sub(link, "premis:linkingAgentIdentifierValue", agent)
    obj_type, obj_value = concerns
    link = sub(event, "premis:linkingObjectIdentifier")
    sub(link, "premis:linkingObjectIdentifierType", ID_TYPES[obj_type])
    sub(link, "premis:linkingObjectIdentifierValue", obj_value)


def linking_problems(doc: etree._ElementTree) -> list[str]:
    """Checks the XSD cannot make: every event's agent and object exist in the file, identifiers are unique,
    every time is ISO-8601 in +07:00, every file object has a SHA-256."""
    ns = {"p": NS["premis"]}
    problems = []
    objects = [(o.findtext("p:objectIdentifier/p:objectIdentifierType", namespaces=ns),
                o.findtext("p:objectIdentifier/p:objectIdentifierValue", namespaces=ns))
               for o in doc.iterfind("p:object", ns)]
    agents = {(a.findtext("p:agentIdentifier/p:agentIdentifierType", namespaces=ns),
               a.findtext("p:agentIdentifier/p:agentIdentifierValue", namespaces=ns))
              for a in doc.iterfind("p:agent", ns)}
    events = [e.findtext("p:eventIdentifier/p:eventIdentifierValue", namespaces=ns)
              for e in doc.iterfind("p:event", ns)]
    for label, ids in (("object", objects), ("event", events)):
        dupes = sorted({str(i) for i in ids if ids.count(i) > 1})
        if dupes:
            problems.append(f"PREMIS: duplicate {label} identifiers {dupes[:5]}")
    known = set(objects)
    for event in doc.iterfind("p:event", ns):
        eid = event.findtext("p:eventIdentifier/p:eventIdentifierValue", namespaces=ns)
        when = event.findtext("p:eventDateTime", namespaces=ns) or ""
        if not when.endswith("+07:00"):
            problems.append(f"PREMIS: event {eid} time {when!r} is not in +07:00")
        for link in event.iterfind("p:linkingAgentIdentifier", ns):
            key = (link.findtext("p:linkingAgentIdentifierType", namespaces=ns),
                   link.findtext("p:linkingAgentIdentifierValue", namespaces=ns))
            if key not in agents:
                problems.append(f"PREMIS: event {eid} names agent {key[1]!r}, which is not described")
        for link in event.iterfind("p:linkingObjectIdentifier", ns):
            key = (link.findtext("p:linkingObjectIdentifierType", namespaces=ns),
                   link.findtext("p:linkingObjectIdentifierValue", namespaces=ns))
            if key not in known:
                problems.append(f"PREMIS: event {eid} concerns object {key[1]!r}, which is not described")
    for obj in doc.iterfind("p:object", ns):
        if obj.get(f"{{{NS['xsi']}}}type") == "file" and obj.findtext(
                "p:objectCharacteristics/p:fixity/p:messageDigestAlgorithm", namespaces=ns) != "SHA-256":
            problems.append(f"PREMIS: file object {obj.findtext('.//p:objectIdentifierValue', namespaces=ns)} "
                            "has no SHA-256 fixity")
    return problems


def file_digests(doc: etree._ElementTree) -> dict[str, str]:
    """package path -> SHA-256 of every file object that lies in the package."""
    ns = {"p": NS["premis"]}
    return {o.findtext("p:objectIdentifier/p:objectIdentifierValue", namespaces=ns):
            o.findtext("p:objectCharacteristics/p:fixity/p:messageDigest", namespaces=ns)
            for o in doc.iterfind("p:object", ns)
            if o.findtext("p:objectIdentifier/p:objectIdentifierType", namespaces=ns) == ID_TYPES["file"]}
