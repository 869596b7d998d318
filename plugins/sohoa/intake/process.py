"""Intake of one batch, end to end: validate → place bytes → register → report. Idempotent and resumable.

Each step leaves the batch in a state the next run continues from (``batch.status``):

* ``received``: validate the inbox copy and store the verdict with every item (one transaction);
* ``validated``: copy accepted pages to masters (object-locked) and rejected bytes to quarantine — a copy
  already in place with the same SHA-256 is not written again — then register the hồ sơ, văn bản and pages,
  where each item went, and their events (one transaction);
* ``stored``: write ``_REPORT.json``/``_REPORT.txt`` to the vendor's prefix and mark the batch ``done``;
* ``done``: rewrite the same report; nothing else changes.

A file the vendor replaces after validation (its bytes no longer hash as validated) takes the batch back to
``received``: it is validated again against what the inbox holds now, at most ``MAX_REVALIDATIONS`` times
per run, so the vendor always gets a verdict on the bytes that were really stored.

The ``_COMPLETE`` marker is removed last, so a batch whose marker is still there is not finished. A run that
fails records a ``failure`` event and re-raises; running again finishes the job. Retries are bounded: after
``MAX_FAILED_RUNS`` failures the batch is *held* — the vendor gets a report saying so (Vietnamese), the
marker is removed so that polls stop taking it, and the caller alerts the operators; a later run (the
operator's, or the vendor's new marker) starts counting again.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

import psycopg2

from .. import storage
from ..catalogue import batches, records
from ..catalogue.batches import Batch, Item
from ..catalogue.db import batch_lock, serialise_verdicts, transaction
from ..catalogue.events import Event, record_events
from ..errors import SohoaError, SourceChanged
from . import checks
from .manifest import COMPLETE, CONTROL_FILES, DONE, PENDING, REPORT_JSON, REPORT_TXT, done_key, pending_key
from .report import held_report_json, held_report_text, report_json, report_text
from .source import S3Batch
from .validate import in_parallel, validate_batch

log = logging.getLogger(__name__)

AGENT = "sohoa_intake"
# Files replaced while one run copies them; past this the vendor is still writing: the run fails (and is
# retried later) rather than validate the batch again and again.
MAX_REVALIDATIONS = 3
# Two DAG runs' worth of tries (retries=3: 4 tries a run); a fault that survives them needs a person.
MAX_FAILED_RUNS = 8
BATCH_ID = re.compile(r"[A-Za-z0-9._-]{1,100}")  # docs/batch-contract.md, section 1
HELD = "held"
Copier = Callable[..., storage.Stored]


class IntakeError(SohoaError):
    """Intake cannot proceed with a batch; the message names it."""


class BatchNotFound(IntakeError):
    """There is nothing under ``inbox/<vendor>/<batch_id>/``."""


class ClaimConflict(IntakeError):
    """Another batch claimed some of this batch's hồ sơ or pages while it was being validated; running again
    re-validates and rejects them with the reason."""


@dataclass(frozen=True)
class Outcome:
    """What became of a batch; counts are items (every file, the manifest included); ``written`` counts
    objects copied by this run (0 when everything was already in place). ``verdict`` is ``held`` when intake
    gave up retrying: ``failures`` and ``last_error`` then say why."""
    vendor: str
    batch_id: str
    verdict: str
    accepted: int
    rejected: int
    written: int
    failures: int = 0
    last_error: str | None = None


class CatalogueLookups:
    """The catalogue's answers to the duplicate rules, excluding the batch being validated."""

    def __init__(self, conn, batch_pk: int):
        self.conn, self.batch_pk = conn, batch_pk

    def page_owners(self, sha256s: list[str]) -> dict[str, str]:
        with transaction(self.conn) as cur:
            return records.page_owners(cur, sha256s, other_than_batch=self.batch_pk)

    def ho_so_owners(self, ma_ho_so: list[str]) -> dict[str, str]:
        with transaction(self.conn) as cur:
            return records.ho_so_owners(cur, ma_ho_so, other_than_batch=self.batch_pk)

    def batch_with_fingerprint(self, fingerprint: str) -> tuple[int, str] | None:
        with transaction(self.conn) as cur:
            return batches.accepted_batch_with_fingerprint(cur, fingerprint, other_than=self.batch_pk)


def run_intake(s3, conn, vendor: str, batch_id: str, *, agent: str = AGENT, copy: Copier = storage.copy_verified,
               workers: int = 2, copy_workers: int = 8) -> Outcome:
    """Take one batch from the inbox to its verdict; safe to run again at any point (see module doc).

    ``s3`` is the pipeline's client, ``conn`` a catalogue connection, ``copy`` the verified-copy function
    (replaceable to inject faults); ``workers`` threads check images (CPU), ``copy_workers`` threads copy
    (S3 round trips). Raises :class:`~sohoa.catalogue.db.BatchBusy` when another worker holds
    the batch, :class:`BatchNotFound` when the prefix is empty, :class:`IntakeError` for ``vendor`` ``nop-luu``
    (the born-digital inbox), and S3/database errors as they come.
    """
    if vendor == storage.BORN_DIGITAL_INBOX:
        raise IntakeError(f"{vendor}/{batch_id}: inbox/{vendor}/ holds agencies' born-digital submissions "
                          "(DAG sohoa_born_digital), not a vendor's batches")
    label = f"{vendor}/{batch_id}"
    with batch_lock(conn, vendor, batch_id):
        failures, last_error = _failures_since_held(conn, label)
        if failures >= MAX_FAILED_RUNS:
            return _hold(s3, conn, vendor, batch_id, agent, failures, last_error)
        try:
            return _run(s3, conn, vendor, batch_id, agent, copy, workers, copy_workers)
        except Exception as exc:
            _record_failure(conn, label, agent, exc)
            raise


def _failures_since_held(conn, label: str) -> tuple[int, str | None]:
    """(failed runs of the batch since it was last held, the last one's error)."""
    with transaction(conn) as cur:
        cur.execute(
            """SELECT count(*), (array_agg(detail->>'error' ORDER BY id DESC))[1] FROM event
               WHERE object_type = 'batch' AND object_id = %(label)s AND event_type = 'ingestion'
                 AND outcome = 'failure' AND NOT detail ? 'held'
                 AND id > coalesce((SELECT max(id) FROM event WHERE object_type = 'batch'
                                    AND object_id = %(label)s AND detail ? 'held'), 0)""", {"label": label})
        return cur.fetchone()


def _hold(s3, conn, vendor: str, batch_id: str, agent: str, failures: int, last_error: str | None) -> Outcome:
    """Stop retrying a batch that keeps failing: tell the vendor, stop the polls, leave the rest to people."""
    label = f"{vendor}/{batch_id}"
    log.error("intake of %s failed %d times (last: %s); batch held for an operator", label, failures, last_error)
    prefix = storage.batch_prefix(vendor, batch_id)
    storage.put_bytes(s3, storage.INBOX, prefix + REPORT_JSON,
                      held_report_json(vendor, batch_id, failures), content_type="application/json")
    storage.put_bytes(s3, storage.INBOX, prefix + REPORT_TXT,
                      held_report_text(vendor, batch_id, failures).encode("utf-8"),
                      content_type="text/plain; charset=utf-8")
    with transaction(conn) as cur:
        record_events(cur, [Event("ingestion", "batch", label, agent, "failure",
                                  {"held": True, "failures": failures, "last_error": last_error})])
    _unmark(s3, vendor, batch_id, HELD)
    return Outcome(vendor, batch_id, HELD, 0, 0, 0, failures, last_error)


def _record_failure(conn, label: str, agent: str, exc: Exception) -> None:
    log.error("intake of %s failed: %s: %s", label, type(exc).__name__, exc)
    try:
        conn.rollback()
        with transaction(conn) as cur:
            record_events(cur, [Event("ingestion", "batch", label, agent, "failure",
                                      {"error": f"{type(exc).__name__}: {exc}"[:2000]})])
    except psycopg2.Error as db_error:
        log.warning("could not record the failure of %s in the catalogue: %s", label, db_error)


def _run(s3, conn, vendor: str, batch_id: str, agent: str, copy: Copier, workers: int,
         copy_workers: int) -> Outcome:
    with transaction(conn) as cur:
        known = batches.get_batch(cur, vendor, batch_id) is not None
    prefix = storage.batch_prefix(vendor, batch_id)
    if not known and not s3.list_objects_v2(Bucket=storage.INBOX, Prefix=prefix, MaxKeys=1).get("KeyCount"):
        raise BatchNotFound(f"nothing under s3://{storage.INBOX}/{prefix}: no batch {vendor}/{batch_id}")
    with transaction(conn) as cur:
        batch = batches.register_batch(cur, vendor, batch_id, agent=agent)
    rerun = batch.status == "done"
    written = 0
    if rerun:
        written = _reject_resent(s3, conn, batch, agent)
    for revalidation in range(MAX_REVALIDATIONS + 1):
        if batch.status == "received":
            _validate(s3, conn, batch, agent, workers)
        with transaction(conn) as cur:
            batch = batches.get_batch(cur, vendor, batch_id)
            items = batches.items_of(cur, batch.pk)
        if batch.status != "validated":
            break
        try:
            written = _place_and_register(s3, conn, batch, items, agent, copy, copy_workers,
                                          revalidated=revalidation > 0)
            break
        except SourceChanged as exc:
            if revalidation == MAX_REVALIDATIONS:
                raise IntakeError(f"batch {batch.label}: files keep changing in the inbox ({exc}); "
                                  f"validated {MAX_REVALIDATIONS + 1} times in this run") from exc
            log.warning("intake of %s: a file changed after validation, validating again: %s", batch.label, exc)
            with transaction(conn) as cur:
                batches.reopen(cur, batch, reason=f"a file changed in the inbox after validation: {exc}",
                               agent=agent)
                batch = batches.get_batch(cur, vendor, batch_id)
    _write_report(s3, batch, items)
    with transaction(conn) as cur:
        if rerun:
            record_events(cur, [Event("ingestion", "batch", batch.label, agent,
                                      detail={"message": "batch already done; report rewritten, nothing else "
                                                         "changed" if not written else
                                              f"batch already done; {written} file(s) sent again rejected "
                                              "(batch_id_reused) and quarantined"})])
        else:
            batches.set_status(cur, batch.pk, "done")
            record_events(cur, [Event("accession", "batch", batch.label, agent,
                                      "success" if batch.verdict != "rejected" else "failure",
                                      {"verdict": batch.verdict, "report": REPORT_JSON})])
    _unmark(s3, vendor, batch_id, batch.verdict)
    accepted = sum(item.status == "accepted" for item in items)
    log.info("intake of %s: %s (%d accepted, %d rejected, %d objects written)", batch.label, batch.verdict,
             accepted, len(items) - accepted, written)
    return Outcome(vendor, batch_id, batch.verdict, accepted, len(items) - accepted, written)


def _reject_resent(s3, conn, batch: Batch, agent: str) -> int:
    """Files sent again to a batch that already has its verdict (a batch_id is used once): each is quarantined
    and rejected with the reason, beside the verdict that stands. Returns how many were quarantined now."""
    with transaction(conn) as cur:
        since = batches.resent_since(cur, batch)
    if since is None:
        return 0
    prefix = storage.batch_prefix(batch.vendor, batch.batch_id)
    resent = [(obj["Key"][len(prefix):], obj["Size"])
              for page in s3.get_paginator("list_objects_v2").paginate(Bucket=storage.INBOX, Prefix=prefix)
              for obj in page.get("Contents", [])
              if obj["Key"][len(prefix):] not in CONTROL_FILES and obj["LastModified"] > since]
    if not resent:
        return 0
    stamp = dt.datetime.now(dt.timezone.utc)
    tag = stamp.strftime("%Y%m%dT%H%M%S")
    items = []
    for name, size in resent:
        stored = storage.copy_verified(s3, storage.INBOX, prefix + name, storage.QUARANTINE,
                                       f"{prefix}_resent/{tag}/{name}", replace=True)
        item = Item(f"{checks.display_name(name)}#resent-{tag}", "file", sha256=stored.sha256, size_bytes=size,
                    facts={"resent_at": stamp.isoformat()}, quarantine_key=stored.key)
        item.reject("batch_id_reused", f"{checks.display_name(name)}: gửi lại sau khi lô {batch.batch_id} đã có kết "
                                       "quả tiếp nhận; mã lô chỉ dùng một lần — tệp này không được kiểm tra và "
                                       "không được lưu trữ. Nộp trang thay đổi trong một lô mới (batch_id mới).")
        items.append(item)
    log.warning("intake of %s: %d file(s) sent again after its verdict, rejected: %s", batch.label, len(items),
                [name for name, _ in resent][:10])
    with transaction(conn) as cur:
        batches.add_resent_items(cur, batch, items, agent=agent)
    return len(items)


def _validate(s3, conn, batch: Batch, agent: str, workers: int) -> None:
    verdict = validate_batch(S3Batch(s3, batch.vendor, batch.batch_id), vendor=batch.vendor, batch_id=batch.batch_id,
                             lookups=CatalogueLookups(conn, batch.pk), workers=workers)
    with transaction(conn) as cur:
        serialise_verdicts(cur)
        _require_unclaimed(cur, batch, verdict.items)
        agency_id = (records.register_agency(cur, verdict.manifest["co_quan"]["ma"], verdict.manifest["co_quan"]["ten"])
                     if verdict.manifest else None)
        batches.store_verdict(cur, batch, verdict=verdict.verdict, items=verdict.items, manifest=verdict.manifest,
                              manifest_sha256=verdict.manifest_sha256, fingerprint=verdict.fingerprint,
                              duplicate_of=verdict.duplicate_of, agency_id=agency_id, agent=agent)


def _require_unclaimed(cur, batch: Batch, items: list[Item]) -> None:
    accepted = [item for item in items if item.kind == "page" and item.status == "accepted"]
    pages = records.page_owners(cur, [item.sha256 for item in accepted], other_than_batch=batch.pk)
    ho_so = records.ho_so_owners(cur, sorted({item.ma_ho_so for item in accepted}), other_than_batch=batch.pk)
    if pages or ho_so:
        raise ClaimConflict(f"batch {batch.label}: while it was validated another batch claimed hồ sơ "
                            f"{sorted(ho_so)[:5]} / {len(pages)} page(s); run again to re-validate")


def _destination(batch: Batch, item: Item) -> tuple[str, str, dict]:
    if item.status == "accepted" and item.kind == "page":
        key = storage.master_key(item.ma_ho_so, item.so_trang, checks.extension(item.name))
        return storage.MASTERS, key, storage.lock_arguments()
    return storage.QUARANTINE, storage.batch_prefix(batch.vendor, batch.batch_id) + item.name, {}


def _copy_arguments(bucket: str) -> dict:
    # quarantine is an unversioned holding area: a batch validated again replaces the bytes it quarantined
    return {"replace": True} if bucket == storage.QUARANTINE else {}


def _copied_before(s3, batch: Batch, items: list[Item]) -> dict[str, dict]:
    """Rejected pages of a batch validated again whose bytes an earlier attempt already put in masters (their
    hồ sơ was accepted then; a locked version cannot be taken back): ``{item name: {"in_masters": …}}``."""
    found = {}
    for item in items:
        if item.kind == "page" and item.status == "rejected" and item.present and item.ma_ho_so:
            key = storage.master_key(item.ma_ho_so, item.so_trang, checks.extension(item.name))
            if storage.stored_sha256(s3, storage.MASTERS, key) in {item.sha256, item.facts.get("declared_sha256")}:
                version = s3.head_object(Bucket=storage.MASTERS, Key=key).get("VersionId")
                found[item.name] = {"in_masters": {"key": key, "version_id": version}}
    return found


def _place_and_register(s3, conn, batch: Batch, items: list[Item], agent: str, copy: Copier,
                        workers: int, *, revalidated: bool = False) -> int:
    """Copy and register; ``revalidated``: the batch was validated again in this run, so pages now rejected
    may have reached masters before — they are recorded (item facts and an event), not left unaccounted."""
    prefix = storage.batch_prefix(batch.vendor, batch.batch_id)
    orphans = _copied_before(s3, batch, items) if revalidated else {}
    to_place = [item for item in items
                if item.present and (item.kind == "page" or item.status == "rejected")]

    def place(item: Item) -> tuple[Item, storage.Stored]:
        bucket, key, extra = _destination(batch, item)
        return item, copy(s3, storage.INBOX, prefix + item.name, bucket, key, sha256_hex=item.sha256, extra=extra,
                          **_copy_arguments(bucket))

    placed = list(in_parallel(place, ((item,) for item in to_place), workers))
    events = []
    for item, stored in placed:
        if stored.bucket == storage.MASTERS:
            item.master_key, item.master_version_id = stored.key, stored.version_id
        else:
            item.quarantine_key = stored.key
            events.append(Event("quarantine", "batch_item", f"{batch.label}/{item.name}", agent, "success",
                                {"bucket": stored.bucket, "key": stored.key, "sha256": stored.sha256,
                                 "written_now": stored.written, **orphans.get(item.name, {})}))
    accepted = [item for item, stored in placed if stored.bucket == storage.MASTERS]
    with transaction(conn) as cur:
        batches.record_placement(cur, batch.pk, [item for item, _ in placed])
        if orphans:
            log.warning("intake of %s: %d page(s) rejected on revalidation were already in masters: %s",
                        batch.label, len(orphans), sorted(v["in_masters"]["key"] for v in orphans.values())[:10])
            batches.add_facts(cur, batch.pk, orphans)
        if accepted:
            ho_so_ids = records.register_tree(cur, batch.manifest, batch_pk=batch.pk,
                                              ma_ho_so={item.ma_ho_so for item in accepted})
            ids = batches.item_ids(cur, batch.pk)
            rows = [records.PageRow(
                ho_so_id=ho_so_ids[item.ma_ho_so], so_trang=item.so_trang, sha256=item.sha256,
                size_bytes=item.size_bytes, dpi=item.facts["dpi"], width=item.facts["width"],
                height=item.facts["height"], color_mode=item.facts["color_mode"], format=item.facts["format"],
                master_key=item.master_key, master_version_id=item.master_version_id, batch_item_id=ids[item.name],
                qc_flags=[flag["code"] for flag in item.flags]) for item in accepted]
            new = set(records.register_pages(cur, rows))
            events += [Event("replication", "trang", item.master_key, agent, "success",
                             {"from": f"{storage.INBOX}/{prefix}{item.name}", "version_id": item.master_version_id,
                              "sha256": item.sha256, "fixity": "verified after copy",
                              "written_now": stored.written, "batch": batch.label})
                       for item, stored in placed if item.sha256 in new]
            events += [Event("ingestion", "ho_so", ma, agent, detail={"batch": batch.label})
                       for ma in sorted(ho_so_ids)]
        batches.set_status(cur, batch.pk, "stored")
        record_events(cur, events)
    return sum(stored.written for _, stored in placed)


def _write_report(s3, batch: Batch, items: list[Item]) -> None:
    prefix = storage.batch_prefix(batch.vendor, batch.batch_id)
    storage.put_bytes(s3, storage.INBOX, prefix + REPORT_JSON,
                      report_json(batch.vendor, batch.batch_id, batch.verdict, items),
                      content_type="application/json")
    storage.put_bytes(s3, storage.INBOX, prefix + REPORT_TXT,
                      report_text(batch.vendor, batch.batch_id, batch.verdict, items).encode("utf-8"),
                      content_type="text/plain; charset=utf-8")


def _unmark(s3, vendor: str, batch_id: str, verdict: str) -> None:
    """The batch is finished with: it enters the done index, then its ``_COMPLETE`` marker goes, then its entry
    in the pending index (a run stopped in between is found again through the pending index)."""
    _index_done(s3, vendor, batch_id, verdict)
    s3.delete_object(Bucket=storage.INBOX, Key=storage.batch_prefix(vendor, batch_id) + COMPLETE)
    s3.delete_object(Bucket=storage.INBOX, Key=pending_key(vendor, batch_id))


def _index_done(s3, vendor: str, batch_id: str, verdict: str) -> None:
    storage.put_bytes(s3, storage.INBOX, done_key(vendor, batch_id), json.dumps({"verdict": verdict}).encode(),
                      content_type="application/json")


def _pending(paginator, vendor_prefix: str) -> list[str]:
    """The batch ids in the vendor's pending index that are batch ids (the vendor can write there too)."""
    start = len(vendor_prefix) + len(PENDING) + 1
    return [obj["Key"][start:] for page in paginator.paginate(Bucket=storage.INBOX, Prefix=f"{vendor_prefix}{PENDING}/")
            for obj in page.get("Contents", []) if BATCH_ID.fullmatch(obj["Key"][start:])]


def _folders(paginator, prefix: str) -> list[str]:
    """The names of the folders directly under ``prefix`` (1,000 a request)."""
    return [p["Prefix"][len(prefix):].rstrip("/")
            for page in paginator.paginate(Bucket=storage.INBOX, Prefix=prefix, Delimiter="/")
            for p in page.get("CommonPrefixes", [])]


def complete_batches(s3, *, sweep: bool = False) -> list[dict]:
    """Every ``{"vendor", "batch_id"}`` waiting for intake.

    By default from the pending index (``<vendor>/_pending/``): one listing per vendor, whatever the number of
    batches ever uploaded. ``sweep`` also finds a ``_COMPLETE`` marker the pending index lacks (a batch uploaded
    without the vendor tool): it lists the vendor's folder names and its done index (``<vendor>/_done/``, 1,000
    names a request) and looks for the marker only in folders the done index does not name — one request per
    batch not yet judged, none per batch judged before. A batch id sent again after its verdict is found through
    the pending index only (docs/batch-contract.md).
    """
    found: dict[tuple[str, str], None] = {}
    paginator = s3.get_paginator("list_objects_v2")
    for vendor in _folders(paginator, ""):
        if vendor == storage.BORN_DIGITAL_INBOX:  # agencies' submissions, taken in by sohoa.born_digital
            continue
        vendor_prefix = f"{vendor}/"
        for batch_id in _pending(paginator, vendor_prefix):
            found[(vendor, batch_id)] = None
        if not sweep:
            continue
        judged = set(_folders(paginator, f"{vendor_prefix}{DONE}/"))
        for batch_id in _folders(paginator, vendor_prefix):
            if batch_id not in (PENDING, DONE) and batch_id not in judged and (vendor, batch_id) not in found \
                    and storage.stored_sha256(s3, storage.INBOX, f"{vendor_prefix}{batch_id}/{COMPLETE}") is not None:
                found[(vendor, batch_id)] = None
    return [{"vendor": vendor, "batch_id": batch_id} for vendor, batch_id in found]


def backfill_done_index(s3, conn) -> int:
    """One-off for batches judged before the done index existed: every batch folder in the inbox whose batch the
    catalogue has ``done`` gets its done-index entry, unless it has one or its ``_COMPLETE`` marker is there (a
    batch id sent again, or a run stopped before its end: intake writes the entry when it finishes). Idempotent;
    returns how many entries it wrote. Held batches are left alone (the catalogue does not mark them done)."""
    paginator = s3.get_paginator("list_objects_v2")
    written = 0
    for vendor in _folders(paginator, ""):
        if vendor == storage.BORN_DIGITAL_INBOX:
            continue
        with transaction(conn) as cur:
            done = batches.done_verdicts(cur, vendor)
        indexed = set(_folders(paginator, f"{vendor}/{DONE}/"))
        for batch_id in _folders(paginator, f"{vendor}/"):
            if batch_id in done and batch_id not in indexed and storage.stored_sha256(
                    s3, storage.INBOX, storage.batch_prefix(vendor, batch_id) + COMPLETE) is None:
                _index_done(s3, vendor, batch_id, done[batch_id])
                written += 1
    log.info("done index: %d entries written for batches judged before it existed", written)
    return written
