"""Airflow Deadline Alerts for the pipeline DAGs: a run that is not finished in time is recorded and reported.

Attach with ``DAG(..., deadline=pipeline_deadline(timedelta(hours=6)))``. When a run misses its deadline the
scheduler queues :func:`on_pipeline_deadline_missed` on the triggerer, which records the miss in the catalogue
table ``pipeline_deadline_miss`` (shown on the dashboard) and logs it. Note: in Airflow 3.3.2 ``dag.test()``
crashes at the end of a run of a DAG that carries a DeadlineAlert; such DAGs are tested under the scheduler.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any

log = logging.getLogger(__name__)

RECORD_MISS_SQL = """
INSERT INTO pipeline_deadline_miss (dag_id, run_id, deadline_at)
VALUES (%(dag_id)s, %(run_id)s, %(deadline_at)s)
ON CONFLICT (dag_id, run_id) DO NOTHING
"""


def pipeline_deadline(within: dt.timedelta):
    """A DeadlineAlert: a run of the DAG must finish ``within`` this long after it was queued."""
    from airflow.sdk import AsyncCallback, DeadlineAlert, DeadlineReference

    return DeadlineAlert(reference=DeadlineReference.DAGRUN_QUEUED_AT, interval=within,
                         callback=AsyncCallback(on_pipeline_deadline_missed))


def _record_miss(dag_id: str, run_id: str, deadline_at: Any) -> None:
    import psycopg2

    from ..config import settings

    with psycopg2.connect(settings().catalogue_dsn()) as conn, conn.cursor() as cur:
        cur.execute(RECORD_MISS_SQL, {"dag_id": dag_id, "run_id": run_id, "deadline_at": deadline_at})
    conn.close()


async def on_pipeline_deadline_missed(context: dict[str, Any]) -> None:
    """Triggerer callback: record that a pipeline run missed its deadline (idempotent per run).

    ``context`` is what Airflow 3.3 sends: ``{"dag_run": <DAGRunResponse as JSON>, "deadline": {...}}``.
    """
    run = context["dag_run"]
    deadline_at = context["deadline"]["deadline_time"]
    dag_id, run_id = run["dag_id"], run["dag_run_id"]
    log.warning("pipeline run %s / %s missed its deadline %s", dag_id, run_id, deadline_at)
    await asyncio.to_thread(_record_miss, dag_id, run_id, deadline_at)
