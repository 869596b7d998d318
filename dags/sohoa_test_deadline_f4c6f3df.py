"""Temporary DAG of tests/dags/test_milestones_dag_deadline.py: misses a 3-second deadline."""
from datetime import timedelta
import time

import pendulum
from airflow.sdk import dag, task


def _deadline():
    from sohoa.milestones.deadline import pipeline_deadline

    return pipeline_deadline(timedelta(seconds=3))


@dag(dag_id="sohoa_test_deadline_f4c6f3df", schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False,
     deadline=_deadline(), tags=["sohoa", "test"], default_args={"owner": "sohoa-test", "retries": 2})
def slow():
    @task
    def take_too_long():
        time.sleep(25)

    take_too_long()


slow()
