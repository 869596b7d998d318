"""The append-only event table: PREMIS-style records of everything that happened to an object.

Event types follow the PREMIS event-type vocabulary: ``ingestion``, ``validation``, ``message digest
calculation``, ``replication``, ``fixity check``, ``quarantine``, ``accession``, ``metadata modification``.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import psycopg2.extras


@dataclass(frozen=True)
class Event:
    event_type: str
    object_type: str
    object_id: str
    agent: str
    outcome: str = "success"
    detail: dict = field(default_factory=dict)


def record_event(cur, event: Event) -> None:
    """Append one event (in the caller's transaction)."""
    record_events(cur, [event])


def record_events(cur, events: Iterable[Event]) -> None:
    """Append many events in one statement (in the caller's transaction)."""
    rows = [(e.event_type, e.object_type, e.object_id, e.agent, e.outcome, psycopg2.extras.Json(e.detail))
            for e in events]
    psycopg2.extras.execute_values(
        cur,
        "INSERT INTO event (event_type, object_type, object_id, agent, outcome, detail) VALUES %s",
        rows, page_size=1000)


def events_of(cur, object_type: str, object_id: str) -> list[dict]:
    """Every event of one object, oldest first."""
    cur.execute(
        """SELECT event_type, agent, occurred_at, outcome, detail FROM event
           WHERE object_type = %s AND object_id = %s ORDER BY id""",
        (object_type, object_id))
    return [dict(zip(("event_type", "agent", "occurred_at", "outcome", "detail"), row)) for row in cur.fetchall()]
