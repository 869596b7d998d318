"""Airflow Deadline Alerts for the pipeline DAGs: a run that is not finished in time is recorded and reported.

Attach with ``DAG(..., deadline=pipeline_deadline(timedelta(hours=6)))`` (import it inside a small function of
the DAG file to keep module-level imports light). When a run misses its deadline the scheduler queues
:func:`on_pipeline_deadline_missed` on the triggerer, which records the miss in the catalogue table
``pipeline_deadline_miss`` (shown on the dashboard and in the yearly report) and then sends it through the alert
channels of ``config/alerts.toml``; a failed delivery fails the callback, visibly, after the record is made.
Note: in Airflow 3.3.2 ``dag.test()`` crashes at the end of a run of a DAG that carries a DeadlineAlert; such
DAGs are tested under the scheduler.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from .errors import AlertDeliveryError

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


@dataclass(frozen=True)
class PipelineLateAlert:
    """A pipeline run that missed its deadline, worded for the operators' channels (same shape as Alert)."""

    dag_id: str
    run_id: str
    deadline_at: str | None

    def key(self) -> str:
        return f"{self.dag_id}:{self.run_id}:deadline"

    def subject(self) -> str:
        return f"[Số hóa] Lượt chạy quá hạn – {self.dag_id}"

    def lines(self) -> list[str]:
        return [f"Lượt chạy {self.run_id} của {self.dag_id} chưa xong trước hạn {self.deadline_at or ''}.",
                "Xem lượt chạy trong Airflow và trang Tiến độ số hóa."]

    def as_json(self) -> dict[str, Any]:
        return {"key": self.key(), "dag_id": self.dag_id, "run_id": self.run_id, "deadline_at": self.deadline_at,
                "condition": "pipeline_deadline_missed", "text": self.lines()}


def _record_miss(alert: PipelineLateAlert) -> None:
    from ..catalogue.db import open_catalogue, run_query

    conn = open_catalogue()
    try:
        with conn:
            run_query(conn, f"'record_deadline_miss' for {alert.key()}", RECORD_MISS_SQL,
                      {"dag_id": alert.dag_id, "run_id": alert.run_id, "deadline_at": alert.deadline_at})
    finally:
        conn.close()


def _deliver(alert: PipelineLateAlert) -> None:
    from .channels import configured_channels

    failures = []
    for channel in configured_channels():
        try:
            channel({"alert": alert})
        except AlertDeliveryError as exc:
            failures.append(str(exc))
    if failures:
        raise AlertDeliveryError(f"deadline miss {alert.key()} recorded, but not delivered: " + "; ".join(failures))


async def on_pipeline_deadline_missed(context: dict[str, Any]) -> None:
    """Triggerer callback: record that a pipeline run missed its deadline (idempotent per run), then report it.

    ``context`` is what Airflow 3.3 sends: ``{"dag_run": <DAGRunResponse as JSON>, "deadline": {...}}``.
    """
    run = context["dag_run"]
    deadline_at = context["deadline"]["deadline_time"]
    alert = PipelineLateAlert(run["dag_id"], run["dag_run_id"], None if deadline_at is None else str(deadline_at))
    log.warning("pipeline run %s / %s missed its deadline %s", alert.dag_id, alert.run_id, alert.deadline_at)
    await asyncio.to_thread(_record_miss, alert)
    await asyncio.to_thread(_deliver, alert)
