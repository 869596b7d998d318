"""Check a package: its tree (CSIP structure rules), its checksums, its XML against the official XSDs, and its
METS against the E-ARK CSIP Schematron rules.

Structure rules implemented here (E-ARK CSIP 2.1, "CSIPSTR"): one root folder named as the METS ``OBJID``
(STR1/STR2); ``METS.xml`` at the root (STR4); ``metadata/descriptive`` and ``metadata/preservation`` (STR5–7);
``representations/<rep>/data`` with at least one file (STR9–11); ``schemas`` (STR15) and ``documentation``
(STR16); plus TT 05/2025's ``EAD.xml`` and ``PREMIS.xml`` names. Every file of the tree but METS.xml must be
listed in METS with its size and SHA-256, and every listed file must exist and match. METS and PREMIS times
must be ISO-8601 in +07:00. A representation's own ``METS.xml`` is checked the same way against its folder.
"""
from __future__ import annotations

import hashlib
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from lxml import etree

from . import premis
from .mets import referenced_files
from .schemas import NS, csip_errors, xsd_errors

EAD_PATH = "metadata/descriptive/EAD.xml"
PREMIS_PATH = "metadata/preservation/PREMIS.xml"
REQUIRED_DIRS = ("metadata/descriptive", "metadata/preservation", "representations", "schemas", "documentation")


def problems(root: Path) -> list[str]:
    """Every violation found in the package tree at ``root`` (empty: the package is valid)."""
    found = []
    mets_path = root / "METS.xml"
    if not mets_path.is_file():
        return [f"CSIPSTR4: {root.name}/METS.xml is missing"]
    found += [f"CSIPSTR: {root.name}/{d}/ is missing" for d in REQUIRED_DIRS if not (root / d).is_dir()]
    reps = [d for d in (root / "representations").glob("*") if d.is_dir()]
    if not any((d / "data").is_dir() and any((d / "data").iterdir()) for d in reps):
        found.append("CSIPSTR9-11: no representations/<rep>/data folder with content")
    doc = _parse(mets_path, found)
    if doc is None:
        return found
    found += [f"METS XSD: {e}" for e in xsd_errors("mets", doc)]
    found += [f"CSIP rule {e}" for e in csip_errors(doc)]
    if doc.getroot().get("OBJID") != root.name:
        found.append(f"CSIPSTR1: root folder {root.name!r} differs from METS OBJID {doc.getroot().get('OBJID')!r}")
    found += _time_problems(doc)
    found += _checksum_problems(root, referenced_files(doc))
    for rep in reps:
        found += _representation_problems(rep)
    for path, kind in ((EAD_PATH, "ead"), (PREMIS_PATH, "premis")):
        if not (root / path).is_file():
            found.append(f"{path} is missing")
            continue
        sub_doc = _parse(root / path, found)
        if sub_doc is not None:
            found += [f"{kind.upper()} XSD: {e}" for e in xsd_errors(kind, sub_doc)]
            if kind == "premis":
                found += premis.linking_problems(sub_doc)
                found += _premis_digest_problems(root, sub_doc)
    return found


def _representation_problems(rep: Path) -> list[str]:
    """A representation's own METS (CSIPSTR12, a SHOULD): when present, XSD-valid and true to its data."""
    path = rep / "METS.xml"
    if not path.is_file():
        return []
    found: list[str] = []
    doc = _parse(path, found)
    if doc is None:
        return found
    where = f"{rep.parent.name}/{rep.name}/METS.xml"
    found += [f"{where} XSD: {e}" for e in xsd_errors("mets", doc)]
    found += [f"{where}: {p}" for p in _time_problems(doc) + _checksum_problems(rep, referenced_files(doc))]
    return found


def validate_zip(zip_path: Path) -> list[str]:
    """Unpack a zipped package to a temporary folder and check it; the zip must hold exactly one root folder."""
    with zipfile.ZipFile(zip_path) as archive:
        names = archive.namelist()
        roots = {PurePosixPath(n).parts[0] for n in names}
        unsafe = [n for n in names if n.startswith("/") or ".." in PurePosixPath(n).parts]
        if unsafe:
            return [f"zip holds unsafe paths: {unsafe[:5]}"]
        if len(roots) != 1:
            return [f"CSIPSTR1: the zip must hold one root folder, found {sorted(roots)[:5]}"]
        with tempfile.TemporaryDirectory(prefix="sohoa-check-") as tmp:
            archive.extractall(tmp)
            return problems(Path(tmp) / roots.pop())


def _parse(path: Path, found: list[str]) -> etree._ElementTree | None:
    try:
        return etree.parse(str(path), etree.XMLParser(no_network=True, resolve_entities=False, huge_tree=True))
    except etree.XMLSyntaxError as exc:
        found.append(f"{path.name} is not well-formed XML: {exc}")
        return None


def _time_problems(doc: etree._ElementTree) -> list[str]:
    ns = {"m": NS["mets"]}
    times = [(e.tag.rsplit("}", 1)[-1], a, e.get(a)) for e in doc.iter()
             for a in ("CREATEDATE", "LASTMODDATE", "CREATED") if e.get(a) is not None]
    return [f"METS: {tag}/@{attr} {value!r} is not ISO-8601 in +07:00" for tag, attr, value in times
            if not value.endswith("+07:00") or "T" not in value] + (
        [] if doc.find("m:metsHdr", ns) is not None else ["METS: metsHdr is missing"])


def _checksum_problems(root: Path, listed: dict[str, tuple[str, int, str]]) -> list[str]:
    found = []
    on_disk = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()} - {"METS.xml"}
    for href in sorted(on_disk - set(listed)):
        found.append(f"{href} is in the package but not listed in METS.xml")
    for href, (checksum, size, kind) in sorted(listed.items()):
        path = root / href
        if kind != "SHA-256":
            found.append(f"{href}: checksum type {kind!r}, expected SHA-256")
        if href not in on_disk:
            found.append(f"{href} is listed in METS.xml but not in the package")
            continue
        actual_size, actual = path.stat().st_size, _sha256(path)
        if actual_size != size or actual != checksum:
            found.append(f"{href}: SHA-256 {actual} / {actual_size} bytes, METS.xml says {checksum} / {size}")
    return found


def _premis_digest_problems(root: Path, doc: etree._ElementTree) -> list[str]:
    content = {p.relative_to(root).as_posix() for p in (root / "representations").glob("*/data/**/*") if p.is_file()}
    digests = premis.file_digests(doc)
    found = [f"{href} has no PREMIS object" for href in sorted(content - set(digests))]
    found += [f"{href}: PREMIS SHA-256 {digest} differs from the file's" for href, digest in sorted(digests.items())
              if href in content and _sha256(root / href) != digest]
    return found


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
