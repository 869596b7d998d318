"""Every DAG file imports cleanly and follows the project's policies (tags, owner, retries, thin files)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

DAGS_DIR = Path(__file__).resolve().parents[2] / "dags"
DAG_FILES = sorted(p for p in DAGS_DIR.glob("*.py") if not p.name.startswith("_"))
HEAVY_MODULES = {"cv2", "numpy", "boto3", "psycopg2", "pyarrow", "PIL", "torch", "pikepdf", "sohoa", "ocr_engine"}
LIGHT_ALLOWED = {"sohoa.dagkit"}  # settings and default arguments only


def test_there_are_dag_files():
    assert DAG_FILES, f"no DAG files in {DAGS_DIR}"


def test_no_import_errors(dag_bag):
    assert not dag_bag.import_errors, dag_bag.import_errors


def test_every_dag_file_defines_a_dag(dag_bag):
    files = {Path(dag.fileloc).name for dag in dag_bag.dags.values()}
    assert files == {p.name for p in DAG_FILES}


@pytest.mark.parametrize("policy", ["tags", "owner", "retries"])
def test_every_dag_follows_policy(dag_bag, policy):
    offenders = []
    for dag_id, dag in dag_bag.dags.items():
        if policy == "tags" and not dag.tags:
            offenders.append(dag_id)
        for task in dag.tasks:
            if policy == "owner" and task.owner in (None, "", "airflow"):
                offenders.append(f"{dag_id}.{task.task_id}")
            if policy == "retries" and task.retries < 2:
                offenders.append(f"{dag_id}.{task.task_id} ({task.retries})")
    assert not offenders, f"{policy} missing or too low: {offenders}"


def test_every_dag_id_is_a_sohoa_dag(dag_bag):
    assert all(dag_id.startswith("sohoa_") for dag_id in dag_bag.dags), list(dag_bag.dags)


@pytest.mark.parametrize("path", DAG_FILES, ids=[p.name for p in DAG_FILES])
def test_dag_files_import_nothing_heavy_at_module_level(path):
    """DAG files are parsed every few seconds: heavy imports belong inside tasks."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    heavy = {m for m in imported - LIGHT_ALLOWED if m.split(".")[0] in HEAVY_MODULES}
    assert not heavy, f"{path.name} imports {heavy} at module level"
