"""Connections, explicit transactions and named queries for the catalogue."""
from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

import psycopg2
import psycopg2.extras

from ..config import settings
from ..errors import SohoaError

log = logging.getLogger(__name__)


class CatalogueError(SohoaError):
    """The catalogue refused or could not do something; the message names the record."""


class BatchBusy(CatalogueError):
    """Another process holds the lock of this batch; retry later."""


class CatalogueQueryError(CatalogueError):
    """A catalogue query failed, or the catalogue cannot be reached; the message names what was being asked."""


def connect(dsn: str | None = None):
    """A new psycopg2 connection (not autocommit) to the catalogue; ``dsn`` defaults to the settings'."""
    return psycopg2.connect(dsn or settings().catalogue_dsn(), application_name="sohoa", connect_timeout=5)


def open_catalogue():
    """:func:`connect` for reports and screens: an unreachable catalogue is a :class:`CatalogueQueryError`."""
    try:
        return connect()
    except psycopg2.OperationalError as exc:
        raise CatalogueQueryError(f"cannot connect to the catalogue: {str(exc).strip()}") from exc


@contextlib.contextmanager
def transaction(conn) -> Iterator[psycopg2.extensions.cursor]:
    """One transaction: commit when the block ends, roll back (and re-raise) when it raises."""
    with conn, conn.cursor() as cur:
        yield cur


def run_query(conn, what: str, query, params) -> list[tuple]:
    """Run one query; return its rows (none for statements). A database error rolls back the transaction and
    becomes :class:`CatalogueQueryError` naming ``what`` (e.g. "'stages' for milestone 'x' (agency y)")."""
    try:
        with conn.cursor() as cur:
            cur.execute(query, params)
            return cur.fetchall() if cur.description else []
    except psycopg2.Error as exc:
        conn.rollback()
        raise CatalogueQueryError(f"catalogue query {what} failed: {str(exc).strip()}") from exc


def serialise_verdicts(cur) -> None:
    """Hold, until the transaction ends, the one lock under which batches store their verdicts: a verdict
    re-checks its claims (hồ sơ, pages) and stores them atomically with respect to every other batch."""
    cur.execute("SELECT pg_advisory_xact_lock(hashtext('sohoa.intake.verdicts'))")


@contextlib.contextmanager
def batch_lock(conn, vendor: str, batch_id: str) -> Iterator[None]:
    """Hold a session-level advisory lock on one batch for the block; raise :class:`BatchBusy` if taken.

    A lost connection releases the lock on the server, so a killed worker never leaves a batch locked.
    """
    name = f"sohoa.batch:{vendor}/{batch_id}"
    with transaction(conn) as cur:
        cur.execute("SELECT pg_try_advisory_lock(hashtext(%s))", (name,))
        (locked,) = cur.fetchone()
    if not locked:
        raise BatchBusy(f"batch {vendor}/{batch_id} is being processed by another worker")
    try:
        yield
    finally:
        if not conn.closed:
            try:
                with transaction(conn) as cur:
                    cur.execute("SELECT pg_advisory_unlock(hashtext(%s))", (name,))
            except psycopg2.Error as exc:  # the session is gone, and its lock with it
                log.warning("could not release the lock of batch %s/%s: %s", vendor, batch_id, exc)
