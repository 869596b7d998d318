"""sohoa_intake — vendor batches from the inbox to masters, quarantine, the catalogue and a verdict.

Waits, deferred in the triggerer, for batches whose ``_COMPLETE`` marker is in ``inbox/<vendor>/<batch_id>/``
(or takes the one batch named in the run's conf ``{"vendor": …, "batch_id": …}``); then, per batch, runs
:func:`sohoa.intake.process.run_intake`: validate, copy accepted pages to masters (object-locked) and rejected
bytes to quarantine, register everything in the catalogue, write ``_REPORT.json``/``_REPORT.txt`` back to the
vendor. Every step is idempotent, so retries and re-runs are safe. The batch contract: docs/batch-contract.md.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import Param, dag, task

from sohoa.intake.orchestration import CompleteBatchSensor


@task
def migrate_catalogue() -> None:
    from sohoa.intake import orchestration

    orchestration.migrate_catalogue()


@task(max_active_tis_per_dag=4)
def intake_batch(batch: dict) -> dict:
    from sohoa.intake import orchestration

    return orchestration.intake(batch["vendor"], batch["batch_id"])


@dag(
    dag_id="sohoa_intake",
    schedule="@continuous",
    start_date=datetime(2025, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["sohoa", "intake"],
    default_args={"owner": "sohoa-intake", "retries": 3, "retry_delay": timedelta(seconds=20),
                  "retry_exponential_backoff": True},
    params={"vendor": Param(None, type=["null", "string"], description="process only this vendor's batch"),
            "batch_id": Param(None, type=["null", "string"], description="the batch to process")},
    doc_md=__doc__,
)
def sohoa_intake():
    batches = CompleteBatchSensor(task_id="wait_for_complete_batches", poll_interval=30)
    migrate_catalogue() >> batches
    intake_batch.expand(batch=batches.output)


sohoa_intake()
