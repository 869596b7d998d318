"""sohoa_born_digital — electronic hồ sơ submitted (nộp lưu) by agencies: verified, kept bit-exact, catalogued.

Every 10 minutes (or for the one submission named in the run's conf ``{"agency": …, "submission_id": …}``) it
takes each submission whose ``_COMPLETE`` marker is in ``inbox/nop-luu/<agency>/<submission_id>/`` through
:func:`sohoa.born_digital.submission.take_in_from_inbox`: metadata and files checked, every PDF signature
verified, the signed originals stored bit-exact in masters (object lock) with a PDF/A-2b access copy in
derivatives, the hồ sơ catalogued as "gốc điện tử", the verdict written back as ``_REPORT.json``/``_REPORT.txt``.
Idempotent: a submission already judged only gets its report again. Contract: docs/born-digital-contract.md.

Why a schedule and not a deferred wait like sohoa_intake's: finding submissions lists every object ever put
under ``inbox/nop-luu/`` (nothing is deleted there, and agencies write no pending index as the vendor tool does),
so polling every 30 s would multiply a listing that grows with the archive by 20 for a latency nộp lưu does not
need; one run never overlaps the next (max_active_runs 1). (100 objects: 0.24 s per listing, 7/12/2026.)
"""
from __future__ import annotations

from airflow.sdk import Param, dag, task

from sohoa.dagkit import dag_defaults, default_args


@task
def migrate_catalogue() -> None:
    from sohoa.intake import orchestration

    orchestration.migrate_catalogue()


@task
def find_submissions(dag_run=None) -> list[dict]:
    from sohoa.born_digital.orchestration import pending_submissions

    return pending_submissions(dag_run.conf if dag_run else None)


@task(max_active_tis_per_dag=2)
def take_in(submission: dict) -> dict:
    from sohoa.born_digital.orchestration import take_in as run

    return run(submission["agency"], submission["submission_id"])


@dag(
    dag_id="sohoa_born_digital",
    schedule="*/10 * * * *",
    **dag_defaults(default_args(retries=3)),
    params={"agency": Param(None, type=["null", "string"], description="take only this agency's submission"),
            "submission_id": Param(None, type=["null", "string"], description="the submission to take")},
    tags=["sohoa", "intake", "born-digital"],
    doc_md=__doc__,
)
def sohoa_born_digital():
    found = find_submissions()
    migrate_catalogue() >> found
    take_in.expand(submission=found)


sohoa_born_digital()
