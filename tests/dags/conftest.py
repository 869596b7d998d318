"""Fixtures of the DAG tests."""
from __future__ import annotations

from pathlib import Path

import pytest

DAGS_DIR = Path(__file__).resolve().parents[2] / "dags"


@pytest.fixture(scope="session")
def dag_bag(stack):
    """All DAGs, parsed the way the dag-processor parses them (examples are off via AIRFLOW__CORE__LOAD_EXAMPLES)."""
    from airflow.dag_processing.dagbag import DagBag
    return DagBag(dag_folder=str(DAGS_DIR))
