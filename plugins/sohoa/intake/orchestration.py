"""Airflow glue for intake: its tasks over the connections of :mod:`sohoa.dagkit`, and a deferrable wait for
complete batches.

Loaded inside tasks and by the triggerer (never at DAG-parse time); the intake code loads inside functions.
"""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from airflow.triggers.base import BaseTrigger, TriggerEvent

from ..dagkit import catalogue, catalogue_url, s3


def migrate_catalogue() -> None:
    """Bring the catalogue schema to the newest revision (idempotent)."""
    from ..catalogue import migrate

    migrate.upgrade(catalogue_url())


def intake(vendor: str, batch_id: str) -> dict:
    """Run :func:`sohoa.intake.process.run_intake` for one batch with the Airflow connections; a batch it holds
    after too many failures is sent to the operators as an alert (e-mail and webhook)."""
    from .process import HELD, run_intake

    with catalogue() as conn, s3() as client:
        outcome = run_intake(client, conn, vendor, batch_id)
    if outcome.verdict == HELD:
        from ..alerts.channels import configured_channels
        from .alerts import HeldBatchAlert

        alert = HeldBatchAlert(vendor, batch_id, outcome.failures, outcome.last_error)
        for channel in configured_channels():
            channel.notify({"alert": alert})
    return outcome.__dict__


def expire_inbox() -> dict:
    """:func:`sohoa.intake.retention.expire_judged` with the pipeline's S3 connection: ``{"batches", "objects"}``."""
    from .retention import expire_judged

    with s3() as client:
        return expire_judged(client).as_dict()


# Every SWEEP_EVERY-th poll also looks into every batch folder for a _COMPLETE marker the pending index lacks
# (a batch uploaded without the vendor tool): at the default 30 s interval, within about 10 minutes. The inbox
# watcher (sohoa.intake.watcher) normally indexes such a marker within a second; the sweep is the safety net for
# when it was down or is not deployed, and its cost (folder names and done index: ~0.4 s per 10,000) stays off
# the path of a watched batch.
SWEEP_EVERY = 20


def complete_batches(sweep: bool = False) -> list[dict]:
    from .process import complete_batches as find

    with s3() as client:
        return find(client, sweep=sweep)


class CompleteBatchTrigger(BaseTrigger):
    """Fires once some batch is waiting in the inbox (pending index; a full sweep every ``SWEEP_EVERY`` polls);
    the event carries the batches."""

    def __init__(self, poll_interval: float = 30.0):
        super().__init__()
        self.poll_interval = poll_interval

    def serialize(self) -> tuple[str, dict]:
        return f"{type(self).__module__}.{type(self).__qualname__}", {"poll_interval": self.poll_interval}

    async def run(self) -> AsyncIterator[TriggerEvent]:
        polls = 0
        while True:
            polls += 1
            found = await asyncio.to_thread(complete_batches, polls % SWEEP_EVERY == 0)
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
