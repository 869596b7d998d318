"""Milestones of the digitisation plan, daily: progress per phase and agency, forecast, alerts.

Counts every milestone of ``config/milestones.toml`` against the catalogue and stores the day's figures, then
alerts (e-mail and webhook, Airflow notifiers) 30 days before a deadline, when the forecast passes it and when
it passes unmet — each condition once, not every day (state in the catalogue). A failed query or a failed
delivery fails its task; nothing is dropped silently.
"""
from __future__ import annotations

from airflow.sdk import dag, task

from sohoa.dagkit import dag_defaults, planning_args


@dag(
    dag_id="sohoa_milestones",
    schedule="0 7 * * *",
    **dag_defaults(planning_args()),
    tags=["sohoa", "milestones"],
    doc_md=__doc__,
)
def sohoa_milestones():
    @task
    def record_progress(dag_run=None) -> list[dict]:
        """Evaluate and store today's progress of every milestone; return one summary per milestone."""
        from sohoa.dagkit import catalogue
        from sohoa.milestones import daily
        from sohoa.milestones.definitions import load_plan
        from sohoa.vntime import day_in_vietnam

        with catalogue() as conn:
            return daily.record(conn, load_plan(), day_in_vietnam(dag_run.run_after))

    @task
    def send_alerts(dag_run=None) -> list[str]:
        """Send what is new today through the configured channels; raise if any delivery failed."""
        from sohoa.dagkit import catalogue
        from sohoa.milestones import daily
        from sohoa.alerts.channels import configured_channels
        from sohoa.milestones.definitions import load_plan
        from sohoa.vntime import day_in_vietnam

        today = day_in_vietnam(dag_run.run_after)
        with catalogue() as conn:
            return daily.alert(conn, load_plan(), today, configured_channels())

    record_progress() >> send_alerts()


sohoa_milestones()
