"""What the vendor's tool does: validate locally, upload resumably with the vendor's own credentials, read
the verdict. Nothing here needs the catalogue."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from .. import storage
from ..errors import SohoaError
from ..intake.manifest import COMPLETE, MANIFEST, REPORT_JSON, REPORT_TXT, parse, pending_key
from ..intake.source import LocalBatch
from ..intake.validate import Verdict, validate_batch


class VendorError(SohoaError):
    """A vendor-side problem; the message is Vietnamese and says what to do."""


@dataclass(frozen=True)
class UploadResult:
    vendor: str
    batch_id: str
    uploaded: int
    skipped: int
    bytes_sent: int


def known_vendor(vendor: str) -> str:
    """``vendor`` when it has upload keys in the settings; otherwise a :class:`VendorError` naming those that do
    (or saying that ``nop-luu``, the agencies' born-digital inbox, is no vendor)."""
    from ..config import settings

    if vendor == storage.BORN_DIGITAL_INBOX:
        raise VendorError(f"'{vendor}' là thư mục nộp lưu hồ sơ điện tử của các cơ quan, không phải tên nhà thầu; "
                          "kiểm tra lại tên nhà thầu (--vendor)")
    vendors = settings().vendors
    if vendor not in vendors:
        raise VendorError(f"Nhà thầu {vendor!r} chưa được cấp khóa tải lên; các nhà thầu đã đăng ký: "
                          f"{', '.join(vendors) or 'chưa có'}. Kiểm tra lại tên nhà thầu (--vendor)")
    return vendor


def batch_identity(folder: Path) -> tuple[str | None, str]:
    """(vendor, batch_id) as the folder's manifest states them; the folder name when it cannot be read."""
    path = Path(folder) / MANIFEST
    manifest = parse(path.read_bytes())[0] if path.exists() else None
    return (manifest["vendor"], manifest["batch_id"]) if manifest else (None, Path(folder).name)


def validate_folder(folder: Path, *, vendor: str | None = None, batch_id: str | None = None,
                    workers: int = 2, progress: bool = False) -> Verdict:
    """Check a batch folder with the server's rules (duplicates against the catalogue excepted)."""
    stated_vendor, stated_batch = batch_identity(folder)
    source = LocalBatch(folder)
    with tqdm(total=len(set(source.files()) - {MANIFEST}), unit="tệp", disable=not progress,
              desc="Kiểm tra") as bar:
        return validate_batch(source, vendor=vendor or stated_vendor or "", batch_id=batch_id or stated_batch,
                              workers=workers, progress=bar.update)


def upload_batch(folder: Path, *, vendor: str, s3=None, force: bool = False, progress: bool = True,
                 workers: int = 2, complete: bool = True) -> UploadResult:
    """Upload a batch folder to ``inbox/<vendor>/<batch_id>/`` and mark it complete.

    Validates first and refuses a batch that would be rejected (unless ``force``). Every object goes up with
    its SHA-256; an object already there with the same SHA-256 is skipped and an interrupted multipart upload
    resumes, so running the command again after a failure sends only what is missing. ``_COMPLETE`` is
    written last (``complete=False`` leaves the batch unmarked, e.g. to hand it to intake by other means).
    """
    folder = Path(folder)
    _, batch_id = batch_identity(folder)
    verdict = validate_folder(folder, vendor=vendor, batch_id=batch_id, workers=workers, progress=progress)
    if verdict.rejected and not force:
        raise VendorError(f"Lô {batch_id} chưa đạt yêu cầu ({len(verdict.rejected)} tệp bị từ chối); chạy "
                          f"'sohoa vendor validate {folder}' để xem lỗi, sửa rồi tải lên lại")
    s3 = s3 or storage.client(identity=vendor)
    prefix = storage.batch_prefix(vendor, batch_id)
    files = LocalBatch(folder).files()
    names = sorted(set(files) - {MANIFEST}) + ([MANIFEST] if MANIFEST in files else [])
    uploaded = skipped = sent = 0
    with tqdm(total=sum(files.values()), unit="B", unit_scale=True, disable=not progress, desc="Tải lên") as bar:
        for name in names:
            with open(folder / name, "rb") as fh:
                digest, size = storage.sha256_of(storage.file_chunks(fh))
            if storage.stored_sha256(s3, storage.INBOX, prefix + name) == digest:
                skipped += 1
                bar.update(size)
                continue
            with open(folder / name, "rb") as fh:
                storage.upload_chunks(s3, storage.INBOX, prefix + name, storage.file_chunks(fh), size=size,
                                      sha256_hex=digest, on_bytes=bar.update)
            uploaded += 1
            sent += size
    if not complete:
        return UploadResult(vendor, batch_id, uploaded, skipped, sent)
    marker = {"vendor": vendor, "batch_id": batch_id, "files": len(names),
              "manifest_sha256": storage.sha256_of([(folder / MANIFEST).read_bytes()])[0]}
    storage.put_bytes(s3, storage.INBOX, prefix + COMPLETE, json.dumps(marker).encode(),
                      content_type="application/json")
    storage.put_bytes(s3, storage.INBOX, pending_key(vendor, batch_id), json.dumps(marker).encode(),
                      content_type="application/json")  # the poll's index: intake finds the batch without a scan
    return UploadResult(vendor, batch_id, uploaded, skipped, sent)


def batch_status(vendor: str, batch_id: str, *, s3=None) -> tuple[str, dict | None]:
    """(Vietnamese summary, report document or None) of a batch, read with the vendor's credentials.

    Raises :class:`VendorError` when nothing of the batch is in the inbox."""
    s3 = s3 or storage.client(identity=vendor)
    prefix = storage.batch_prefix(vendor, batch_id)
    if storage.stored_sha256(s3, storage.INBOX, prefix + REPORT_JSON) is not None:
        text = s3.get_object(Bucket=storage.INBOX, Key=prefix + REPORT_TXT)["Body"].read().decode("utf-8")
        document = json.loads(s3.get_object(Bucket=storage.INBOX, Key=prefix + REPORT_JSON)["Body"].read())
        return text, document
    if storage.stored_sha256(s3, storage.INBOX, prefix + COMPLETE) is not None:
        return f"Lô {batch_id}: đã tải lên đủ, đang chờ kiểm tra tiếp nhận.\n", None
    if not s3.list_objects_v2(Bucket=storage.INBOX, Prefix=prefix, MaxKeys=1).get("KeyCount"):
        raise VendorError(f"Không có lô {batch_id} của nhà thầu {vendor} trên kho (chưa tải lên tệp nào); kiểm tra "
                          f"lại mã lô, hoặc tải lô lên bằng 'sohoa vendor upload <thư mục lô> --vendor {vendor}'")
    return (f"Lô {batch_id}: chưa hoàn tất tải lên (chưa có tệp {COMPLETE}); chạy "
            f"'sohoa vendor upload' để tải tiếp.\n", None)
