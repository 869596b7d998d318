"""Deliveries (``batch``) and what became of each file in them (``batch_item``).

A batch moves ``received`` → ``validated`` (verdict and items stored) → ``stored`` (accepted pages in masters,
rejected bytes in quarantine, records registered) → ``done`` (report written back to the vendor).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import psycopg2.extras

from .db import CatalogueError
from .events import Event, record_events

ITEM_COLUMNS = ("name", "kind", "status", "reasons", "flags", "ma_ho_so", "so_trang", "sha256", "size_bytes",
                "facts", "master_key", "master_version_id", "quarantine_key")


@dataclass
class Item:
    """One file of a delivery (or one that the manifest lists but is missing) and its verdict.

    ``size_bytes`` is None when the file is absent; ``sha256`` is the digest of the bytes received (None when
    they were not read); ``reasons``/``flags`` are ``{"code", "message"}`` with a Vietnamese message.
    """
    name: str
    kind: str
    status: str = "accepted"
    reasons: list[dict] = field(default_factory=list)
    flags: list[dict] = field(default_factory=list)
    ma_ho_so: str | None = None
    so_trang: int | None = None
    sha256: str | None = None
    size_bytes: int | None = None
    facts: dict = field(default_factory=dict)
    master_key: str | None = None
    master_version_id: str | None = None
    quarantine_key: str | None = None

    def reject(self, code: str, message: str) -> None:
        self.status = "rejected"
        self.reasons.append({"code": code, "message": message})

    def flag(self, code: str, message: str) -> None:
        self.flags.append({"code": code, "message": message})

    @property
    def present(self) -> bool:
        return self.size_bytes is not None


@dataclass(frozen=True)
class Batch:
    pk: int
    vendor: str
    batch_id: str
    status: str
    verdict: str | None
    manifest: dict | None

    @property
    def label(self) -> str:
        return f"{self.vendor}/{self.batch_id}"


_BATCH = "SELECT id, vendor, batch_id, status, verdict, manifest FROM batch"


def get_batch(cur, vendor: str, batch_id: str) -> Batch | None:
    cur.execute(f"{_BATCH} WHERE vendor = %s AND batch_id = %s", (vendor, batch_id))
    row = cur.fetchone()
    return Batch(*row) if row else None


def register_batch(cur, vendor: str, batch_id: str, *, agent: str) -> Batch:
    """The batch row of ``vendor/batch_id``, created (with an ``ingestion`` event) on first sight."""
    cur.execute("INSERT INTO batch (vendor, batch_id) VALUES (%s, %s) ON CONFLICT (vendor, batch_id) DO NOTHING "
                "RETURNING id", (vendor, batch_id))
    if cur.fetchone():
        record_events(cur, [Event("ingestion", "batch", f"{vendor}/{batch_id}", agent,
                                  detail={"message": "batch complete in inbox; intake started"})])
    return get_batch(cur, vendor, batch_id)


def store_verdict(cur, batch: Batch, *, verdict: str, items: list[Item], manifest: dict | None,
                  manifest_sha256: str | None, fingerprint: str | None, duplicate_of: int | None,
                  agency_id: int | None, agent: str) -> None:
    """Store the verdict and every item of a ``received`` batch, with its ``validation`` events."""
    rows = [(batch.pk, *(psycopg2.extras.Json(v) if isinstance(v, (list, dict)) else v
                         for v in (getattr(item, c) for c in ITEM_COLUMNS))) for item in items]
    psycopg2.extras.execute_values(
        cur, f"INSERT INTO batch_item (batch_id, {', '.join(ITEM_COLUMNS)}) VALUES %s", rows, page_size=1000)
    accepted = sum(item.status == "accepted" for item in items)
    cur.execute(
        """UPDATE batch SET status = 'validated', verdict = %s, manifest = %s, manifest_sha256 = %s,
                  fingerprint = %s, duplicate_of = %s, agency_id = %s, item_count = %s, accepted_count = %s,
                  rejected_count = %s, validated_at = now()
           WHERE id = %s AND status = 'received'""",
        (verdict, psycopg2.extras.Json(manifest) if manifest is not None else None, manifest_sha256,
         fingerprint, duplicate_of, agency_id, len(items), accepted, len(items) - accepted, batch.pk))
    if cur.rowcount != 1:
        raise CatalogueError(f"batch {batch.label} was validated by someone else meanwhile")
    events = [Event("validation", "batch", batch.label, agent, "success" if verdict != "rejected" else "failure",
                    {"verdict": verdict, "items": len(items), "accepted": accepted})]
    events += [Event("validation", "batch_item", f"{batch.label}/{item.name}", agent, "failure",
                     {"reasons": item.reasons, "sha256": item.sha256})
               for item in items if item.status == "rejected"]
    record_events(cur, events)


def reopen(cur, batch: Batch, *, reason: str, agent: str) -> None:
    """Take a ``validated`` batch back to ``received`` (its verdict and items dropped, a ``validation`` failure
    event saying why), so that it is validated again against what the inbox holds now. Nothing of it is
    registered yet in that state, so no catalogue row refers to the dropped items."""
    cur.execute("DELETE FROM batch_item WHERE batch_id = %s", (batch.pk,))
    cur.execute(
        """UPDATE batch SET status = 'received', verdict = NULL, manifest = NULL, manifest_sha256 = NULL,
                  fingerprint = NULL, duplicate_of = NULL, agency_id = NULL, item_count = NULL,
                  accepted_count = NULL, rejected_count = NULL, validated_at = NULL
           WHERE id = %s AND status = 'validated'""", (batch.pk,))
    if cur.rowcount != 1:
        raise CatalogueError(f"batch {batch.label} is no longer 'validated'; not reopened")
    record_events(cur, [Event("validation", "batch", batch.label, agent, "failure",
                              {"message": "validated again: " + reason})])


def resent_since(cur, batch: Batch):
    """When files sent to this batch were last looked at: its last re-send handled, else its validation."""
    cur.execute("""SELECT greatest(b.validated_at, (SELECT max((i.facts->>'resent_at')::timestamptz)
                                                   FROM batch_item i WHERE i.batch_id = b.id))
                   FROM batch b WHERE b.id = %s""", (batch.pk,))
    return cur.fetchone()[0]


def add_resent_items(cur, batch: Batch, items: list[Item], *, agent: str) -> None:
    """Record files sent again to a ``done`` batch (each rejected, with its quarantine key) and count them; the
    batch's verdict on what it was first given stands."""
    store = [(batch.pk, *(psycopg2.extras.Json(v) if isinstance(v, (list, dict)) else v
                          for v in (getattr(item, c) for c in ITEM_COLUMNS))) for item in items]
    psycopg2.extras.execute_values(
        cur, f"INSERT INTO batch_item (batch_id, {', '.join(ITEM_COLUMNS)}) VALUES %s", store, page_size=1000)
    cur.execute("UPDATE batch SET item_count = item_count + %s, rejected_count = rejected_count + %s WHERE id = %s",
                (len(items), len(items), batch.pk))
    record_events(cur, [Event("validation", "batch_item", f"{batch.label}/{item.name}", agent, "failure",
                              {"reasons": item.reasons, "sha256": item.sha256, "resent": True}) for item in items])


def items_of(cur, batch_pk: int) -> list[Item]:
    """Every item of a batch, in the order they were stored."""
    cur.execute(f"SELECT {', '.join(ITEM_COLUMNS)} FROM batch_item WHERE batch_id = %s ORDER BY id", (batch_pk,))
    return [Item(**dict(zip(ITEM_COLUMNS, row))) for row in cur.fetchall()]


def item_ids(cur, batch_pk: int) -> dict[str, int]:
    """``{item name: batch_item.id}`` of one batch."""
    cur.execute("SELECT name, id FROM batch_item WHERE batch_id = %s", (batch_pk,))
    return dict(cur.fetchall())


def record_placement(cur, batch_pk: int, items: list[Item]) -> None:
    """Store where each item's bytes now live (masters or quarantine)."""
    rows = [(batch_pk, item.name, item.master_key, item.master_version_id, item.quarantine_key) for item in items]
    psycopg2.extras.execute_values(
        cur,
        """UPDATE batch_item AS b SET master_key = v.master_key, master_version_id = v.version_id,
                  quarantine_key = v.quarantine_key
           FROM (VALUES %s) AS v (batch_id, name, master_key, version_id, quarantine_key)
           WHERE b.batch_id = v.batch_id AND b.name = v.name""",
        rows, page_size=1000)


def add_facts(cur, batch_pk: int, facts: dict[str, dict]) -> None:
    """Merge ``{item name: {fact: value}}`` into the items' ``facts``."""
    psycopg2.extras.execute_values(
        cur, """UPDATE batch_item AS b SET facts = b.facts || v.patch
                FROM (VALUES %s) AS v (batch_id, name, patch) WHERE b.batch_id = v.batch_id AND b.name = v.name""",
        [(batch_pk, name, psycopg2.extras.Json(patch)) for name, patch in facts.items()],
        template="(%s, %s, %s::jsonb)", page_size=1000)


def set_status(cur, batch_pk: int, status: str) -> None:
    cur.execute("UPDATE batch SET status = %s, finished_at = CASE WHEN %s = 'done' THEN now() END "
                "WHERE id = %s", (status, status, batch_pk))


def done_verdicts(cur, vendor: str) -> dict[str, str]:
    """``{batch_id: verdict}`` of the vendor's batches that are ``done``."""
    cur.execute("SELECT batch_id, verdict FROM batch WHERE vendor = %s AND status = 'done'", (vendor,))
    return dict(cur.fetchall())


def accepted_batch_with_fingerprint(cur, fingerprint: str, *, other_than: int) -> tuple[int, str] | None:
    """(id, "vendor/batch_id") of an earlier accepted batch with the same page fingerprint, if any."""
    cur.execute(
        """SELECT id, vendor || '/' || batch_id FROM batch
           WHERE fingerprint = %s AND verdict IN ('accepted', 'partial') AND id <> %s ORDER BY id LIMIT 1""",
        (fingerprint, other_than))
    return cur.fetchone()
