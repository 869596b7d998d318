"""The yearly result report to Sở Nội vụ (due before 05/12), built on 20/11 each year and on demand.

Writes the Vietnamese .docx and .xlsx (plan figures, progress per phase, forecast, what is late, charts) for
each agency that has milestones and stores them in the ``exports`` bucket (``bao-cao-nam/<year>/<agency>/``),
where the dashboard "Tiến độ số hóa" links to them. Trigger with ``{"year": 2026}`` to rebuild a given year.
"""
from __future__ import annotations

from airflow.sdk import Param, dag, task

from sohoa.dagkit import dag_defaults, planning_args


@dag(
    dag_id="sohoa_annual_report",
    schedule="0 7 20 11 *",
    **dag_defaults(planning_args()),
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
        from sohoa.dagkit import catalogue, s3
        from sohoa.milestones.definitions import load_plan
        from sohoa.reports import annual
        from sohoa.vntime import day_in_vietnam

        plan = load_plan()
        today = day_in_vietnam(dag_run.run_after)
        year = params["year"] or today.year
        urls = []
        with catalogue() as conn, s3() as client, tempfile.TemporaryDirectory() as tmp:
            for agency in sorted({m.agency for m in plan.milestones}):
                paths = annual.build(conn, plan, agency, year, today, Path(tmp), settings().agency)
                urls += annual.publish(client, agency, year, paths)
        return urls

    build_and_publish()


sohoa_annual_report()
