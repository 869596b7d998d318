"""sohoa_intake — vendor batches from the inbox to masters, quarantine, the catalogue and a verdict.

Waits, deferred in the triggerer, for batches whose ``_COMPLETE`` marker is in ``inbox/<vendor>/<batch_id>/``
(or takes the one batch named in the run's conf ``{"vendor": …, "batch_id": …}``); then, per batch, runs
:func:`sohoa.intake.process.run_intake`: validate, copy accepted pages to masters (object-locked) and rejected
bytes to quarantine, register everything in the catalogue, write ``_REPORT.json``/``_REPORT.txt`` back to the
vendor. Each batch taken in updates the asset ``s3://masters/``, which schedules ``sohoa_process``. Every step
is idempotent, so retries and re-runs are safe. The batch contract: docs/batch-contract.md.
"""
from __future__ import annotations

from airflow.sdk import Asset, BaseOperator, Param, dag, task

from sohoa.dagkit import MASTERS_URI, dag_defaults, default_args


class WaitForCompleteBatches(BaseOperator):
    """Returns the batches to take in; defers (no worker slot held) while there is none."""

    def __init__(self, *, poll_interval: float = 30.0, **kwargs):
        super().__init__(**kwargs)
        self.poll_interval = poll_interval

    def execute(self, context) -> list[dict]:
        from sohoa.intake.orchestration import batches_to_process

        return batches_to_process(self, context)

    def execute_complete(self, context, event: dict) -> list[dict]:
        return event["batches"]


@task
def migrate_catalogue() -> None:
    from sohoa.intake import orchestration

    orchestration.migrate_catalogue()


@task(max_active_tis_per_dag=4, outlets=[Asset(MASTERS_URI)],
      map_index_template="{{ task.op_kwargs['batch']['vendor'] }}/{{ task.op_kwargs['batch']['batch_id'] }}")
def intake_batch(batch: dict, outlet_events=None) -> dict:
    """Take one batch in; its asset event names the batch (``extra``), so the sohoa_process run it starts shows
    which vendor and batch it came from."""
    from sohoa.intake import orchestration

    outlet_events[Asset(MASTERS_URI)].extra = {"vendor": batch["vendor"], "batch_id": batch["batch_id"]}
    return orchestration.intake(batch["vendor"], batch["batch_id"])


@dag(
    dag_id="sohoa_intake",
    schedule="@continuous",
    **dag_defaults(default_args(retries=3)),
    params={"vendor": Param(None, type=["null", "string"], title="Nhà thầu",
                            description="Mã nhà thầu số hóa của lô cần nhận, ví dụ vendor-demo. Để trống: mọi lô "
                                        "đã đánh dấu hoàn tất."),
            "batch_id": Param(None, type=["null", "string"], title="Mã lô",
                              description="Mã lô giao nộp của nhà thầu đó. Để trống: mọi lô đã đánh dấu hoàn tất.")},
    tags=["sohoa", "intake"],
    doc_md=__doc__,
)
def sohoa_intake():
    batches = WaitForCompleteBatches(task_id="wait_for_complete_batches", poll_interval=30)
    migrate_catalogue() >> batches
    intake_batch.expand(batch=batches.output)


sohoa_intake()
