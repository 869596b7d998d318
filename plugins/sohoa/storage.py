"""The S3 layer every part of sohoa uses: one way to get a client, checksummed puts, verified copies, key names.

Buckets (``BUCKETS``, each name declared here once): ``inbox`` (vendors' deliveries, ``<vendor>/<batch_id>/…``;
agencies' electronic hồ sơ under ``BORN_DIGITAL_INBOX``, ``nop-luu/<agency>/<submission_id>/…``), ``quarantine``
(rejected bytes, same layout), ``masters`` (accepted page images, versioned and object-locked,
``<ma_ho_so>/<page:04d>.<ext>``), ``derivatives`` and ``exports``; ``BACKED_UP`` are those with a second
copy on the backup S3.

Every object sohoa writes carries its SHA-256 twice: as the S3 checksum the server verifies on receipt, and as
user metadata ``sha256`` (hex) that later writers compare against to skip work already done. A verified copy
re-reads what was stored and hashes it before it reports success.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

import boto3
import botocore.config
import botocore.exceptions

from .config import settings
from .errors import ChecksumMismatch, SourceChanged, StorageError

log = logging.getLogger(__name__)

INBOX, QUARANTINE, MASTERS, DERIVATIVES, EXPORTS = "inbox", "quarantine", "masters", "derivatives", "exports"
BUCKETS = (INBOX, QUARANTINE, MASTERS, DERIVATIVES, EXPORTS)
BACKED_UP = (MASTERS, DERIVATIVES)
PART_SIZE = 16 * 1024 * 1024
MASTERS_RETENTION_YEARS = 100
PIPELINE = "pipeline"
# inbox/nop-luu/<agency>/<submission_id>/: agencies' electronic hồ sơ (sohoa.born_digital). No vendor may be
# named so: its keys would reach every agency's submissions, and intake would read them as its batches.
BORN_DIGITAL_INBOX = "nop-luu"


def client(*, identity: str = PIPELINE):
    """A boto3 S3 client with the credentials of ``identity`` from the settings: ``"pipeline"``, ``"admin"`` or a
    vendor name from ``settings().vendors``. (Airflow tasks use :func:`sohoa.dagkit.s3` instead: credentials from
    the connection ``sohoa_s3``.)
    """
    cfg = settings()
    if identity == PIPELINE:
        key, secret = cfg.s3_pipeline_key, cfg.s3_pipeline_secret
    elif identity == "admin":
        key, secret = cfg.s3_admin_key, cfg.s3_admin_secret
    elif identity in cfg.vendors:
        key, secret = cfg.vendor_key(identity), cfg.vendor_secret(identity)
    else:
        raise StorageError(f"unknown S3 identity {identity!r}: expected pipeline, admin or one of {cfg.vendors}")
    return s3_client(cfg, key, secret)


def s3_client(cfg, access_key: str, secret_key: str):
    """A boto3 S3 client for ``cfg``'s endpoint with these keys: path-style, bounded retries and timeouts."""
    return boto3.client(
        "s3", endpoint_url=cfg.s3_endpoint, region_name=cfg.s3_region,
        aws_access_key_id=access_key, aws_secret_access_key=secret_key,
        # sohoa checks SHA-256 itself wherever bytes matter; botocore hashing every download again only costs time
        config=botocore.config.Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3},
                                      connect_timeout=3, read_timeout=60,
                                      response_checksum_validation="when_required"),
    )


# ---- keys -------------------------------------------------------------------------------------------------

def batch_prefix(vendor: str, batch_id: str) -> str:
    """The prefix of one delivery, in ``inbox`` and in ``quarantine``."""
    return f"{vendor}/{batch_id}/"


def master_key(ma_ho_so: str, page: int, ext: str) -> str:
    """Key of a page image in ``masters``: ``<ma_ho_so>/<page:04d>.<ext>`` (ext lower-case, no dot)."""
    return f"{ma_ho_so}/{page:04d}.{ext.lower().lstrip('.')}"


# ---- checksums ------------------------------------------------------------------------------------------

def b64_sha256(hex_digest: str) -> str:
    """The base64 form S3 uses for ``ChecksumSHA256``."""
    return base64.b64encode(bytes.fromhex(hex_digest)).decode()


def sha256_of(chunks: Iterable[bytes]) -> tuple[str, int]:
    """(hex SHA-256, size) of a stream of chunks."""
    digest, size = hashlib.sha256(), 0
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def file_chunks(fh: BinaryIO, size: int = PART_SIZE) -> Iterator[bytes]:
    while chunk := fh.read(size):
        yield chunk


def _code(exc: botocore.exceptions.ClientError) -> str:
    return exc.response.get("Error", {}).get("Code", "")


def stored_sha256(s3, bucket: str, key: str) -> str | None:
    """The ``sha256`` metadata of the current version of an object, or None when there is no object."""
    try:
        head = s3.head_object(Bucket=bucket, Key=key)
    except botocore.exceptions.ClientError as exc:
        if _code(exc) in {"404", "NoSuchKey", "NotFound"}:
            return None
        raise
    return head.get("Metadata", {}).get("sha256", "")


def read_sha256(s3, bucket: str, key: str, version_id: str | None = None) -> tuple[str, int]:
    """Stream an object (one version of it) and return (hex SHA-256, size) of what is stored."""
    extra = {"VersionId": version_id} if version_id else {}
    body = s3.get_object(Bucket=bucket, Key=key, **extra)["Body"]
    try:
        return sha256_of(body.iter_chunks(PART_SIZE))
    finally:
        body.close()


def lock_arguments(now: dt.datetime | None = None) -> dict:
    """Object-lock arguments for masters: COMPLIANCE retention for ``MASTERS_RETENTION_YEARS``.

    Nobody can delete a locked version, shorten its retention or change its mode before then — not the pipeline,
    not the admin identity, not with ``BypassGovernanceRetention`` (SeaweedFS 4.48 enforces COMPLIANCE; under
    GOVERNANCE the admin with the bypass header could). A new version over the key is not refused (S3 semantics);
    fixity checks every key's current version.
    """
    now = now or dt.datetime.now(dt.timezone.utc)
    return {"ObjectLockMode": "COMPLIANCE",
            "ObjectLockRetainUntilDate": now.replace(year=now.year + MASTERS_RETENTION_YEARS)}


# ---- writing ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Stored:
    """Result of a write: where it went, the version created (None if unversioned), whether bytes moved."""
    bucket: str
    key: str
    sha256: str
    size: int
    version_id: str | None
    written: bool


def put_bytes(s3, bucket: str, key: str, body: bytes, *, content_type: str = "application/octet-stream",
              extra: dict | None = None) -> Stored:
    """Put a small object with its SHA-256 as S3 checksum and as ``sha256`` metadata."""
    digest = hashlib.sha256(body).hexdigest()
    response = s3.put_object(Bucket=bucket, Key=key, Body=body, ChecksumSHA256=b64_sha256(digest),
                             ContentType=content_type, Metadata={"sha256": digest}, **(extra or {}))
    return Stored(bucket, key, digest, len(body), response.get("VersionId"), True)


def _find_upload(s3, bucket: str, key: str) -> str | None:
    uploads = s3.list_multipart_uploads(Bucket=bucket, Prefix=key).get("Uploads", [])
    mine = [u for u in uploads if u["Key"] == key]
    return max(mine, key=lambda u: u["Initiated"])["UploadId"] if mine else None


def upload_chunks(s3, bucket: str, key: str, chunks: Iterable[bytes], *, size: int, sha256_hex: str,
                  extra: dict | None = None, on_bytes: Callable[[int], object] = lambda n: None) -> Stored:
    """Upload an object given as chunks of ``PART_SIZE`` bytes (the last may be shorter).

    Objects up to one part go up in one checksummed PUT. Larger ones go up as a multipart upload with a
    SHA-256 checksum on every part, resumable: an unfinished upload of the same key is reused and each part
    whose size and MD5 ETag already match is skipped. ``sha256_hex`` is the whole object's digest (metadata).
    """
    extra = extra or {}
    if size <= PART_SIZE:
        body = b"".join(chunks)
        _require(hashlib.sha256(body).hexdigest(), sha256_hex, bucket, key)
        stored = put_bytes(s3, bucket, key, body, extra=extra)
        on_bytes(size)
        return stored
    upload_id = _find_upload(s3, bucket, key)
    existing: dict[int, dict] = {}
    if upload_id:
        pages = s3.get_paginator("list_parts").paginate(Bucket=bucket, Key=key, UploadId=upload_id)
        existing = {p["PartNumber"]: p for page in pages for p in page.get("Parts", [])}
        log.info("resuming multipart upload of s3://%s/%s: %d parts already there", bucket, key, len(existing))
    else:
        upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key, ChecksumAlgorithm="SHA256",
                                               Metadata={"sha256": sha256_hex}, **extra)["UploadId"]
    parts, whole = [], hashlib.sha256()
    for number, chunk in enumerate(chunks, start=1):
        whole.update(chunk)
        checksum = base64.b64encode(hashlib.sha256(chunk).digest()).decode()
        have = existing.get(number)
        if have and have["Size"] == len(chunk) and have["ETag"].strip('"') == hashlib.md5(chunk).hexdigest():
            etag = have["ETag"]
        else:
            etag = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=chunk,
                                  ChecksumSHA256=checksum)["ETag"]
        parts.append({"PartNumber": number, "ETag": etag, "ChecksumSHA256": checksum})
        on_bytes(len(chunk))
    _require(whole.hexdigest(), sha256_hex, bucket, key)
    done = s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id,
                                        MultipartUpload={"Parts": parts})
    return Stored(bucket, key, sha256_hex, size, done.get("VersionId"), True)


def _require(actual: str, expected: str, bucket: str, key: str) -> None:
    if actual != expected:
        raise SourceChanged(f"s3://{bucket}/{key}: the source hashes to sha256 {actual}, expected {expected}; "
                               "nothing was stored")


def copy_verified(s3, src_bucket: str, src_key: str, dst_bucket: str, dst_key: str, *,
                  sha256_hex: str | None = None, extra: dict | None = None, replace: bool = False) -> Stored:
    """Copy one object by streaming it through this process, then prove the copy by re-reading it.

    Idempotent: when the destination already holds an object whose ``sha256`` metadata equals the source's
    digest, nothing is written (``written=False``), so a versioned bucket never gets a second version.
    ``sha256_hex`` is the digest the source must have (None: read the source once to learn it). Raises
    :class:`ChecksumMismatch` when the source or the stored copy does not hash as expected, and
    :class:`StorageError` when the destination holds different bytes under the same key (unless ``replace``:
    for unversioned holding areas such as quarantine, where the newer bytes then take the key's place).
    """
    source = s3.head_object(Bucket=src_bucket, Key=src_key)
    size = source["ContentLength"]
    expected = sha256_hex or read_sha256(s3, src_bucket, src_key)[0]
    present = stored_sha256(s3, dst_bucket, dst_key)
    if present == expected:
        head = s3.head_object(Bucket=dst_bucket, Key=dst_key)
        return Stored(dst_bucket, dst_key, expected, size, head.get("VersionId"), False)
    if present and not replace:
        raise StorageError(f"s3://{dst_bucket}/{dst_key} already holds different bytes (sha256 {present}); "
                           f"refusing to overwrite with s3://{src_bucket}/{src_key} (sha256 {expected})")
    body = s3.get_object(Bucket=src_bucket, Key=src_key)["Body"]
    try:
        stored = upload_chunks(s3, dst_bucket, dst_key, body.iter_chunks(PART_SIZE), size=size,
                               sha256_hex=expected, extra=extra)
    finally:
        body.close()
    check, check_size = read_sha256(s3, dst_bucket, dst_key, stored.version_id)
    if (check, check_size) != (expected, size):
        raise ChecksumMismatch(f"s3://{dst_bucket}/{dst_key} (version {stored.version_id}) reads back as "
                               f"sha256 {check} / {check_size} bytes, expected {expected} / {size}")
    return stored
