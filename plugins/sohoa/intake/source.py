"""Where a batch is read from: a local folder (the vendor's tool) or the inbox in S3 (the intake DAG).

Both list the batch's files as ``{relative name: size}`` (control files excluded) and read one file's bytes;
the validation rules see no difference.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

from .. import storage
from .manifest import CONTROL_FILES


class BatchSource(Protocol):
    def files(self) -> dict[str, int]: ...

    def read(self, name: str) -> bytes: ...


class LocalBatch:
    """A batch folder on disk. Symbolic links and special files are not part of a batch and are not listed."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def files(self) -> dict[str, int]:
        found = {}
        for folder, _dirs, names in os.walk(self.root):
            for name in names:
                path = Path(folder, name)
                if path.is_symlink() or not path.is_file():
                    continue
                relative = path.relative_to(self.root).as_posix()
                if relative not in CONTROL_FILES:
                    found[relative] = path.stat().st_size
        return found

    def read(self, name: str) -> bytes:
        return (self.root / name).read_bytes()


class S3Batch:
    """A batch under ``inbox/<vendor>/<batch_id>/`` (or another bucket with the same layout)."""

    def __init__(self, s3, vendor: str, batch_id: str, bucket: str = storage.INBOX):
        self.s3, self.bucket = s3, bucket
        self.prefix = storage.batch_prefix(vendor, batch_id)

    def files(self) -> dict[str, int]:
        found = {}
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix):
            for obj in page.get("Contents", []):
                relative = obj["Key"][len(self.prefix):]
                if relative not in CONTROL_FILES:
                    found[relative] = obj["Size"]
        return found

    def read(self, name: str) -> bytes:
        body = self.s3.get_object(Bucket=self.bucket, Key=self.prefix + name)["Body"]
        try:
            return body.read()
        finally:
            body.close()
