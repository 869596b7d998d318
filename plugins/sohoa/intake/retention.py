"""The inbox's lifecycle rule: a judged batch leaves the inbox ``RETENTION_DAYS`` after its verdict.

By then every byte it brought is kept elsewhere, verified by SHA-256 — accepted pages locked in masters, rejected
files in quarantine — and its verdict is in the catalogue for ever; the vendor has had the time to read its
report. So the inbox holds the batches of the last ``RETENTION_DAYS`` days, not every batch ever uploaded, and
the intake sweep's listing (one request per 1,000 folders) stays bounded by the rate of deliveries.

What is expired: the objects under ``inbox/<vendor>/<batch_id>/`` last written before the cut-off, then the
batch's done-index entry once its folder is empty (SeaweedFS drops the emptied folders themselves from its
listings minutes later, with its empty-folder cleaner). Never a held batch (an operator needs it), never a file
written since the cut-off (a vendor sending the batch id again), never ``inbox/nop-luu/`` (agencies' submissions).

Not an S3 lifecycle configuration: a prefix cannot tell a judged batch's folder from a new one's, and on SeaweedFS
4.48 (``weed mini`` as the stack runs it, checked December 2026) PutBucketLifecycleConfiguration is accepted and
read back but sets nothing on the objects — no location rule in the filer's configuration, ``ttlSec`` 0 on an
object written under the rule's prefix afterwards. Whether such objects would ever expire is unproven (a rule's
shortest period, one day, is beyond a test).
"""
from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass

from .. import storage
from ..errors import StorageError
from .manifest import DONE, done_key

log = logging.getLogger(__name__)

# The vendor reads its report within days (the vendor tool waits for it); a month leaves room for a dispute.
RETENTION_DAYS = 30
DELETE_BATCH = 1000  # keys per DeleteObjects request, S3's limit


@dataclass(frozen=True)
class Expired:
    batches: int
    objects: int

    def as_dict(self) -> dict:
        return {"batches": self.batches, "objects": self.objects}


def expire_judged(s3, *, days: int = RETENTION_DAYS, now: dt.datetime | None = None) -> Expired:
    """Remove from the inbox what judged batches left there more than ``days`` ago (see the module doc)."""
    cutoff = (now or dt.datetime.now(dt.timezone.utc)) - dt.timedelta(days=days)
    paginator = s3.get_paginator("list_objects_v2")
    batches = objects = 0
    vendors = [p["Prefix"] for page in paginator.paginate(Bucket=storage.INBOX, Delimiter="/")
               for p in page.get("CommonPrefixes", [])]
    for vendor_prefix in vendors:
        vendor = vendor_prefix.rstrip("/")
        if vendor == storage.BORN_DIGITAL_INBOX:
            continue
        for page in paginator.paginate(Bucket=storage.INBOX, Prefix=f"{vendor_prefix}{DONE}/"):
            for entry in page.get("Contents", []):
                batch_id = entry["Key"][len(vendor_prefix) + len(DONE) + 1:].split("/", 1)[0]
                if entry["LastModified"] >= cutoff or entry["Key"] != done_key(vendor, batch_id) \
                        or _held(s3, entry["Key"]):
                    continue
                removed, left = _expire_folder(s3, paginator, storage.batch_prefix(vendor, batch_id), cutoff)
                objects += removed
                if not left:
                    s3.delete_object(Bucket=storage.INBOX, Key=entry["Key"])
                    batches += 1
                    log.info("inbox: %s/%s expired %d days after its verdict (%d objects)", vendor, batch_id,
                             days, removed)
    return Expired(batches, objects)


def _held(s3, key: str) -> bool:
    body = s3.get_object(Bucket=storage.INBOX, Key=key)["Body"]
    try:
        return json.loads(body.read()).get("verdict") == "held"
    finally:
        body.close()


def _expire_folder(s3, paginator, prefix: str, cutoff: dt.datetime) -> tuple[int, int]:
    """Delete the objects under ``prefix`` last written before ``cutoff``: (deleted, left)."""
    old, left = [], 0
    for page in paginator.paginate(Bucket=storage.INBOX, Prefix=prefix):
        for obj in page.get("Contents", []):
            if obj["LastModified"] < cutoff:
                old.append(obj["Key"])
            else:
                left += 1
    for start in range(0, len(old), DELETE_BATCH):
        answer = s3.delete_objects(Bucket=storage.INBOX, Delete={
            "Objects": [{"Key": key} for key in old[start:start + DELETE_BATCH]], "Quiet": True})
        if answer.get("Errors"):
            raise StorageError(f"inbox expiry of {prefix}: {len(answer['Errors'])} objects not deleted, "
                                       f"first {answer['Errors'][0]}")
    return len(old), left
