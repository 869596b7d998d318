"""The S3 layer: checksummed puts, verified idempotent copies, resumable multipart, locked masters."""
from __future__ import annotations

import hashlib
import os
import uuid

import botocore.exceptions
import pytest

from sohoa import storage


@pytest.fixture(scope="module")
def s3(stack):
    return storage.client()


def key(suffix: str = "bin") -> str:
    return f"test-storage/{uuid.uuid4().hex}.{suffix}"


def test_master_keys_follow_ma_ho_so_and_page_number():
    assert storage.master_key("G01.01.2015.15", 7, ".TIF") == "G01.01.2015.15/0007.tif"


def test_put_records_the_sha256_as_checksum_and_metadata(s3):
    name, body = key(), b"trang 1" * 1000
    stored = storage.put_bytes(s3, "derivatives", name, body)
    assert stored.sha256 == hashlib.sha256(body).hexdigest()
    assert storage.stored_sha256(s3, "derivatives", name) == stored.sha256
    head = s3.head_object(Bucket="derivatives", Key=name, ChecksumMode="ENABLED")
    assert head["ChecksumSHA256"] == storage.b64_sha256(stored.sha256)
    assert storage.stored_sha256(s3, "derivatives", key()) is None


def test_a_verified_copy_is_written_once_and_skipped_when_already_there(s3):
    source, target, body = key(), key(), os.urandom(3000)
    storage.put_bytes(s3, "derivatives", source, body)
    first = storage.copy_verified(s3, "derivatives", source, "exports", target)
    again = storage.copy_verified(s3, "derivatives", source, "exports", target)
    assert (first.written, again.written) == (True, False)
    assert storage.read_sha256(s3, "exports", target) == (hashlib.sha256(body).hexdigest(), 3000)


def test_a_copy_refuses_a_source_that_does_not_hash_as_expected(s3):
    source, target = key(), key()
    storage.put_bytes(s3, "derivatives", source, b"actual bytes")
    with pytest.raises(storage.ChecksumMismatch, match="nothing was stored"):
        storage.copy_verified(s3, "derivatives", source, "exports", target, sha256_hex="0" * 64)
    assert storage.stored_sha256(s3, "exports", target) is None


def test_a_copy_never_overwrites_different_bytes_under_the_same_key(s3):
    source, target = key(), key()
    storage.put_bytes(s3, "derivatives", source, b"new")
    storage.put_bytes(s3, "exports", target, b"old")
    with pytest.raises(storage.StorageError, match="already holds different bytes"):
        storage.copy_verified(s3, "derivatives", source, "exports", target)


def test_multipart_upload_resumes_and_skips_parts_already_sent(s3, monkeypatch):
    monkeypatch.setattr(storage, "PART_SIZE", 5 * 1024 * 1024)
    body = os.urandom(12 * 1024 * 1024)
    chunks = [body[i:i + storage.PART_SIZE] for i in range(0, len(body), storage.PART_SIZE)]
    digest, name = hashlib.sha256(body).hexdigest(), key()
    sent, fail = [], [True]
    real_upload_part = s3.upload_part

    def upload_part(**kwargs):
        if fail[0] and sent:
            raise ConnectionError("injected: connection lost after part 1")
        sent.append(kwargs["PartNumber"])
        return real_upload_part(**kwargs)

    monkeypatch.setattr(s3, "upload_part", upload_part)
    with pytest.raises(ConnectionError):
        storage.upload_chunks(s3, "inbox", f"vendor-demo/{name}", iter(chunks), size=len(body), sha256_hex=digest)
    fail[0] = False
    stored = storage.upload_chunks(s3, "inbox", f"vendor-demo/{name}", iter(chunks), size=len(body),
                                   sha256_hex=digest)
    assert sent == [1, 2, 3]  # part 1 once, then only the missing parts
    assert storage.read_sha256(s3, "inbox", stored.key) == (digest, len(body))
    assert storage.stored_sha256(s3, "inbox", stored.key) == digest


def test_the_pipeline_cannot_delete_a_locked_master_version(s3):
    name = key("jpg")
    stored = storage.put_bytes(s3, storage.MASTERS, name, b"master page", extra=storage.lock_arguments())
    assert stored.version_id
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        s3.delete_object(Bucket=storage.MASTERS, Key=name, VersionId=stored.version_id)
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    with pytest.raises(botocore.exceptions.ClientError):
        s3.delete_object(Bucket=storage.MASTERS, Key=name, VersionId=stored.version_id,
                         BypassGovernanceRetention=True)
    assert storage.read_sha256(s3, storage.MASTERS, name, stored.version_id)[0] == stored.sha256


def test_a_master_is_locked_in_compliance_mode_so_not_even_the_admin_with_bypass_can_delete_or_unlock_it(s3):
    import datetime as dt
    name = key("jpg")
    stored = storage.put_bytes(s3, storage.MASTERS, name, b"master page", extra=storage.lock_arguments())
    assert s3.head_object(Bucket=storage.MASTERS, Key=name)["ObjectLockMode"] == "COMPLIANCE"
    soon = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)
    admin = storage.client(identity="admin")
    for client in (s3, admin):
        attempts = [
            lambda: client.delete_object(Bucket=storage.MASTERS, Key=name, VersionId=stored.version_id,
                                         BypassGovernanceRetention=True),
            lambda: client.put_object_retention(Bucket=storage.MASTERS, Key=name, VersionId=stored.version_id,
                                                Retention={"Mode": "GOVERNANCE", "RetainUntilDate": soon},
                                                BypassGovernanceRetention=True),
            lambda: client.put_object_retention(Bucket=storage.MASTERS, Key=name, VersionId=stored.version_id,
                                                Retention={"Mode": "COMPLIANCE", "RetainUntilDate": soon},
                                                BypassGovernanceRetention=True),
        ]
        for attempt in attempts:
            with pytest.raises(botocore.exceptions.ClientError) as refused:
                attempt()
            assert refused.value.response["Error"]["Code"] == "AccessDenied"
    retention = admin.get_object_retention(Bucket=storage.MASTERS, Key=name, VersionId=stored.version_id)["Retention"]
    assert retention["Mode"] == "COMPLIANCE" and retention["RetainUntilDate"].year >= soon.year + 99
    assert storage.read_sha256(s3, storage.MASTERS, name, stored.version_id)[0] == stored.sha256


def test_the_pipeline_can_neither_hide_a_master_behind_a_delete_marker_nor_expire_nor_unprotect_masters(s3):
    name = key()
    stored = storage.put_bytes(s3, storage.MASTERS, name, b"scratch, not even locked")
    refused = [
        lambda: s3.delete_object(Bucket=storage.MASTERS, Key=name),  # a delete marker: the key reads NoSuchKey
        lambda: s3.delete_object(Bucket=storage.MASTERS, Key=name, VersionId=stored.version_id),
        lambda: s3.put_bucket_lifecycle_configuration(Bucket=storage.MASTERS, LifecycleConfiguration={"Rules": [
            {"ID": "expire", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 1}}]}),
        lambda: s3.delete_bucket_policy(Bucket=storage.MASTERS),
        lambda: s3.put_bucket_versioning(Bucket=storage.MASTERS, VersioningConfiguration={"Status": "Suspended"}),
    ]
    for attempt in refused:
        with pytest.raises(botocore.exceptions.ClientError) as denied:
            attempt()
        assert denied.value.response["Error"]["Code"] == "AccessDenied"
    assert storage.read_sha256(s3, storage.MASTERS, name)[0] == stored.sha256


def test_an_unknown_identity_is_a_clear_error():
    with pytest.raises(storage.StorageError, match="unknown S3 identity"):
        storage.client(identity="nobody")


def test_a_large_page_is_copied_to_masters_in_parts_locked_and_verified(s3, monkeypatch):
    monkeypatch.setattr(storage, "PART_SIZE", 5 * 1024 * 1024)
    body = os.urandom(11 * 1024 * 1024)
    source, target = f"vendor-demo/{key('tif')}", key("tif")
    storage.put_bytes(s3, "inbox", source, body)
    stored = storage.copy_verified(s3, "inbox", source, storage.MASTERS, target,
                                   sha256_hex=hashlib.sha256(body).hexdigest(), extra=storage.lock_arguments())
    head = s3.head_object(Bucket=storage.MASTERS, Key=target)
    assert (head["ContentLength"], head["ObjectLockMode"]) == (len(body), "COMPLIANCE")
    assert storage.copy_verified(s3, "inbox", source, storage.MASTERS, target).written is False
    with pytest.raises(botocore.exceptions.ClientError):
        s3.delete_object(Bucket=storage.MASTERS, Key=target, VersionId=stored.version_id)
