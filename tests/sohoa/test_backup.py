"""Backups against the real stack and a second SeaweedFS (own ports, own data folder): every object copied once
and verified there; lost or damaged objects rebuilt from the copy; a damaged copy is never restored."""
from __future__ import annotations

import pytest

from sohoa import storage
from sohoa.backup import BackupError
from sohoa.backup.replica import ensure_running, replica_client, replica_settings
from sohoa.backup.replicate import ReplicationIncomplete, replicate, restore
from sohoa.catalogue.db import connect, transaction
from sohoa.cli import main as sohoa_main
from sohoa.fixity.check import run_fixity
from sohoa.handover.samples import make_ho_so

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def backup_store(stack):
    backup = ensure_running(stack)
    assert backup.s3_endpoint != stack.s3_endpoint
    return backup.s3_endpoint, replica_client(stack)


@pytest.fixture()
def replicated(backup_store):
    endpoint, backup = backup_store
    conn, s3 = connect(), storage.client()
    sample = make_ho_so(conn, s3, pages=3, van_ban=1)
    report = replicate(conn, s3, backup, endpoint=endpoint, prefix=f"{sample.ma_ho_so}/")
    yield conn, s3, backup, endpoint, sample, report
    conn.close()


def test_every_object_is_copied_once_and_verified_on_the_second_store(replicated):
    conn, s3, backup, endpoint, sample, report = replicated
    assert report.copied == 3 + 1
    with transaction(conn) as cur:
        cur.execute("SELECT bucket, key, sha256 FROM replica WHERE endpoint = %s AND key LIKE %s",
                    (endpoint, f"{sample.ma_ho_so}/%"))
        rows = cur.fetchall()
    assert len(rows) == 4
    for bucket, key, sha in rows:
        assert storage.read_sha256(backup, bucket, key)[0] == sha
        assert storage.read_sha256(s3, bucket, key)[0] == sha
    assert replicate(conn, s3, backup, endpoint=endpoint, prefix=f"{sample.ma_ho_so}/").copied == 0


def test_a_lost_pdf_is_rebuilt_from_the_backup_copy(replicated):
    conn, s3, backup, endpoint, sample, _ = replicated
    key = f"{sample.ma_ho_so}/{sample.ma_ho_so}.01.pdf"
    s3.delete_object(Bucket="derivatives", Key=key)
    assert len(run_fixity(conn, s3, prefix=f"{sample.ma_ho_so}/").problems) == 1
    assert sohoa_main(["restore", "--bucket", "derivatives", "--key", key]) == 0
    assert run_fixity(conn, s3, prefix=f"{sample.ma_ho_so}/").problems == []
    with transaction(conn) as cur:
        cur.execute("SELECT detail->>'was' FROM event WHERE event_type = 'recovery' AND detail->>'key' = %s", (key,))
        assert cur.fetchall() == [("missing",)]
    assert restore(conn, s3, backup, "derivatives", key, endpoint=endpoint)["status"] == "intact"


def test_a_master_is_restored_as_a_new_locked_version_the_catalogue_points_to(replicated, s3_admin):
    conn, s3, backup, endpoint, sample, _ = replicated
    key = storage.master_key(sample.ma_ho_so, 2, "jpg")
    result = restore(conn, s3, backup, "masters", key, endpoint=endpoint, force=True)
    assert result["status"] == "restored" and result["was"] == "ok"
    with transaction(conn) as cur:
        cur.execute("SELECT master_version_id, sha256 FROM trang WHERE master_key = %s", (key,))
        version, sha = cur.fetchone()
    assert version == result["version_id"]
    assert storage.read_sha256(s3, "masters", key, version)[0] == sha
    retention = s3_admin.get_object_retention(Bucket="masters", Key=key, VersionId=version)["Retention"]
    assert retention["Mode"] == "COMPLIANCE"


def test_a_damaged_backup_copy_is_never_restored(replicated):
    conn, s3, backup, endpoint, sample, _ = replicated
    key = f"{sample.ma_ho_so}/{sample.ma_ho_so}.01.pdf"
    storage.put_bytes(backup, "derivatives", key, b"%PDF-1.7 damaged copy")
    s3.delete_object(Bucket="derivatives", Key=key)
    with pytest.raises(storage.ChecksumMismatch):
        restore(conn, s3, backup, "derivatives", key, endpoint=endpoint)
    assert storage.stored_sha256(s3, "derivatives", key) is None


def test_an_object_without_a_backup_copy_cannot_be_restored(backup_store):
    endpoint, backup = backup_store
    conn, s3 = connect(), storage.client()
    try:
        sample = make_ho_so(conn, s3, pages=1, van_ban=1)
        with pytest.raises(BackupError, match="chưa có bản sao dự phòng"):
            restore(conn, s3, backup, "derivatives", f"{sample.ma_ho_so}/{sample.ma_ho_so}.01.pdf", endpoint=endpoint)
    finally:
        conn.close()


@pytest.mark.parametrize("configured", ["", "https://backup.example.vn:9000"])
def test_the_backup_endpoint_is_the_configured_one_or_the_local_second_seaweedfs(stack, configured):
    cfg = stack.model_copy(update={"s3_backup_endpoint": configured})
    backup = ensure_running(cfg) if configured else replica_settings(cfg)  # an external store is never started
    expected = configured or f"{stack.s3_endpoint.rsplit(':', 1)[0]}:{stack.s3_port + 100}"
    assert backup.s3_endpoint == expected
    assert backup.s3_pipeline_key == stack.s3_pipeline_key


def _replica_rows(conn, endpoint, prefix):
    with transaction(conn) as cur:
        cur.execute("SELECT bucket, key FROM replica WHERE endpoint = %s AND key LIKE %s", (endpoint, prefix + "%"))
        return set(cur.fetchall())


def test_replication_records_every_object_it_copied_when_one_of_them_fails(backup_store):
    endpoint, backup = backup_store
    conn, s3 = connect(), storage.client()
    try:
        sample = make_ho_so(conn, s3, pages=3, van_ban=1)
        prefix = f"{sample.ma_ho_so}/"
        damaged = f"{prefix}{sample.ma_ho_so}.01.pdf"
        storage.put_bytes(s3, "derivatives", damaged, b"%PDF-1.7 no longer what the catalogue holds")
        with pytest.raises(ReplicationIncomplete, match=damaged) as raised:
            replicate(conn, s3, backup, endpoint=endpoint, prefix=prefix)
        assert "3 copied" in str(raised.value)
        assert _replica_rows(conn, endpoint, prefix) == {
            ("masters", storage.master_key(sample.ma_ho_so, n, "jpg")) for n in (1, 2, 3)}
        assert storage.stored_sha256(backup, "derivatives", damaged) is None
        with transaction(conn) as cur:
            cur.execute("""SELECT outcome FROM event WHERE event_type = 'replication' AND detail->>'key' = %s""",
                        (damaged,))
            assert cur.fetchall() == [("failure",)]
    finally:
        conn.close()


def test_replication_never_writes_a_second_locked_version_of_a_master_the_backup_holds(backup_store):
    endpoint, backup = backup_store
    conn, s3 = connect(), storage.client()
    try:
        sample = make_ho_so(conn, s3, pages=2, van_ban=1)
        prefix = f"{sample.ma_ho_so}/"
        assert replicate(conn, s3, backup, endpoint=endpoint, prefix=prefix).copied == 3
        with transaction(conn) as cur:  # the records lost (a crash before they were written, as it once was)
            cur.execute("DELETE FROM replica WHERE endpoint = %s AND key LIKE %s", (endpoint, prefix + "%"))
        again = replicate(conn, s3, backup, endpoint=endpoint, prefix=prefix)
        assert (again.copied, again.found) == (0, 3)
        assert len(_replica_rows(conn, endpoint, prefix)) == 3
        for n in (1, 2):
            key = storage.master_key(sample.ma_ho_so, n, "jpg")
            listed = backup.list_object_versions(Bucket="masters", Prefix=key).get("Versions", [])
            assert len([v for v in listed if v["Key"] == key]) == 1
    finally:
        conn.close()
