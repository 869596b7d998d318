"""sohoa_process run with dag.test(): the whole DAG, mapped OCR chunks and assembly, on the real stack.

Airflow 3.3.2's dag.test() crashes at the end of a run of a DAG that carries a DeadlineAlert, so these runs
drop the deadline first; the deadline itself is exercised under the real scheduler
(tests/dags/test_milestones_dag_deadline.py) and by the demo.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from sohoa.catalogue.db import connect, transaction

DAGS_DIR = Path(__file__).resolve().parents[2] / "dags"

pytestmark = pytest.mark.stack


@pytest.fixture()
def process_dag(stack):
    """sohoa_process freshly parsed, without its DeadlineAlert (the shared DagBag stays untouched)."""
    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(dag_folder=str(DAGS_DIR / "sohoa_process.py")).get_dag("sohoa_process")
    dag.deadline = None
    return dag


def test_the_pipeline_dag_carries_a_deadline_alert(dag_bag):
    assert dag_bag.get_dag("sohoa_process").deadline


def test_the_process_dag_takes_a_batch_from_masters_to_pdf(tmp_path, accepted_batch, process_dag):
    ma_ho_so, _, _ = accepted_batch(tmp_path, 2)
    with transaction(connect()) as cur:
        cur.execute("SELECT b.vendor, b.batch_id FROM batch b JOIN ho_so h ON h.batch_id = b.id WHERE h.ma_ho_so = %s",
                    (ma_ho_so,))
        vendor, batch_id = cur.fetchone()
    run = process_dag.test(run_conf={"vendor": vendor, "batch_id": batch_id})
    assert run.state == "success"
    with transaction(connect()) as cur:
        cur.execute("""SELECT array_agg(t.ocr_status ORDER BY t.so_trang), h.pdf_key FROM trang t
                       JOIN ho_so h ON h.id = t.ho_so_id WHERE h.ma_ho_so = %s GROUP BY h.pdf_key""", (ma_ho_so,))
        statuses, pdf_key = cur.fetchone()
    assert statuses == ["done", "done"]
    assert pdf_key == f"{ma_ho_so}/{ma_ho_so}.01.pdf"
    labels = [ti.rendered_map_index for ti in run.get_task_instances() if ti.task_id == "ocr"]
    assert labels == [f"{ma_ho_so} tr. 1–2"]  # the mapped OCR task names its hồ sơ and pages, not ocr[0]


def test_a_run_for_an_unknown_batch_fails_at_once_with_a_clear_error(process_dag, capfd):
    run = process_dag.test(run_conf={"vendor": "vendor-demo", "batch_id": "no-such-batch"})
    assert run.state == "failed"
    out, err = capfd.readouterr()
    assert "batch vendor-demo/no-such-batch is not in the catalogue" in out + err
    plan = next(ti for ti in run.get_task_instances() if ti.task_id == "plan_chunks")
    assert plan.state == "failed" and plan.try_number == 1
