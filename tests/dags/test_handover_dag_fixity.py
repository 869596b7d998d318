"""sohoa_fixity run with dag.test() on the real stack: a clean run passes; a corrupted object alerts (webhook and
e-mail land in the local alert sink) and fails the run with the object named; new objects are backed up."""
from __future__ import annotations

import json
import mmap

import pytest

from sohoa import storage
from sohoa.backup.replica import ensure_running, replica_client
from sohoa.backup.replicate import replicate
from sohoa.catalogue.db import connect, transaction
from sohoa.cli import main as sohoa_main
from sohoa.fixity.check import run_fixity
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


def corrupt_on_disk(stack, bucket: str, data: bytes) -> None:
    """Flip two bytes of ``data`` where SeaweedFS keeps it (a volume file of ``bucket``), behind S3's back, as a
    failing disk would: the server then refuses to serve that needle (its CRC no longer matches)."""
    probe = data[len(data) // 2: len(data) // 2 + 64]
    hits = []
    for volume in sorted((stack.state_dir / "s3").glob(f"{bucket}_*.dat")):
        with open(volume, "r+b") as fh, mmap.mmap(fh.fileno(), 0) as view:
            at = view.find(probe)
            if at >= 0:
                assert view.find(probe, at + 1) < 0, "the probe must be unique to this object"
                view[at:at + 2] = bytes(b ^ 0xFF for b in view[at:at + 2])
                hits.append(volume)
    assert len(hits) == 1, hits


@pytest.mark.slow  # ≈ 2 × 50 s: SeaweedFS and botocore both retry a damaged needle before answering 500
def test_a_master_corrupted_on_disk_is_detected_alerted_once_and_restored_with_its_original_sha256(dag_bag, stack):
    backup = ensure_running(stack)
    conn, s3 = connect(), storage.client()
    sample = make_ho_so(conn, s3, pages=2, van_ban=1)
    prefix = f"{sample.ma_ho_so}/"
    assert replicate(conn, s3, replica_client(stack), endpoint=backup.s3_endpoint, prefix=prefix).copied == 3
    key = storage.master_key(sample.ma_ho_so, 1, "jpg")
    with transaction(conn) as cur:
        cur.execute("SELECT sha256, master_version_id FROM trang WHERE master_key = %s", (key,))
        original, version = cur.fetchone()
    corrupt_on_disk(stack, "masters", s3.get_object(Bucket="masters", Key=key, VersionId=version)["Body"].read())
    lost_pdf = f"{prefix}{sample.ma_ho_so}.01.pdf"
    s3.delete_object(Bucket="derivatives", Key=lost_pdf)

    alerts = stack.state_dir / "alerts"
    before = set(alerts.glob("*.json"))
    assert dag_bag.get_dag("sohoa_fixity").test(run_conf={"prefix": prefix, "sample": 0, "jobs": 2}).state == "failed"
    sent = [json.loads(p.read_text()) for p in set(alerts.glob("*.json")) - before]
    about = [a for a in sent if any(key in p for p in a.get("body", a).get("problems", []))]
    assert len({a.get("body", a)["key"] for a in about}) == 1, sent  # one alert (e-mail and webhook carry it)
    problems = about[0].get("body", about[0])["problems"]  # every problem, not a crash on the first
    assert any(f"s3://masters/{key}: không đọc được" in p for p in problems) and any(lost_pdf in p for p in problems)

    assert sohoa_main(["restore", "--bucket", "masters", "--key", key]) == 0
    assert sohoa_main(["restore", "--bucket", "derivatives", "--key", lost_pdf]) == 0
    with transaction(conn) as cur:
        cur.execute("SELECT sha256, master_version_id FROM trang WHERE master_key = %s", (key,))
        sha256, restored_version = cur.fetchone()
        cur.execute("""SELECT detail->>'was' FROM event WHERE event_type = 'recovery' AND detail->>'key' = %s""",
                    (key,))
        assert cur.fetchall() == [("unreadable",)]
    conn.close()
    assert sha256 == original and restored_version != version
    assert storage.read_sha256(s3, "masters", key)[0] == original
    assert run_fixity(connect(), s3, prefix=prefix).problems == []
