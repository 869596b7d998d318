"""sohoa_inbox_retention — the inbox's lifecycle rule: a judged batch leaves the inbox 30 days after its verdict.

Daily. Its accepted pages are locked in masters and its rejected files are in quarantine, both verified by SHA-256,
and its verdict stays in the catalogue; the vendor has had a month to read its report. So the inbox holds a
month of deliveries instead of every batch ever uploaded, and the intake sweep's listing stays bounded.
Held batches, files written since and agencies' submissions (``inbox/nop-luu/``) are never touched. Rules:
:mod:`sohoa.intake.retention`.
"""
from __future__ import annotations

from airflow.sdk import dag, task

from sohoa.dagkit import dag_defaults


@dag(
    dag_id="sohoa_inbox_retention",
    schedule="15 2 * * *",
    **dag_defaults(),
    tags=["sohoa", "intake", "operations"],
    doc_md=__doc__,
)
def sohoa_inbox_retention():
    @task
    def expire_judged_batches() -> dict:
        """Remove what judged batches left in the inbox before the retention period: {batches, objects}."""
        from sohoa.intake.orchestration import expire_inbox

        return expire_inbox()

    expire_judged_batches()


sohoa_inbox_retention()
