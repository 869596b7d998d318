"""Copy catalogued objects to the backup endpoint and prove each copy; rebuild a primary object from its copy.

Both directions stream through this process (the two endpoints are independent servers) and upload with the
SHA-256 the catalogue holds: :func:`sohoa.storage.upload_chunks` refuses to complete an upload whose source does
not hash to it, and each stored copy is read back and hashed before it counts. Masters keep their object lock
on both sides.
"""
from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass

from .. import storage
from ..catalogue.db import transaction
from ..catalogue.events import Event, record_event, record_events
from ..fixity.check import Target, check_object, targets
from . import BackupError

log = logging.getLogger(__name__)
AGENT = "sohoa.backup"


@dataclass
class ReplicationReport:
    copied: int
    bytes: int
    seconds: float

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


def replicate(conn, primary, backup, *, endpoint: str, prefix: str | None = None,
              buckets: tuple[str, ...] = storage.BACKED_UP, jobs: int = 4, agent: str = AGENT) -> ReplicationReport:
    """Copy every catalogued object of ``buckets`` (under ``prefix``) that has no verified replica of its
    current bytes on ``endpoint``; record a ``replication`` event and a ``replica`` row per copy. Idempotent.
    Raises ChecksumMismatch when a primary object no longer matches the catalogue (nothing is copied for it)."""
    with transaction(conn) as cur:
        todo = targets(cur, prefix=prefix, buckets=buckets, not_replicated_to=endpoint)
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        copies = list(pool.map(lambda t: (t, _stream(primary, t, backup)), todo))
    with transaction(conn) as cur:
        for target, stored in copies:
            cur.execute(
                """INSERT INTO replica (bucket, key, sha256, size_bytes, endpoint, version_id)
                   VALUES (%s, %s, %s, %s, %s, %s)
                   ON CONFLICT (bucket, key, endpoint) DO UPDATE SET sha256 = EXCLUDED.sha256,
                       size_bytes = EXCLUDED.size_bytes, version_id = EXCLUDED.version_id, replicated_at = now()""",
                (target.bucket, target.key, target.sha256, stored.size, endpoint, stored.version_id))
        record_events(cur, [Event("replication", t.object_type, t.object_id, agent, "success",
                                  {"to": endpoint, "bucket": t.bucket, "key": t.key, "sha256": t.sha256,
                                   "replica_version_id": s.version_id, "fixity": "verified after copy"})
                            for t, s in copies])
    report = ReplicationReport(len(copies), sum(s.size for _, s in copies), time.monotonic() - started)
    log.info("replicated %d objects (%.1f MB) to %s in %.1f s", report.copied, report.bytes / 1e6, endpoint,
             report.seconds)
    return report


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
