"""Copy catalogued objects to the backup endpoint and prove each copy; rebuild a primary object from its copy.

Both directions stream through this process (the two endpoints are independent servers) and upload with the
SHA-256 the catalogue holds: :func:`sohoa.storage.upload_chunks` refuses to complete an upload whose source does
not hash to it, and each stored copy is read back and hashed before it counts. Masters keep their object lock
on both sides. Each copy is recorded as soon as it is proven, so one object that cannot be copied costs only
itself; a copy already on the backup with the catalogue's bytes is recorded, never written again (a locked
bucket would keep a second 100-year version of it).
"""
from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field

import botocore.exceptions

from .. import storage
from ..catalogue.db import transaction
from ..catalogue.events import Event, record_event
from ..fixity.check import Target, check_object, targets
from . import BackupError

log = logging.getLogger(__name__)
AGENT = "sohoa.backup"


class ReplicationIncomplete(BackupError):
    """Some objects could not be copied; every other one was copied and recorded. The message lists them."""


@dataclass
class ReplicationReport:
    """``copied``: objects written to the backup by this run; ``found``: already there with the catalogue's
    bytes (recorded, not written again); ``failed``: ``s3://bucket/key: error`` of each object left out."""
    copied: int
    bytes: int
    seconds: float
    found: int = 0
    failed: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def _stream(source, target: Target, destination) -> storage.Stored:
    """Copy one object (the catalogued version) from ``source`` to ``destination`` and verify it there."""
    extra = {"VersionId": target.version_id} if target.version_id else {}
    body = source.get_object(Bucket=target.bucket, Key=target.key, **extra)
    lock = storage.lock_arguments() if target.bucket == storage.MASTERS else None
    try:
        stored = storage.upload_chunks(destination, target.bucket, target.key,
                                       body["Body"].iter_chunks(storage.PART_SIZE), size=body["ContentLength"],
                                       sha256_hex=target.sha256, extra=lock)
    finally:
        body["Body"].close()
    digest, size = storage.read_sha256(destination, target.bucket, target.key, stored.version_id)
    if digest != target.sha256:
        raise storage.ChecksumMismatch(f"s3://{target.bucket}/{target.key} (version {stored.version_id}) reads back "
                                       f"as sha256 {digest}, expected {target.sha256}")
    return stored


def _held(backup, target: Target) -> storage.Stored | None:
    """The backup's current version of ``target`` when it already holds the catalogue's bytes (re-read)."""
    if storage.stored_sha256(backup, target.bucket, target.key) != target.sha256:
        return None
    head = backup.head_object(Bucket=target.bucket, Key=target.key)
    digest, size = storage.read_sha256(backup, target.bucket, target.key, head.get("VersionId"))
    if digest != target.sha256:
        return None
    return storage.Stored(target.bucket, target.key, digest, size, head.get("VersionId"), False)


def _replicate_one(primary, target: Target, backup) -> storage.Stored:
    return _held(backup, target) or _stream(primary, target, backup)


# What can go wrong with one object (its primary unreadable or changed, the backup refusing it); the backup or
# the catalogue being unreachable still stops the run.
_ONE_OBJECT = (storage.StorageError, botocore.exceptions.ClientError, botocore.exceptions.ResponseStreamingError,
               botocore.exceptions.IncompleteReadError)


def replicate(conn, primary, backup, *, endpoint: str, prefix: str | None = None,
              buckets: tuple[str, ...] = storage.BACKED_UP, jobs: int = 4, agent: str = AGENT) -> ReplicationReport:
    """Copy every catalogued object of ``buckets`` (under ``prefix``) that has no verified replica of its
    current bytes on ``endpoint``; record a ``replication`` event and a ``replica`` row for each as soon as its
    copy is proven. Idempotent. An object that cannot be copied (its primary unreadable or not matching the
    catalogue: nothing is copied for it) gets a failed ``replication`` event; the others go on, then
    :class:`ReplicationIncomplete` names every one left out."""
    with transaction(conn) as cur:
        todo = targets(cur, prefix=prefix, buckets=buckets, not_replicated_to=endpoint)
    started = time.monotonic()
    report = ReplicationReport(0, 0, 0.0)
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(_replicate_one, primary, t, backup): t for t in todo}
        for future in as_completed(futures):
            target = futures[future]
            try:
                stored = future.result()
            except _ONE_OBJECT as exc:
                report.failed.append(f"s3://{target.bucket}/{target.key}: {type(exc).__name__}: {exc}"[:500])
                with transaction(conn) as cur:
                    record_event(cur, Event("replication", target.object_type, target.object_id, agent, "failure",
                                            {"to": endpoint, "bucket": target.bucket, "key": target.key,
                                             "error": report.failed[-1]}))
                continue
            _record_replica(conn, target, stored, endpoint, agent)
            report.copied += stored.written
            report.found += not stored.written
            report.bytes += stored.size if stored.written else 0
    report.seconds = time.monotonic() - started
    log.info("replicated %d objects (%.1f MB) to %s in %.1f s; %d already there, %d failed", report.copied,
             report.bytes / 1e6, endpoint, report.seconds, report.found, len(report.failed))
    if report.failed:
        raise ReplicationIncomplete(f"replication to {endpoint}: {len(report.failed)} of {len(todo)} objects not "
                                    f"copied ({report.copied} copied, {report.found} already there):\n  "
                                    + "\n  ".join(report.failed[:50]))
    return report


def _record_replica(conn, target: Target, stored: storage.Stored, endpoint: str, agent: str) -> None:
    with transaction(conn) as cur:
        cur.execute(
            """INSERT INTO replica (bucket, key, sha256, size_bytes, endpoint, version_id)
               VALUES (%s, %s, %s, %s, %s, %s)
               ON CONFLICT (bucket, key, endpoint) DO UPDATE SET sha256 = EXCLUDED.sha256,
                   size_bytes = EXCLUDED.size_bytes, version_id = EXCLUDED.version_id, replicated_at = now()""",
            (target.bucket, target.key, target.sha256, stored.size, endpoint, stored.version_id))
        record_event(cur, Event("replication", target.object_type, target.object_id, agent, "success",
                                {"to": endpoint, "bucket": target.bucket, "key": target.key,
                                 "sha256": target.sha256, "replica_version_id": stored.version_id,
                                 "fixity": "verified after copy" if stored.written else "verified, already there",
                                 "written_now": stored.written}))


def restore(conn, primary, backup, bucket: str, key: str, *, endpoint: str, force: bool = False,
            agent: str = AGENT) -> dict:
    """Rebuild ``bucket/key`` on the primary from its replica when it is missing or no longer matches the
    catalogue (or always, with ``force``). For masters the restored bytes are a new (locked) version and
    ``trang.master_version_id`` points at it. Records a ``recovery`` event. Raises :class:`BackupError` when
    the object is not catalogued or has no replica, and ChecksumMismatch when the replica is damaged too."""
    with transaction(conn) as cur:
        found = [t for t in targets(cur, prefix=key, buckets=(bucket,)) if t.key == key]
        cur.execute("SELECT sha256 FROM replica WHERE bucket = %s AND key = %s AND endpoint = %s",
                    (bucket, key, endpoint))
        replica = cur.fetchone()
    if not found:
        raise BackupError(f"Không khôi phục được s3://{bucket}/{key}: đối tượng không có trong cơ sở dữ liệu")
    target = found[0]
    if replica is None or replica[0] != target.sha256:
        raise BackupError(f"Không khôi phục được s3://{bucket}/{key}: chưa có bản sao dự phòng đã kiểm chứng trên "
                          f"{endpoint}")
    before = check_object(primary, target).status
    if before == "ok" and not force:
        return {"bucket": bucket, "key": key, "status": "intact"}
    stored = _stream(backup, Target(bucket, key, None, target.sha256, target.object_type, target.object_id),
                     primary)
    with transaction(conn) as cur:
        if bucket == storage.MASTERS:
            cur.execute("UPDATE trang SET master_version_id = %s WHERE master_key = %s", (stored.version_id, key))
        record_event(cur, Event("recovery", target.object_type, target.object_id, agent, "success",
                                {"bucket": bucket, "key": key, "from": endpoint, "sha256": target.sha256,
                                 "was": before, "version_id": stored.version_id}))
    return {"bucket": bucket, "key": key, "status": "restored", "was": before, "version_id": stored.version_id}
