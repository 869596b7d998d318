"""The inbox's lifecycle rule (issue 19, item 4), on a private SeaweedFS so that no other test's batches are
touched: judged batches leave the inbox after the retention period; held batches, files sent since and agencies'
submissions stay."""
from __future__ import annotations

import datetime as dt
import json
import time

import pytest

from sohoa import storage
from sohoa.intake.manifest import COMPLETE, MANIFEST, REPORT_JSON, done_key, pending_key
from sohoa.intake.process import complete_batches
from sohoa.intake.retention import RETENTION_DAYS, expire_judged
from sohoa.localstack.seaweed import SeaweedS3

pytestmark = pytest.mark.stack
PORT_OFFSET = 500
VENDOR = "vendor-demo"


@pytest.fixture(scope="module")
def inbox(stack, tmp_path_factory):
    """The admin client of a private SeaweedFS (own ports and folder), its buckets created."""
    folder = tmp_path_factory.mktemp("retention")
    host = stack.s3_endpoint.rsplit(":", 1)[0]
    cfg = stack.model_copy(update={"s3_base_port": stack.s3_base_port + PORT_OFFSET, "state_dir": folder,
                                   "s3_endpoint": f"{host}:{stack.s3_port + PORT_OFFSET}"})
    server = SeaweedS3(cfg, name="seaweedfs-retention", data_dir=folder / "s3")
    server.start()
    yield server.admin()
    server.stop()


def judged(s3, batch_id: str, verdict: str = "accepted", vendor: str = VENDOR) -> list[str]:
    """A batch folder as intake leaves it (manifest, a page, the report) and its done-index entry; its keys."""
    prefix = storage.batch_prefix(vendor, batch_id)
    keys = [prefix + MANIFEST, prefix + "HS-001/0001.jpg", prefix + REPORT_JSON]
    for key in keys:
        s3.put_object(Bucket=storage.INBOX, Key=key, Body=b"{}")
    s3.put_object(Bucket=storage.INBOX, Key=done_key(vendor, batch_id), Body=json.dumps({"verdict": verdict}))
    return keys


def exists(s3, key: str) -> bool:
    return storage.stored_sha256(s3, storage.INBOX, key) is not None or bool(
        s3.list_objects_v2(Bucket=storage.INBOX, Prefix=key, MaxKeys=1).get("KeyCount"))


def test_a_judged_batch_leaves_the_inbox_after_the_retention_period_and_nothing_else_does(inbox):
    old = judged(inbox, "da-xong")
    held = judged(inbox, "tam-giu", verdict="held")
    resent = judged(inbox, "gui-lai")
    submission = f"{storage.BORN_DIGITAL_INBOX}/SNV/hs-01/ho_so.json"
    inbox.put_object(Bucket=storage.INBOX, Key=submission, Body=b"{}")
    inbox.put_object(Bucket=storage.INBOX, Key=f"{storage.BORN_DIGITAL_INBOX}/_done/x/verdict.json", Body=b"{}")
    assert expire_judged(inbox).batches == 0  # within the retention period: nothing goes
    time.sleep(1.1)
    cutoff = dt.datetime.now(dt.timezone.utc)
    time.sleep(1.1)
    sent_again = storage.batch_prefix(VENDOR, "gui-lai") + "HS-001/0002.jpg"  # the vendor re-sending the id
    inbox.put_object(Bucket=storage.INBOX, Key=sent_again, Body=b"new page")

    expired = expire_judged(inbox, now=cutoff + dt.timedelta(days=RETENTION_DAYS))
    assert (expired.batches, expired.objects) == (1, 6)  # da-xong whole; gui-lai's old files only
    assert not any(exists(inbox, key) for key in old) and not exists(inbox, done_key(VENDOR, "da-xong"))
    assert all(exists(inbox, key) for key in held) and exists(inbox, done_key(VENDOR, "tam-giu"))
    assert exists(inbox, sent_again) and exists(inbox, done_key(VENDOR, "gui-lai"))
    assert not any(exists(inbox, key) for key in resent)
    assert exists(inbox, submission)
    assert inbox.list_objects_v2(Bucket=storage.INBOX, Prefix=storage.batch_prefix(VENDOR, "da-xong"))[
        "KeyCount"] == 0  # the emptied folder itself goes with SeaweedFS's empty-folder cleaner, minutes later


def test_a_batch_id_sent_again_after_its_folder_expired_is_found_by_the_poll(inbox):
    judged(inbox, "het-han")
    assert expire_judged(inbox, now=dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=RETENTION_DAYS + 1)
                         ).batches >= 1
    inbox.put_object(Bucket=storage.INBOX, Key=storage.batch_prefix(VENDOR, "het-han") + COMPLETE, Body=b"{}")
    inbox.put_object(Bucket=storage.INBOX, Key=pending_key(VENDOR, "het-han"), Body=b"{}")  # as the vendor tool
    assert {"vendor": VENDOR, "batch_id": "het-han"} in complete_batches(inbox)
