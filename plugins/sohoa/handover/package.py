"""Build one E-ARK CSIP package (SIP or AIP) of a unit, validate it, and zip it for transfer.

Tree (root folder = package id = METS ``OBJID``)::

    <id>/METS.xml
    <id>/metadata/descriptive/EAD.xml
    <id>/metadata/preservation/PREMIS.xml
    <id>/representations/rep1/METS.xml          (the representation's own METS, listing its data)
    <id>/representations/rep1/data/<mã hồ sơ>.<STT>.pdf
    <id>/representations/rep2/METS.xml, data/<mã hồ sơ>.<STT>.pdf   (born-digital only: the PDF/A-2b access copies)
    <id>/schemas/{mets,xlink,DILCISExtensionMETS,ead,premis}.xsd
    <id>/documentation/danh_muc_van_ban.csv

PDFs are streamed from where ``ho_so.pdf_keys`` says (``derivatives``, or ``masters`` for born-digital
originals) and must hash to the catalogue's SHA-256, else the package is refused. A born-digital original is
rep1 and marked the preservation master; its access copy (``pdf_keys[stt].rendition``) is rep2.
A package is zipped only after :func:`sohoa.handover.validate.problems` finds nothing wrong with its tree.
"""
from __future__ import annotations

import csv
import hashlib
import io
import shutil
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .. import storage
from ..processing.fetch import download_verified
from . import HandoverError, PackageInvalid, ead, mets, premis
from .records import Unit, iso
from .schemas import XSD_DIR
from .validate import problems
from .xmltree import write

PACKAGE_TYPES = ("SIP", "AIP")
SCHEMAS = {"mets.xsd": XSD_DIR / "mets" / "mets.xsd", "xlink.xsd": XSD_DIR / "mets" / "xlink.xsd",
           "DILCISExtensionMETS.xsd": XSD_DIR / "mets" / "DILCISExtensionMETS.xsd",
           "ead.xsd": XSD_DIR / "ead" / "ead.xsd", "premis.xsd": XSD_DIR / "premis" / "premis.xsd"}
MIMETYPES = {".pdf": "application/pdf", ".xml": "application/xml", ".xsd": "application/xml", ".csv": "text/csv"}
DATA = "representations/rep1/data"
ACCESS_DATA = "representations/rep2/data"


@dataclass(frozen=True)
class Package:
    """A built, validated, zipped package."""
    package_id: str
    package_type: str
    level: str
    ma_ho_so: str
    van_ban_ids: tuple[int, ...]
    zip_path: Path
    sha256: str
    size: int
    file_count: int


def package_id(unit: Unit, package_type: str) -> str:
    """``<SIP|AIP>-<mã hồ sơ or mã lưu trữ>``: the root folder, the zip's name and the METS OBJID."""
    return f"{package_type}-{unit.identifier}"


def build_package(s3, unit: Unit, package_type: str, out_dir: Path, *, download_jobs: int = 4) -> Package:
    """Build, validate and zip the package of ``unit`` under ``out_dir`` (the tree is removed afterwards).

    Raises :class:`HandoverError` when a PDF is missing or its bytes no longer match the catalogue, and
    :class:`PackageInvalid` when the built package breaks a rule (XSD, CSIP, checksums, structure).
    """
    if package_type not in PACKAGE_TYPES:
        raise HandoverError(f"package type must be one of {PACKAGE_TYPES}, not {package_type!r}")
    pid = package_id(unit, package_type)
    root = out_dir / pid
    shutil.rmtree(root, ignore_errors=True)
    (root / DATA).mkdir(parents=True)
    created = iso()
    try:
        content = _fetch_pdfs(s3, unit, root, download_jobs)
        copies = _fetch_access_copies(s3, unit, root, content)
        entries, reps = [], ("rep1", "rep2") if copies else ("rep1",)
        for rep, files in zip(reps, (content, copies)):
            data = [mets.Entry(f.href, f.sha256, f.size, created, MIMETYPES[".pdf"]) for f in files]
            entries += data + [_xml(root, f"representations/{rep}/METS.xml", mets.build_representation(
                package_id=pid, package_type=package_type, agency=unit.ho_so["agency_ten"], created=created,
                data=data, rep=rep), created)]
        entries += [_put(root, f"schemas/{name}", source.read_bytes(), created) for name, source in SCHEMAS.items()]
        entries.append(_put(root, "documentation/danh_muc_van_ban.csv", _document_list(unit, content), created))
        ead_entry = _xml(root, "metadata/descriptive/EAD.xml",
                         ead.build(unit, {f.stt: f.href for f in content}), created)
        premis_entry = _xml(root, "metadata/preservation/PREMIS.xml",
                            premis.build(unit, content + copies, package_id=pid, created=created), created)
        write(mets.build(package_id=pid, package_type=package_type, agency=unit.ho_so["agency_ten"],
                         created=created, ead=ead_entry, premis=premis_entry, files=entries, representations=reps),
              root / "METS.xml")
        found = problems(root)
        if found:
            raise PackageInvalid(pid, found)
        zip_path = out_dir / f"{pid}.zip"
        digest, size, count = _zip(root, zip_path)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return Package(pid, package_type, unit.level, unit.ho_so["ma_ho_so"], tuple(v["id"] for v in unit.van_ban),
                   zip_path, digest, size, count)


def _fetch_pdfs(s3, unit: Unit, root: Path, jobs: int) -> list[premis.PackageFile]:
    def fetch(row: dict) -> premis.PackageFile:
        href = f"{DATA}/{row['pdf_key'].rsplit('/', 1)[-1]}"
        path = _download(s3, unit, row["pdf_bucket"], row["pdf_key"], root / href, row["pdf_sha256"])
        if row["pdf_bucket"] == storage.DERIVATIVES:
            return premis.PackageFile(href, row["pdf_sha256"], path.stat().st_size, row["stt"])
        return premis.PackageFile(href, row["pdf_sha256"], path.stat().st_size, row["stt"], "PDF",
                                  role="preservation master")

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(fetch, unit.van_ban))


def _fetch_access_copies(s3, unit: Unit, root: Path, originals: list[premis.PackageFile]) -> list[premis.PackageFile]:
    """The PDF/A-2b access copies of born-digital originals (rep2), each derived from its rep1 original."""
    source = {f.stt: f.href for f in originals}
    copies = []
    for row in unit.van_ban:
        if row.get("rendition_key"):
            href = f"{ACCESS_DATA}/{row['pdf_key'].rsplit('/', 1)[-1]}"
            path = _download(s3, unit, row["rendition_bucket"], row["rendition_key"], root / href,
                             row["rendition_sha256"])
            copies.append(premis.PackageFile(href, row["rendition_sha256"], path.stat().st_size, row["stt"],
                                             role="access copy", source=source[row["stt"]]))
    return copies


def _download(s3, unit: Unit, bucket: str, key: str, target: Path, sha256: str) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        return download_verified(s3, bucket, key, target, sha256)
    except storage.ChecksumMismatch as exc:
        raise HandoverError(f"Hồ sơ {unit.ho_so['ma_ho_so']}: từ chối lập gói vì tệp {key} đã bị "
                            f"thay đổi (SHA-256 không khớp với cơ sở dữ liệu) — {exc}") from exc
    except storage.StorageError as exc:  # missing or unreadable (download_verified names the S3 error)
        raise HandoverError(f"Hồ sơ {unit.ho_so['ma_ho_so']}: từ chối lập gói vì thiếu tệp "
                            f"s3://{bucket}/{key} — {exc}") from exc


def _put(root: Path, href: str, data: bytes, created: str) -> mets.Entry:
    path = root / href
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return mets.Entry(href, hashlib.sha256(data).hexdigest(), len(data), created, MIMETYPES[path.suffix])


def _xml(root: Path, href: str, element, created: str) -> mets.Entry:
    data = write(element, root / href)
    return mets.Entry(href, hashlib.sha256(data).hexdigest(), len(data), created, MIMETYPES[".xml"])


def _document_list(unit: Unit, content: list[premis.PackageFile]) -> bytes:
    """The văn bản of the package as a CSV an archivist can open (UTF-8 with BOM for spreadsheet programs)."""
    by_stt = {f.stt: f for f in content}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["STT", "Mã lưu trữ", "Tên loại", "Số, ký hiệu", "Ngày tháng năm", "Cơ quan ban hành",
                     "Trích yếu nội dung", "Số trang", "Tệp", "SHA-256"])
    for row in unit.van_ban:
        writer.writerow([row["stt"], row["ma_luu_tru"], row["ten_loai"], row["so_ky_hieu"] or "",
                         f"{row['ngay_ban_hanh']:%d/%m/%Y}", row["co_quan_ban_hanh"], row["trich_yeu"],
                         row["so_trang"] or row["trang_cuoi"] - row["trang_dau"] + 1,
                         by_stt[row["stt"]].href, by_stt[row["stt"]].sha256])
    return out.getvalue().encode("utf-8-sig")


def _zip(root: Path, zip_path: Path) -> tuple[str, int, int]:
    """Zip the tree under one root folder (PDFs stored, XML deflated); return (SHA-256, size, file count)."""
    files = sorted(p for p in root.rglob("*") if p.is_file())
    tmp = zip_path.with_suffix(".zip.part")
    with zipfile.ZipFile(tmp, "w", allowZip64=True) as archive:
        for path in files:
            method = zipfile.ZIP_STORED if path.suffix == ".pdf" else zipfile.ZIP_DEFLATED
            archive.write(path, f"{root.name}/{path.relative_to(root).as_posix()}", compress_type=method)
    tmp.replace(zip_path)
    with open(zip_path, "rb") as fh:
        digest, size = storage.sha256_of(storage.file_chunks(fh))
    return digest, size, len(files)
