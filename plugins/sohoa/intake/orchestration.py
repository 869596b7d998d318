"""Airflow glue for intake: clients from Airflow connections, and a deferrable wait for complete batches.

Loaded inside tasks and by the triggerer (never at DAG-parse time); the intake code loads inside functions.
"""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from urllib.parse import quote

from airflow.sdk import BaseHook
from airflow.triggers.base import BaseTrigger, TriggerEvent

S3_CONN = "sohoa_s3"
CATALOGUE_CONN = "sohoa_postgres"


def s3_client():
    """The pipeline's S3 client, from the Airflow connection ``sohoa_s3``."""
    from .. import storage

    return storage.client(conn_id=S3_CONN)


def catalogue_dsn() -> str:
    """libpq DSN of the catalogue, from the Airflow connection ``sohoa_postgres``."""
    conn = BaseHook.get_connection(CATALOGUE_CONN)
    return f"host={conn.host} port={conn.port} dbname={conn.schema} user={conn.login} password={conn.password}"


def migrate_catalogue() -> None:
    """Bring the catalogue schema to the newest revision (idempotent)."""
    from ..catalogue import migrate

    conn = BaseHook.get_connection(CATALOGUE_CONN)
    migrate.upgrade(f"postgresql+psycopg2://{quote(conn.login, safe='')}:{quote(conn.password, safe='')}"
                    f"@{conn.host}:{conn.port}/{conn.schema}")


def intake(vendor: str, batch_id: str) -> dict:
    """Run :func:`sohoa.intake.process.run_intake` for one batch with the Airflow connections."""
    from ..catalogue import db
    from .process import run_intake

    conn = db.connect(catalogue_dsn())
    try:
        outcome = run_intake(s3_client(), conn, vendor, batch_id)
    finally:
        conn.close()
    return outcome.__dict__


def complete_batches() -> list[dict]:
    from .process import complete_batches as find

    return find(s3_client())


class CompleteBatchTrigger(BaseTrigger):
    """Fires once some batch in the inbox has its ``_COMPLETE`` marker; the event carries the batches."""

    def __init__(self, poll_interval: float = 30.0):
        super().__init__()
        self.poll_interval = poll_interval

    def serialize(self) -> tuple[str, dict]:
        return f"{type(self).__module__}.{type(self).__qualname__}", {"poll_interval": self.poll_interval}

    async def run(self) -> AsyncIterator[TriggerEvent]:
        while True:
            found = await asyncio.to_thread(complete_batches)
            if found:
                yield TriggerEvent({"batches": found})
                return
            await asyncio.sleep(self.poll_interval)


def batches_to_process(operator, context) -> list[dict]:
    """``[{"vendor", "batch_id"}, …]`` for ``operator`` (the DAG's waiting task): the batch named in the run's
    conf, else every complete batch in the inbox; when there is none, the operator defers on
    :class:`CompleteBatchTrigger` (waiting in the triggerer) and resumes in its ``execute_complete``."""
    conf = context["dag_run"].conf or {}
    if conf.get("vendor") and conf.get("batch_id"):
        return [{"vendor": conf["vendor"], "batch_id": conf["batch_id"]}]
    found = complete_batches()
    if found:
        return found
    operator.defer(trigger=CompleteBatchTrigger(operator.poll_interval), method_name="execute_complete")
