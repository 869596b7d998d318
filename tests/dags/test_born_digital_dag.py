"""The sohoa_born_digital DAG: a submission in the inbox is taken to its verdict by a real DAG run."""
from __future__ import annotations

import json
import uuid

import pytest

from sohoa import storage
from sohoa.born_digital.samples import ThrowawayCA, sign, text_pdf
from sohoa.born_digital.submission import prefix
from sohoa.catalogue.db import connect, transaction
from sohoa.config import REPO_ROOT

DAG_FILE = REPO_ROOT / "dags" / "sohoa_born_digital.py"


@pytest.fixture(scope="module")
def dag(stack):
    from airflow.models.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAG_FILE))
    assert not bag.import_errors, bag.import_errors
    return bag.get_dag("sohoa_born_digital")


def test_a_run_with_conf_takes_the_named_submission_to_its_verdict(dag, stack):
    from test_intake_dag import dag_test_beside_the_live_scheduler

    agency, submission_id = f"UB{uuid.uuid4().hex[:8]}", "NL-0001"
    conn = connect()
    with transaction(conn) as cur:
        cur.execute("INSERT INTO agency (ma, ten) VALUES (%s, 'UBND tỉnh Thử Nghiệm')", (agency,))
    conn.close()
    signer = ThrowawayCA.make().issue("Ủy ban nhân dân tỉnh Thử Nghiệm", "Tỉnh Thử Nghiệm")
    document = {"schema_version": "1.0", "co_quan": {"ma": agency, "ten": "UBND tỉnh Thử Nghiệm"},
                "phong": {"ma_phong": f"P{agency}", "ten_phong": "Phông UBND"},
                "ho_so": {"ma_ho_so": f"{agency}.01.2025.01", "tieu_de": "Hồ sơ điện tử",
                          "thoi_han_bao_quan": "vinh_vien", "muc_do_tiep_can": "cong_khai"},
                "van_ban": [{"stt": 1, "tep": "qd.pdf"}]}
    s3 = storage.client()
    base = storage.batch_prefix(prefix(agency), submission_id)
    storage.put_bytes(s3, storage.INBOX, base + "qd.pdf", sign(text_pdf(), signer))
    storage.put_bytes(s3, storage.INBOX, base + "ho_so.json", json.dumps(document, ensure_ascii=False).encode())
    run = dag_test_beside_the_live_scheduler(dag, {"agency": agency, "submission_id": submission_id})
    assert run.state == "success"
    report = json.loads(s3.get_object(Bucket=storage.INBOX, Key=base + "_REPORT.json")["Body"].read())
    assert report["verdict"] == "accepted" and report["ma_ho_so"] == f"{agency}.01.2025.01"
