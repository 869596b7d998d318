"""Milestones of the digitisation plan, daily: progress per phase and agency, forecast, alerts.

Counts every milestone of ``config/milestones.toml`` against the catalogue and stores the day's figures, then
alerts (e-mail and webhook, Airflow notifiers) 30 days before a deadline, when the forecast passes it and when
it passes unmet — each condition once, not every day (state in the catalogue). A failed query or a failed
delivery fails its task; nothing is dropped silently.
"""
from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import dag, task

VN = pendulum.timezone("Asia/Ho_Chi_Minh")
DEFAULT_ARGS = {"owner": "sohoa-milestones", "retries": 2, "retry_delay": timedelta(minutes=10)}


@dag(
    dag_id="sohoa_milestones",
    schedule="0 7 * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz=VN),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["sohoa", "milestones"],
    doc_md=__doc__,
)
def sohoa_milestones():
    @task
    def record_progress(dag_run=None) -> list[dict]:
        """Evaluate and store today's progress of every milestone; return one summary per milestone."""
        from sohoa.milestones import daily
        from sohoa.milestones.definitions import load_plan

        with daily.airflow_catalogue() as conn:
            return daily.record(conn, load_plan(), daily.day_in_vietnam(dag_run.run_after))

    @task
    def send_alerts(dag_run=None) -> list[str]:
        """Send what is new today through the configured channels; raise if any delivery failed."""
        from sohoa.milestones import daily
        from sohoa.milestones.definitions import load_plan
        from sohoa.milestones.notifiers import channels_from_settings

        plan = load_plan()
        today = daily.day_in_vietnam(dag_run.run_after)
        with daily.airflow_catalogue() as conn:
            return daily.alert(conn, plan, today, channels_from_settings(plan.alerts))

    record_progress() >> send_alerts()


sohoa_milestones()
