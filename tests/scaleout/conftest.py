"""The stack switched to its celery profile for this folder's tests, and back to the profile it had after."""
from __future__ import annotations

import pytest

from sohoa import localstack
from sohoa.airflow_api import AirflowClient
from sohoa.config import settings

from scaleout_helpers import ocr_queue


@pytest.fixture(scope="module")
def celery_stack(stack):
    """Settings of the running stack in the celery profile (Redis, a ``default`` and a ``gpu`` worker); the
    profile it had is restored after the module."""
    before = settings().stack_profile
    cfg = localstack.up(profile="celery", echo=lambda *_: None)
    yield cfg
    localstack.up(profile=before, echo=lambda *_: None)


@pytest.fixture(scope="module")
def airflow(celery_stack) -> AirflowClient:
    """The REST client, once the DAGs are parsed with the profile's routing (OCR to the ``gpu`` worker)."""
    client = AirflowClient(celery_stack)
    for dag_id in ("sohoa_intake", "sohoa_process"):
        client.wait_for_dag(dag_id)
    client.wait_for_queue("sohoa_process", "ocr", ocr_queue())
    return client

