"""sohoa_handover run with dag.test() on the real stack: packages stored, refusals fail the run by name."""
from __future__ import annotations

import re

import pytest

from sohoa import storage
from sohoa.catalogue.db import connect, transaction
from sohoa.handover.samples import make_ho_so

pytestmark = pytest.mark.stack


def test_the_handover_dag_stores_valid_packages_and_fails_on_a_refused_ho_so(dag_bag, caplog, capsys):
    conn, s3 = connect(), storage.client()
    try:
        good = make_ho_so(conn, s3, pages=2, van_ban=2)
        with transaction(conn) as cur:
            cur.execute("SELECT agency_id FROM phong WHERE ma_phong = %s", (good.ma_phong,))
            agency_id = cur.fetchone()[0]
        bad = make_ho_so(conn, s3, pages=1, van_ban=1, phong=(agency_id, good.ma_phong))
        with transaction(conn) as cur:
            cur.execute("UPDATE ho_so SET tieu_de = '' WHERE id = %s", (bad.ho_so_id,))
        dag = dag_bag.get_dag("sohoa_handover")
        run = dag.test(run_conf={"ma_ho_so": [good.ma_ho_so], "catalogue_snapshot": False})
        assert run.state == "success"
        with transaction(conn) as cur:
            cur.execute("SELECT handed_over_at IS NOT NULL FROM ho_so WHERE id = %s", (good.ho_so_id,))
            assert cur.fetchone() == (True,)
            cur.execute("SELECT export_key FROM handover_package WHERE ho_so_id = %s", (good.ho_so_id,))
            [(key,)] = cur.fetchall()
        assert storage.stored_sha256(s3, "exports", key)
        # every param is given: dag.test() keeps the previous run's conf in the DAG's params (Airflow 3.3.2)
        run = dag.test(run_conf={"phong": good.ma_phong, "ma_ho_so": [], "package_type": "SIP", "level": "van_ban",
                                 "catalogue_snapshot": True, "snapshot_agency": good.agency_ma})
        assert run.state == "failed"
        states = {ti.task_id: ti.state for ti in run.get_task_instances()}
        assert states["finish"] == "failed" and states["snapshot"] == "success"
        snapshots = s3.list_objects_v2(Bucket="exports", Prefix="catalogue/snapshot=").get("KeyCount", 0)
        assert snapshots
        assert f"{bad.ma_ho_so}: hồ sơ: tiêu đề hồ sơ" in caplog.text + "".join(capsys.readouterr())
    finally:
        conn.close()


def test_a_handover_of_nothing_fails_at_the_start_saying_so(dag_bag, caplog, capsys):
    run = dag_bag.get_dag("sohoa_handover").test(run_conf={
        "phong": "KHONG-CO-PHONG-NAY", "ma_ho_so": [], "package_type": "AIP", "level": "ho_so",
        "catalogue_snapshot": False})
    assert run.state == "failed"
    assert "Không có hồ sơ nào (đã có PDF) khớp với lựa chọn" in caplog.text + "".join(capsys.readouterr())


@pytest.mark.parametrize("dag_id", ["sohoa_handover", "sohoa_intake"])
def test_every_field_of_the_trigger_form_has_a_vietnamese_label_and_help(dag_bag, dag_id):
    params = dag_bag.get_dag(dag_id).params
    vietnamese = re.compile(r"[ăâđêôơưàáảãạèéẻẽẹìíỉĩịòóỏõọùúủũụỳýỷỹỵ]", re.IGNORECASE)
    for name in params:
        param = params.get_param(name)
        schema = param.schema
        assert schema.get("title") and schema["title"] != name, name
        assert vietnamese.search(param.description or ""), f"{dag_id}.{name}: {param.description}"
        if "enum" in schema and dag_id == "sohoa_handover":
            assert set(schema.get("values_display", {})) == set(schema["enum"]), name
