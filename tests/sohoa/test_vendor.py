"""The vendor's tool: same rules as the server, resumable upload with the vendor's own keys, scoped access."""
from __future__ import annotations

import uuid

import botocore.exceptions
import pytest

from sohoa import storage
from sohoa.catalogue import db, migrate
from sohoa.cli import main
from sohoa.intake.process import run_intake
from sohoa.intake.samples import encode, make_batch, noise_page, page_entry, read_manifest, write_manifest
from sohoa.intake.source import LocalBatch
from sohoa.vendor_tool.upload import VendorError, batch_status, upload_batch

VENDOR, OTHER = "vendor-demo", "vendor-b"


@pytest.fixture()
def folder(tmp_path):
    batch_id = f"t{uuid.uuid4().hex[:12]}"
    make_batch(tmp_path / batch_id, VENDOR, batch_id, 1, 2)
    return tmp_path / batch_id


class Recording:
    """An S3 client that remembers the keys it wrote, in order."""

    def __init__(self, s3):
        self.s3, self.keys = s3, []

    def __getattr__(self, name):
        return getattr(self.s3, name)

    def put_object(self, **kwargs):
        self.keys.append(kwargs["Key"])
        return self.s3.put_object(**kwargs)


def denied(call) -> bool:
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        call()
    return refused.value.response["Error"]["Code"] in {"AccessDenied", "403"}  # HEAD answers a bare 403


def spoil_dpi(folder):
    manifest = read_manifest(folder)
    trang = manifest["ho_so"][0]["trang"][0]
    data = encode(noise_page("low", 1), dpi=150)
    (folder / trang["ten_tep"]).write_bytes(data)
    trang.update(page_entry(1, trang["ten_tep"], data, 150, "color"))
    write_manifest(folder, manifest)


def test_validate_on_the_vendors_machine_uses_the_servers_rules(folder, capsys):
    assert main(["vendor", "validate", str(folder)]) == 0
    assert "Kết luận: CHẤP NHẬN" in capsys.readouterr().out
    spoil_dpi(folder)
    assert main(["vendor", "validate", str(folder)]) == 1
    assert "độ phân giải 150 dpi, thấp hơn mức tối thiểu 200 dpi" in capsys.readouterr().out


def test_upload_sends_every_file_with_its_sha256_and_writes_the_marker_last(folder, stack):
    s3 = Recording(storage.client(identity=VENDOR))
    result = upload_batch(folder, vendor=VENDOR, s3=s3, progress=False)
    prefix = storage.batch_prefix(VENDOR, folder.name)
    assert result.uploaded == 3  # then the marker, then the entry of the poll's pending index
    assert s3.keys[-3:] == [prefix + "manifest.json", prefix + "_COMPLETE", f"{VENDOR}/_pending/{folder.name}"]
    for name in LocalBatch(folder).files():
        assert storage.stored_sha256(s3, storage.INBOX, prefix + name) == \
            storage.sha256_of([(folder / name).read_bytes()])[0]


def test_uploading_again_sends_only_what_is_missing(folder, stack):
    first = upload_batch(folder, vendor=VENDOR, progress=False, complete=False)
    again = upload_batch(folder, vendor=VENDOR, progress=False, complete=False)
    assert (first.uploaded, again.uploaded, again.skipped, again.bytes_sent) == (3, 0, 3, 0)


def test_upload_refuses_a_batch_that_would_be_rejected(folder, stack):
    spoil_dpi(folder)
    with pytest.raises(VendorError, match="chưa đạt yêu cầu"):
        upload_batch(folder, vendor=VENDOR, progress=False)
    with pytest.raises(VendorError, match=f"Không có lô {folder.name} của nhà thầu {VENDOR} trên kho"):
        batch_status(VENDOR, folder.name)


def test_a_vendor_cannot_read_list_or_overwrite_another_vendors_batch(tmp_path, stack):
    batch_id = f"t{uuid.uuid4().hex[:12]}"
    make_batch(tmp_path / batch_id, OTHER, batch_id, 1, 1)
    upload_batch(tmp_path / batch_id, vendor=OTHER, progress=False, complete=False)
    intruder = storage.client(identity=VENDOR)
    victim = storage.batch_prefix(OTHER, batch_id)
    assert denied(lambda: intruder.get_object(Bucket=storage.INBOX, Key=victim + "manifest.json"))
    assert denied(lambda: intruder.put_object(Bucket=storage.INBOX, Key=victim + "manifest.json", Body=b"{}"))
    assert denied(lambda: intruder.delete_object(Bucket=storage.INBOX, Key=victim + "manifest.json"))
    assert denied(lambda: intruder.list_objects_v2(Bucket=storage.INBOX, Prefix=f"{OTHER}/"))
    assert denied(lambda: intruder.list_objects_v2(Bucket=storage.INBOX))
    with pytest.raises(botocore.exceptions.ClientError):  # the tool with the wrong vendor's keys
        upload_batch(tmp_path / batch_id, vendor=OTHER, s3=intruder, progress=False)
    owner = storage.client(identity=OTHER)
    assert owner.get_object(Bucket=storage.INBOX, Key=victim + "manifest.json")["Body"].read() == \
        (tmp_path / batch_id / "manifest.json").read_bytes()


def test_a_vendor_reads_its_own_verdict_and_no_one_elses(folder, stack):
    migrate.upgrade()
    upload_batch(folder, vendor=VENDOR, progress=False, complete=False)
    conn = db.connect()
    try:
        run_intake(storage.client(), conn, VENDOR, folder.name)
    finally:
        conn.close()
    text, document = batch_status(VENDOR, folder.name)
    assert "Kết luận: CHẤP NHẬN" in text and document["verdict"] == "accepted"
    other = storage.client(identity=OTHER)
    assert denied(lambda: batch_status(VENDOR, folder.name, s3=other))
    assert main(["vendor", "status", folder.name, "--vendor", VENDOR]) == 0


def test_vendors_cannot_touch_masters_or_quarantine(stack):
    s3 = storage.client(identity=VENDOR)
    assert denied(lambda: s3.list_objects_v2(Bucket=storage.MASTERS))
    assert denied(lambda: s3.put_object(Bucket=storage.MASTERS, Key="x/0001.jpg", Body=b"x"))
    assert denied(lambda: s3.list_objects_v2(Bucket=storage.QUARANTINE, Prefix=f"{VENDOR}/"))


@pytest.mark.parametrize("bucket", [storage.MASTERS, storage.QUARANTINE, storage.DERIVATIVES, storage.EXPORTS])
def test_a_vendor_can_neither_read_list_write_nor_delete_anything_beyond_the_inbox(stack, bucket):
    pipeline, vendor = storage.client(), storage.client(identity=VENDOR)
    key = f"{VENDOR}/probe-{uuid.uuid4().hex[:8]}.txt"
    pipeline.put_object(Bucket=bucket, Key=key, Body=b"the pipeline's")
    assert denied(lambda: vendor.get_object(Bucket=bucket, Key=key))
    assert denied(lambda: vendor.head_object(Bucket=bucket, Key=key))
    assert denied(lambda: vendor.list_objects_v2(Bucket=bucket))
    assert denied(lambda: vendor.list_objects_v2(Bucket=bucket, Prefix=f"{VENDOR}/"))
    assert denied(lambda: vendor.put_object(Bucket=bucket, Key=key, Body=b"the vendor's"))
    assert denied(lambda: vendor.delete_object(Bucket=bucket, Key=key))
    assert pipeline.get_object(Bucket=bucket, Key=key)["Body"].read() == b"the pipeline's"
