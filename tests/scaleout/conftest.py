"""The stack switched to its celery profile for this folder's tests, and back to the profile it had after."""
from __future__ import annotations

import pytest

from sohoa import localstack
from sohoa.airflow_api import AirflowClient
from sohoa.config import settings


@pytest.fixture(scope="session")
def celery_stack(stack):
    """Settings of the running stack in the celery profile (Redis, a ``default`` and a ``gpu`` worker)."""
    before = settings().stack_profile
    cfg = localstack.up(profile="celery", echo=lambda *_: None)
    yield cfg
    localstack.up(profile=before, echo=lambda *_: None)


@pytest.fixture(scope="session")
def airflow(celery_stack) -> AirflowClient:
    client = AirflowClient(celery_stack)
    for dag_id in ("sohoa_intake", "sohoa_process"):
        client.wait_for_dag(dag_id)
    return client
