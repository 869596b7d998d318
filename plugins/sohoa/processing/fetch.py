"""Reading stored objects back to local files, with their SHA-256 checked against the catalogue's."""
from __future__ import annotations

import hashlib
from pathlib import Path

import botocore.exceptions

from .. import storage


def download_verified(s3, bucket: str, key: str, path: Path, sha256: str, *, version_id: str | None = None) -> Path:
    """Stream ``bucket/key`` (a given version, if any) to ``path``; raise ChecksumMismatch unless it hashes to
    ``sha256``, and StorageError when the object cannot be read (missing, refused). On a mismatch the partial
    file is removed."""
    extra = {"VersionId": version_id} if version_id else {}
    try:
        body = s3.get_object(Bucket=bucket, Key=key, **extra)["Body"]
    except botocore.exceptions.ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "?")
        raise storage.StorageError(f"s3://{bucket}/{key}: cannot be read ({code})") from exc
    digest = hashlib.sha256()
    with open(path, "wb") as fh:
        for chunk in iter(lambda: body.read(1 << 20), b""):
            digest.update(chunk)
            fh.write(chunk)
    if digest.hexdigest() != sha256:
        path.unlink(missing_ok=True)
        raise storage.ChecksumMismatch(
            f"s3://{bucket}/{key}: SHA-256 {digest.hexdigest()} differs from the catalogue's {sha256}")
    return path
