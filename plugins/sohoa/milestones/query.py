"""Running a catalogue query for the milestones: every database error is re-raised with what was being asked."""
from __future__ import annotations

import psycopg2

from .errors import CatalogueQueryError


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


def open_catalogue():
    """A new catalogue connection (settings' DSN); an unreachable catalogue is a :class:`CatalogueQueryError`."""
    from ..catalogue.db import connect

    try:
        return connect()
    except psycopg2.OperationalError as exc:
        raise CatalogueQueryError(f"cannot connect to the catalogue: {str(exc).strip()}") from exc
