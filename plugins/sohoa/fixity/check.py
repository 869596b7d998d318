"""Re-read stored objects and compare their SHA-256 with the catalogue (see the package docstring)."""
from __future__ import annotations

import datetime as dt
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field

import botocore.exceptions
import psycopg2.extras

from .. import storage
from ..catalogue.db import transaction
from ..catalogue.events import Event, record_events

log = logging.getLogger(__name__)
AGENT = "sohoa.fixity"

# Every stored object the catalogue knows a SHA-256 for, with the catalogue object it belongs to.
TARGETS_SQL = """
WITH target AS (
    SELECT 'masters' AS bucket, t.master_key AS key, t.master_version_id AS version_id, t.sha256::text AS sha256,
           'trang' AS object_type, t.master_key AS object_id
    FROM trang t
    UNION ALL
    SELECT 'derivatives', d.value ->> 'key', NULL, d.value ->> 'sha256', 'trang', t.master_key
    FROM trang t, jsonb_each(t.derivative_keys) d
    WHERE d.value ? 'sha256'
    UNION ALL
    -- text versions an archivist's correction replaced (the current one is in trang.derivative_keys above)
    SELECT 'derivatives', d.value ->> 'key', NULL, d.value ->> 'sha256', 'trang', t.master_key
    FROM trang_text_version v JOIN trang t ON t.id = v.trang_id, jsonb_each(v.derivative_keys) d
    WHERE v.version <> t.text_version AND d.value ? 'sha256'
    UNION ALL
    SELECT coalesce(p.value ->> 'bucket', 'derivatives'), p.value ->> 'key', NULL, p.value ->> 'sha256', 'ho_so',
           h.ma_ho_so
    FROM ho_so h, jsonb_each(h.pdf_keys) p
    UNION ALL
    -- born-digital: attachments (masters) and PDF/A-2b access copies (derivatives); originals are in pdf_keys
    SELECT 'masters', f.master_key, f.master_version_id, f.sha256::text, 'ho_so', h.ma_ho_so
    FROM born_digital_file f JOIN ho_so h ON h.id = f.ho_so_id WHERE f.role = 'attachment'
    UNION ALL
    SELECT 'derivatives', f.rendition_key, NULL, f.rendition_sha256::text, 'ho_so', h.ma_ho_so
    FROM born_digital_file f JOIN ho_so h ON h.id = f.ho_so_id WHERE f.rendition_key IS NOT NULL
    UNION ALL
    SELECT 'exports', hp.export_key, NULL, hp.sha256::text, 'ho_so', h.ma_ho_so
    FROM handover_package hp JOIN ho_so h ON h.id = hp.ho_so_id
)
SELECT target.bucket, target.key, target.version_id, target.sha256, target.object_type, target.object_id
FROM target LEFT JOIN fixity_state s ON s.bucket = target.bucket AND s.key = target.key
WHERE (%(prefix)s::text IS NULL OR target.key LIKE %(prefix)s || '%%')
  AND (%(buckets)s::text[] IS NULL OR target.bucket = ANY(%(buckets)s))
  AND (%(replica)s::text IS NULL OR NOT EXISTS (
        SELECT 1 FROM replica r WHERE r.bucket = target.bucket AND r.key = target.key
                                  AND r.endpoint = %(replica)s AND r.sha256 = target.sha256))
ORDER BY s.last_checked_at NULLS FIRST, target.bucket, target.key
LIMIT %(limit)s"""


@dataclass(frozen=True)
class Target:
    bucket: str
    key: str
    version_id: str | None
    sha256: str
    object_type: str
    object_id: str


# S3 answers a damaged object (a volume file whose bytes no longer pass the server's own CRC) with a 5xx, or
# breaks off while streaming it; botocore has already retried it (3 attempts) by the time either reaches us.
UNREADABLE_CODES = {"InternalError", "500", "502", "503", "ServiceUnavailable"}
MISSING_CODES = {"404", "NoSuchKey", "NoSuchVersion", "NotFound"}


@dataclass(frozen=True)
class Finding:
    """The outcome of one check: ``ok``, ``mismatch``, ``missing``, ``unreadable`` or — for a versioned master
    whose catalogued version is intact — ``overwritten`` (its current version is another's bytes or a delete
    marker, so a plain read gets something else); ``error`` says why."""
    target: Target
    status: str
    found_sha256: str | None
    size: int
    error: str | None = None

    def message(self) -> str:
        where = f"s3://{self.target.bucket}/{self.target.key}"
        if self.status == "missing":
            return f"{where}: đối tượng không còn trong kho lưu trữ (mất) — catalogue SHA-256 {self.target.sha256}"
        if self.status == "unreadable":
            return f"{where}: không đọc được đối tượng (hỏng trên đĩa?): {self.error}"
        if self.status == "overwritten":
            return (f"{where}: phiên bản hiện tại không phải bản đã lưu trữ ({self.error}; SHA-256 "
                    f"{self.found_sha256 or '—'}, cơ sở dữ liệu {self.target.sha256})")
        return f"{where}: SHA-256 {self.found_sha256} khác với cơ sở dữ liệu {self.target.sha256}"


@dataclass
class FixityReport:
    checked: int = 0
    bytes: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    uncatalogued: int = 0

    @property
    def mb_per_s(self) -> float:
        return self.bytes / 1e6 / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict:
        return asdict(self) | {"mb_per_s": round(self.mb_per_s, 1)}


def targets(cur, *, limit: int | None = None, prefix: str | None = None, buckets: tuple[str, ...] | None = None,
            not_replicated_to: str | None = None) -> list[Target]:
    """Stored objects the catalogue holds a SHA-256 for: all (``limit`` None) or the ``limit`` checked longest
    ago; ``prefix`` limits keys (e.g. one hồ sơ's ``<mã hồ sơ>/``), ``buckets`` the buckets, and
    ``not_replicated_to`` (a backup endpoint) leaves out objects whose current bytes already have a replica there."""
    cur.execute(TARGETS_SQL, {"limit": limit, "prefix": prefix, "buckets": list(buckets) if buckets else None,
                              "replica": not_replicated_to})
    return [Target(*row) for row in cur.fetchall()]


def check_object(s3, target: Target) -> Finding:
    """Stream one object (the catalogued version, for masters) and hash it. An object the server cannot serve
    (5xx, a stream broken off) is ``unreadable`` — damage to report, not a reason to stop checking the others;
    a server that cannot be reached at all still raises."""
    try:
        digest, size = storage.read_sha256(s3, target.bucket, target.key, target.version_id)
    except botocore.exceptions.ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in MISSING_CODES:
            return Finding(target, "missing", None, 0)
        if code in UNREADABLE_CODES or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) >= 500:
            return Finding(target, "unreadable", None, 0, f"S3 {code or 'error'}: {exc}"[:500])
        raise
    except (botocore.exceptions.ResponseStreamingError, botocore.exceptions.IncompleteReadError) as exc:
        return Finding(target, "unreadable", None, 0, f"{type(exc).__name__}: {exc}"[:500])
    if digest != target.sha256:
        return Finding(target, "mismatch", digest, size)
    return _current_version(s3, target, size) if target.version_id else Finding(target, "ok", digest, size)


def _current_version(s3, target: Target, size: int) -> Finding:
    """Whether the current version of a versioned key is still the catalogued bytes."""
    try:
        head = s3.head_object(Bucket=target.bucket, Key=target.key)
    except botocore.exceptions.ClientError as exc:
        if exc.response.get("Error", {}).get("Code", "") in MISSING_CODES:
            return Finding(target, "overwritten", None, size, "phiên bản hiện tại là dấu xóa (delete marker)")
        raise
    if head.get("VersionId") in (None, target.version_id):
        return Finding(target, "ok", target.sha256, size)
    digest, _ = storage.read_sha256(s3, target.bucket, target.key, head["VersionId"])
    if digest == target.sha256:
        return Finding(target, "ok", digest, size)
    return Finding(target, "overwritten", digest, size, f"phiên bản {head['VersionId']}")


# Keys of masters that no catalogue row names (a chunk of a listing at a time, by the unique key indexes).
UNCATALOGUED_SQL = """
SELECT k FROM unnest(%(keys)s::text[]) AS k
WHERE NOT EXISTS (SELECT 1 FROM trang t WHERE t.master_key = k)
  AND NOT EXISTS (SELECT 1 FROM born_digital_file f WHERE f.master_key = k)
  AND NOT (k = ANY(%(recorded)s::text[]))"""


def uncatalogued_masters(conn, s3, *, prefix: str | None = None) -> list[str]:
    """Every key of masters (its current version) under ``prefix`` that the catalogue does not know — written
    behind the pipeline's back — except pages an interrupted intake locked in before their hồ sơ was rejected
    (recorded in their batch item as ``in_masters``)."""
    with transaction(conn) as cur:
        cur.execute("SELECT facts->'in_masters'->>'key' FROM batch_item WHERE facts ? 'in_masters'")
        recorded = [row[0] for row in cur.fetchall()]
    found = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=storage.MASTERS, Prefix=prefix or ""):
        keys = [obj["Key"] for obj in page.get("Contents", [])]
        if keys:
            with transaction(conn) as cur:
                cur.execute(UNCATALOGUED_SQL, {"keys": keys, "recorded": recorded})
                found += [row[0] for row in cur.fetchall()]
    return found


def run_fixity(conn, s3, *, limit: int | None = None, prefix: str | None = None, jobs: int = 4,
               agent: str = AGENT, every_key: bool = False) -> FixityReport:
    """Check the selected objects with ``jobs`` parallel readers; record one ``fixity check`` event per object
    and the state the rotating sample reads; with ``every_key``, also list masters (under ``prefix``) for keys
    the catalogue does not know (reported as problems; no catalogue object to hang an event on). Returns the
    report (problems in Vietnamese, one line each); raising is the caller's choice
    (:func:`sohoa.fixity.alerts.raise_on_problems`)."""
    with transaction(conn) as cur:
        chosen = targets(cur, limit=limit, prefix=prefix)
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        findings = list(pool.map(lambda t: check_object(s3, t), chosen))
    unknown = uncatalogued_masters(conn, s3, prefix=prefix) if every_key else []
    report = FixityReport(checked=len(findings), bytes=sum(f.size for f in findings),
                          seconds=time.monotonic() - started,
                          problems=[f.message() for f in findings if f.status != "ok"]
                          + [f"s3://{storage.MASTERS}/{key}: đối tượng không có trong cơ sở dữ liệu (không rõ ai đã "
                             "ghi vào kho ảnh gốc)" for key in unknown],
                          uncatalogued=len(unknown))
    now = dt.datetime.now(dt.timezone.utc)
    with transaction(conn) as cur:
        record_events(cur, [Event("fixity check", f.target.object_type, f.target.object_id, agent,
                                  "success" if f.status == "ok" else "failure",
                                  {"bucket": f.target.bucket, "key": f.target.key, "version_id": f.target.version_id,
                                   "expected_sha256": f.target.sha256, "found_sha256": f.found_sha256,
                                   "status": f.status, "size": f.size, "error": f.error}) for f in findings])
        psycopg2.extras.execute_values(
            cur, """INSERT INTO fixity_state (bucket, key, last_checked_at, last_outcome) VALUES %s
                    ON CONFLICT (bucket, key) DO UPDATE SET last_checked_at = EXCLUDED.last_checked_at,
                                                            last_outcome = EXCLUDED.last_outcome""",
            list({(f.target.bucket, f.target.key): (f.target.bucket, f.target.key, now,
                                                    "success" if f.status == "ok" else "failure")
                  for f in findings}.values()), page_size=1000)
    log.info("fixity: %d objects, %.1f MB in %.1f s (%.0f MB/s), %d problems", report.checked, report.bytes / 1e6,
             report.seconds, report.mb_per_s, len(report.problems))
    return report
