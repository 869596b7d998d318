"""sohoa_fixity run with dag.test() on the real stack: a clean run passes; a corrupted object alerts (webhook and
e-mail land in the local alert sink) and fails the run with the object named; new objects are backed up."""
from __future__ import annotations

import json

import pytest

from sohoa import storage
from sohoa.backup.replica import ensure_running
from sohoa.catalogue.db import connect, transaction
from sohoa.handover.samples import make_ho_so

pytestmark = pytest.mark.stack


def test_the_fixity_dag_alerts_and_fails_on_a_corrupted_object(dag_bag, stack, caplog, capsys):
    backup = ensure_running(stack)
    conn, s3 = connect(), storage.client()
    sample = make_ho_so(conn, s3, pages=2, van_ban=1)
    dag = dag_bag.get_dag("sohoa_fixity")
    conf = {"prefix": f"{sample.ma_ho_so}/", "sample": 0, "jobs": 2}
    assert dag.test(run_conf=conf).state == "success"
    with transaction(conn) as cur:
        cur.execute("SELECT count(*) FROM replica WHERE endpoint = %s AND key LIKE %s",
                    (backup.s3_endpoint, f"{sample.ma_ho_so}/%"))
        assert cur.fetchone() == (3,)
    conn.close()
    pdf = f"{sample.ma_ho_so}/{sample.ma_ho_so}.01.pdf"
    storage.put_bytes(s3, "derivatives", pdf, b"%PDF-1.7 corrupted")
    alerts = stack.state_dir / "alerts"
    before = set(alerts.glob("*.json"))
    run = dag.test(run_conf=conf)
    assert run.state == "failed"
    assert f"s3://derivatives/{pdf}: SHA-256" in caplog.text + "".join(capsys.readouterr())
    sent = [json.loads(p.read_text()) for p in set(alerts.glob("*.json")) - before]
    assert any(pdf in " ".join(a.get("body", a).get("problems", [])) for a in sent), sent
