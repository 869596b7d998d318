"""The yearly result report to Sở Nội vụ (due before 05/12), built on 20/11 each year and on demand.

Writes the Vietnamese .docx and .xlsx (plan figures, progress per phase, forecast, what is late, charts) for
each agency that has milestones and stores them in the ``exports`` bucket (``bao-cao-nam/<year>/<agency>/``),
where the dashboard "Tiến độ số hóa" links to them. Trigger with ``{"year": 2026}`` to rebuild a given year.
"""
from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import Param, dag, task

VN = pendulum.timezone("Asia/Ho_Chi_Minh")
DEFAULT_ARGS = {"owner": "sohoa-milestones", "retries": 2, "retry_delay": timedelta(minutes=10)}


@dag(
    dag_id="sohoa_annual_report",
    schedule="0 7 20 11 *",
    start_date=pendulum.datetime(2025, 1, 1, tz=VN),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    params={"year": Param(None, type=["null", "integer"], description="Năm báo cáo (mặc định: năm của lượt chạy)")},
    tags=["sohoa", "milestones", "report"],
    doc_md=__doc__,
)
def sohoa_annual_report():
    @task
    def build_and_publish(params=None, dag_run=None) -> list[str]:
        """Build every agency's report for the year and store it in exports; return the s3:// URLs."""
        import tempfile
        from pathlib import Path

        from sohoa.config import settings
        from sohoa.milestones import daily
        from sohoa.milestones.definitions import load_plan
        from sohoa.reports import annual
        from sohoa.storage import client

        plan = load_plan()
        today = daily.day_in_vietnam(dag_run.run_after)
        year = params["year"] or today.year
        urls = []
        with daily.airflow_catalogue() as conn, tempfile.TemporaryDirectory() as tmp:
            for agency in sorted({m.agency for m in plan.milestones}):
                paths = annual.build(conn, plan, agency, year, today, Path(tmp), settings().agency)
                urls += annual.publish(client(conn_id="sohoa_s3"), agency, year, paths)
        return urls

    build_and_publish()


sohoa_annual_report()
