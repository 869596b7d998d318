"""``METS.xml`` documents following the E-ARK CSIP 2.1 profile: the package's root METS and the METS of its
representation (``representations/rep1/METS.xml``).

The root METS lists every file of the package except itself with its size, creation time and SHA-256: the EAD
in a ``dmdSec``, the PREMIS in the ``amdSec``, and the documentation, schemas and representation files (the
representation's METS and its data) in file groups ``Documentation``, ``Schemas`` and ``Representations/rep1``.
Its structural map is the CSIP one (``PHYSICAL``/``CSIP``: Metadata, Documentation, Schemas, Representations,
the last holding a ``Representations/<rep>`` division per representation that points (``mptr``) at its METS). A
representation's METS lists its ``data/`` files (file group ``Data``), paths relative to its folder. A
born-digital hồ sơ has two: ``rep1`` the signed originals (the preservation master), ``rep2`` their PDF/A-2b
access copies.
"""
from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from .schemas import NS
from .xmltree import q, sub

PROFILE = "https://earkcsip.dilcis.eu/profile/E-ARK-CSIP.xml"
CONTENT_CATEGORY = "Textual works – Digital"
CONTENT_INFORMATION_TYPE = "TT 05/2025/TT-BNV"
SOFTWARE = "sohoa"
SOFTWARE_VERSION = "1.0 (sohoa.handover)"
REPRESENTATION = "representations/rep1"
GROUPS = (("Documentation", "documentation/"), ("Schemas", "schemas/"))


@dataclass(frozen=True)
class Entry:
    """A file of the package as METS lists it."""
    href: str        # path inside the package, e.g. "representations/rep1/data/X.01.pdf"
    sha256: str
    size: int
    created: str     # ISO-8601, +07:00
    mimetype: str


def _mets(objid: str, label: str, package_type: str, agency: str, created: str, schemas: str) -> etree._Element:
    """A METS root element with the CSIP attributes and header (creator software, archivist agency)."""
    mets = etree.Element(q("mets:mets"), nsmap={None: NS["mets"], "csip": NS["csip"], "xlink": NS["xlink"],
                                               "xsi": NS["xsi"]})
    for name, value in (("OBJID", objid), ("LABEL", label), ("TYPE", CONTENT_CATEGORY), ("PROFILE", PROFILE)):
        mets.set(name, value)
    mets.set(q("csip:CONTENTINFORMATIONTYPE"), "OTHER")
    mets.set(q("csip:OTHERCONTENTINFORMATIONTYPE"), CONTENT_INFORMATION_TYPE)
    mets.set(q("xsi:schemaLocation"), f"{NS['mets']} {schemas}mets.xsd {NS['xlink']} {schemas}xlink.xsd "
                                      f"{NS['csip']} {schemas}DILCISExtensionMETS.xsd")
    header = sub(mets, "mets:metsHdr", CREATEDATE=created, LASTMODDATE=created, RECORDSTATUS="NEW")
    header.set(q("csip:OAISPACKAGETYPE"), package_type)
    creator = sub(header, "mets:agent", ROLE="CREATOR", TYPE="OTHER", OTHERTYPE="SOFTWARE")
    sub(creator, "mets:name", SOFTWARE)
    sub(creator, "mets:note", SOFTWARE_VERSION).set(q("csip:NOTETYPE"), "SOFTWARE VERSION")
    sub(sub(header, "mets:agent", ROLE="ARCHIVIST", TYPE="ORGANIZATION"), "mets:name", agency)
    return mets


def _group(file_sec: etree._Element, group_id: str, use: str, members: list[Entry], strip: str = "") -> None:
    group = sub(file_sec, "mets:fileGrp", ID=group_id, USE=use)
    group.set(q("csip:CONTENTINFORMATIONTYPE"), "OTHER")
    group.set(q("csip:OTHERCONTENTINFORMATIONTYPE"), CONTENT_INFORMATION_TYPE)
    for index, entry in enumerate(members, start=1):
        item = sub(group, "mets:file", ID=f"{group_id}-file-{index}", MIMETYPE=entry.mimetype, SIZE=entry.size,
                   CREATED=entry.created, CHECKSUM=entry.sha256, CHECKSUMTYPE="SHA-256")
        sub(item, "mets:FLocat", LOCTYPE="URL", xlink__type="simple", xlink__href=entry.href.removeprefix(strip))


def build_representation(*, package_id: str, package_type: str, agency: str, created: str,
                         data: list[Entry], rep: str = "rep1") -> etree._Element:
    """The representation's METS; ``data`` are its files (hrefs from the package root)."""
    mets = _mets(f"{package_id}/{rep}", f"Gói {package_type} {package_id} — biểu diễn {rep}", package_type, agency,
                 created, "../../schemas/")
    _group(sub(mets, "mets:fileSec", ID=f"filesec-{rep}"), "grp-data", "Data", data,
           strip=f"representations/{rep}/")
    struct = sub(mets, "mets:structMap", ID=f"structmap-{rep}", TYPE="PHYSICAL", LABEL="CSIP")
    root = sub(struct, "mets:div", ID=f"div-{rep}", LABEL=rep)
    sub(sub(root, "mets:div", ID="div-data", LABEL="Data"), "mets:fptr", FILEID="grp-data")
    return mets


def build(*, package_id: str, package_type: str, agency: str, created: str, ead: Entry, premis: Entry,
          files: list[Entry], representations: tuple[str, ...] = ("rep1",)) -> etree._Element:
    """The root METS; ``files`` are every documentation, schema and representation file (each representation's
    METS.xml among them)."""
    mets = _mets(package_id, f"Gói {package_type} {package_id}", package_type, agency, created, "schemas/")
    dmd = sub(mets, "mets:dmdSec", ID="dmd-ead", CREATED=created, STATUS="CURRENT")
    _md_ref(dmd, ead, "EAD")
    amd = sub(mets, "mets:amdSec", ID="amd")
    _md_ref(sub(amd, "mets:digiprovMD", ID="digiprov-premis", STATUS="CURRENT"), premis, "PREMIS")

    file_sec = sub(mets, "mets:fileSec", ID="filesec")
    groups = GROUPS + tuple((f"Representations/{rep}", f"representations/{rep}/") for rep in representations)
    group_ids = {use: f"grp-{number}" for number, (use, _) in enumerate(groups, start=1)}
    for use, prefix in groups:
        _group(file_sec, group_ids[use], use, [f for f in files if f.href.startswith(prefix)])

    struct = sub(mets, "mets:structMap", ID="structmap-csip", TYPE="PHYSICAL", LABEL="CSIP")
    root = sub(struct, "mets:div", ID="div-root", LABEL=package_id)
    sub(root, "mets:div", ID="div-metadata", LABEL="Metadata", DMDID="dmd-ead", ADMID="digiprov-premis")
    for label in ("Documentation", "Schemas"):
        sub(sub(root, "mets:div", ID=f"div-{label.lower()}", LABEL=label), "mets:fptr", FILEID=group_ids[label])
    reps = sub(root, "mets:div", ID="div-representations", LABEL="Representations")
    for rep in representations:
        sub(reps, "mets:fptr", FILEID=group_ids[f"Representations/{rep}"])
    for rep in representations:
        div = sub(reps, "mets:div", ID=f"div-{rep}", LABEL=f"Representations/{rep}")
        sub(div, "mets:mptr", LOCTYPE="URL", xlink__type="simple", xlink__href=f"representations/{rep}/METS.xml",
            xlink__title=group_ids[f"Representations/{rep}"])
    return mets


def _md_ref(parent: etree._Element, entry: Entry, mdtype: str) -> None:
    sub(parent, "mets:mdRef", LOCTYPE="URL", xlink__type="simple", xlink__href=entry.href, MDTYPE=mdtype,
        MIMETYPE=entry.mimetype, SIZE=entry.size, CREATED=entry.created, CHECKSUM=entry.sha256,
        CHECKSUMTYPE="SHA-256")


def referenced_files(doc: etree._ElementTree) -> dict[str, tuple[str, int, str]]:
    """href -> (checksum, size, checksum type) of every file and metadata reference in a METS document."""
    ns = {"m": NS["mets"]}
    href = f"{{{NS['xlink']}}}href"
    found = {}
    for ref in doc.iterfind(".//m:mdRef", ns):
        found[ref.get(href)] = (ref.get("CHECKSUM"), int(ref.get("SIZE", -1)), ref.get("CHECKSUMTYPE"))
    for item in doc.iterfind(".//m:file", ns):
        for loc in item.iterfind("m:FLocat", ns):
            found[loc.get(href)] = (item.get("CHECKSUM"), int(item.get("SIZE", -1)), item.get("CHECKSUMTYPE"))
    return found
