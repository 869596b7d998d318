"""The inbox's indexes (issue 19, item 4), on a private SeaweedFS so that the stack's intake does not take the
batches first: the inbox watcher puts a batch uploaded with plain S3 — only a ``_COMPLETE`` marker, no pending-index
entry — in the pending index, so the ordinary poll finds it within seconds, without the full sweep; the backfill
gives batches judged before the done index existed their entry."""
from __future__ import annotations

import json
import time
import uuid

import pytest

from sohoa import storage
from sohoa.catalogue.db import transaction
from sohoa.intake.manifest import COMPLETE, MANIFEST, REPORT_JSON, done_key, pending_key
from sohoa.intake.process import backfill_done_index, complete_batches
from sohoa.intake.watcher import InboxWatcher, events, in_background, index, marked_batch
from sohoa.localstack.inboxwatch import InboxWatch
from sohoa.localstack.seaweed import SeaweedS3, weed_binary

pytestmark = pytest.mark.stack
PORT_OFFSET = 600
VENDOR = "vendor-demo"
WAIT_S = 20.0


@pytest.fixture(scope="module")
def server(stack, tmp_path_factory):
    folder = tmp_path_factory.mktemp("watcher")
    host = stack.s3_endpoint.rsplit(":", 1)[0]
    cfg = stack.model_copy(update={"s3_base_port": stack.s3_base_port + PORT_OFFSET, "state_dir": folder,
                                   "s3_endpoint": f"{host}:{stack.s3_port + PORT_OFFSET}"})
    server = SeaweedS3(cfg, name="seaweedfs-watcher", data_dir=folder / "s3")
    server.start()
    yield server
    server.stop()


def watching(server: SeaweedS3):
    """An :class:`InboxWatcher` on ``server``, running for a ``with`` block."""
    return in_background(InboxWatcher(server.admin(), weed=weed_binary(), filer=server.filer_address,
                                      security_dir=server.security_dir))


def plain_upload(s3, batch_id: str, vendor: str = VENDOR) -> None:
    """What a vendor's own S3 tool leaves: the files, then ``_COMPLETE``; no pending-index entry."""
    prefix = storage.batch_prefix(vendor, batch_id)
    s3.put_object(Bucket=storage.INBOX, Key=prefix + MANIFEST, Body=b"{}")
    s3.put_object(Bucket=storage.INBOX, Key=prefix + COMPLETE, Body=b"{}")


def polled(s3, batch_id: str, *, within: float = WAIT_S) -> bool:
    """Whether the ordinary poll (pending index, no sweep) finds the batch within ``within`` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if {"vendor": VENDOR, "batch_id": batch_id} in complete_batches(s3):
            return True
        time.sleep(0.2)
    return False


def test_a_batch_uploaded_with_plain_s3_is_found_by_the_ordinary_poll_within_seconds(server):
    s3 = server.admin()
    with watching(server):
        started = time.monotonic()
        plain_upload(s3, "s3-thuong")
        assert polled(s3, "s3-thuong"), "the _COMPLETE marker never reached the pending index"
        assert time.monotonic() - started < 5


def test_batches_marked_while_the_watcher_was_down_are_indexed_when_it_starts_again(server):
    s3 = server.admin()
    plain_upload(s3, "khi-tat")
    assert not polled(s3, "khi-tat", within=1)
    with watching(server):
        assert polled(s3, "khi-tat")


def test_the_watcher_subscribes_again_after_seaweedfs_restarts(server):
    s3 = server.admin()
    with watching(server):
        server.stop()
        server.start()
        s3 = server.admin()
        plain_upload(s3, "sau-khoi-dong-lai")
        assert polled(s3, "sau-khoi-dong-lai", within=30)


def test_only_a_marker_directly_in_a_vendor_batch_folder_is_indexed_and_only_while_it_is_there(server):
    s3 = server.admin()
    with watching(server):
        for key in (f"{VENDOR}/lo-a/thu-muc-con/{COMPLETE}", f"{storage.BORN_DIGITAL_INBOX}/SNV/hs-01/{COMPLETE}",
                    f"{VENDOR}/_done/lo-b/{COMPLETE}"):
            s3.put_object(Bucket=storage.INBOX, Key=key, Body=b"{}")
        plain_upload(s3, "lo-c")
        assert polled(s3, "lo-c")  # events come in order: every earlier one has been handled
    for vendor, batch_id in ((VENDOR, "lo-a"), (VENDOR, "_done"),
                             (storage.BORN_DIGITAL_INBOX, "SNV")):
        assert storage.stored_sha256(s3, storage.INBOX, pending_key(vendor, batch_id)) is None
    s3.put_object(Bucket=storage.INBOX, Key=f"{VENDOR}/da-go/{COMPLETE}", Body=b"{}")
    s3.delete_object(Bucket=storage.INBOX, Key=f"{VENDOR}/da-go/{COMPLETE}")
    assert not index(s3, VENDOR, "da-go")  # an event for a marker removed since
    assert storage.stored_sha256(s3, storage.INBOX, pending_key(VENDOR, "da-go")) is None


class IntakeFinishingMeanwhile:
    """The real client, except that intake finishes the batch (its marker removed, then its entry) right after
    the watcher has written the entry — the order of :func:`sohoa.intake.process._unmark`."""

    def __init__(self, s3, marker: str):
        self.s3, self.marker = s3, marker

    def __getattr__(self, name):
        return getattr(self.s3, name)

    def put_object(self, **kwargs):
        answer = self.s3.put_object(**kwargs)
        self.s3.delete_object(Bucket=storage.INBOX, Key=self.marker)
        return answer


def test_an_entry_written_while_intake_finished_the_batch_is_taken_back(server):
    s3 = server.admin()
    plain_upload(s3, "xong-giua-chung")
    marker = storage.batch_prefix(VENDOR, "xong-giua-chung") + COMPLETE
    assert not index(IntakeFinishingMeanwhile(s3, marker), VENDOR, "xong-giua-chung")
    assert storage.stored_sha256(s3, storage.INBOX, pending_key(VENDOR, "xong-giua-chung")) is None


def test_the_stack_runs_an_inbox_watcher_on_its_own_seaweedfs(stack):
    watcher = InboxWatch(stack)
    assert watcher.healthy()
    assert watcher.server.filer_address == f"127.0.0.1:{stack.s3_base_port + 2}.{stack.s3_base_port + 12}"
    assert watcher.server.filer_address in watcher.service.argv


def event(folder: str, name: str, *, deleted: bool = False) -> dict:
    entry = {"name": name, "isDirectory": False}
    return {"directory": folder, "eventNotification": {"oldEntry": entry if deleted else None,
                                                       "newEntry": None if deleted else entry,
                                                       "newParentPath": "" if deleted else folder}}


def test_a_filer_event_names_a_batch_only_for_a_complete_marker_written_in_a_batch_folder():
    assert marked_batch(event("/buckets/inbox/vendor-b/L-01", COMPLETE)) == ("vendor-b", "L-01")
    for folder, name, deleted in (("/buckets/inbox/vendor-b/L-01", COMPLETE, True),
                                  ("/buckets/inbox/vendor-b/L-01", MANIFEST, False),
                                  ("/buckets/inbox/vendor-b/L-01/HS", COMPLETE, False),
                                  ("/buckets/inbox/vendor-b/_pending", COMPLETE, False),
                                  ("/buckets/inbox/nop-luu/SNV", COMPLETE, False),
                                  ("/buckets/masters/vendor-b/L-01", COMPLETE, False),
                                  ("/buckets/inbox/vendor-b/lô 1", COMPLETE, False)):
        assert marked_batch(event(folder, name, deleted=deleted)) is None, (folder, name, deleted)


def test_the_tails_indented_json_is_read_one_event_at_a_time():
    lines = ['{\n', '  "directory":  "/buckets/inbox/v/b",\n', '  "eventNotification":  {\n', '    "newEntry":  {\n',
             '      "name":  "_COMPLETE"\n', '    }\n', '  }\n', '}\n', '{\n', '  "directory":  "/x"\n', '}\n']
    assert [e["directory"] for e in events(lines)] == ["/buckets/inbox/v/b", "/x"]


def test_the_backfill_indexes_folders_of_batches_done_before_the_done_index_and_nothing_else(server, conn):
    s3, tag = server.admin(), uuid.uuid4().hex[:8]
    old, running, resent, gone, indexed = (f"{name}-{tag}" for name in ("cu", "dang-chay", "gui-lai", "da-xoa",
                                                                       "co-roi"))
    with transaction(conn) as cur:
        for batch_id, status, verdict in ((old, "done", "partial"), (running, "received", None),
                                          (resent, "done", "accepted"), (gone, "done", "accepted"),
                                          (indexed, "done", "rejected")):
            cur.execute("INSERT INTO batch (vendor, batch_id, status, verdict) VALUES (%s, %s, %s, %s)",
                        (VENDOR, batch_id, status, verdict))
    try:
        for batch_id in (old, running, resent, indexed):
            s3.put_object(Bucket=storage.INBOX, Key=storage.batch_prefix(VENDOR, batch_id) + REPORT_JSON, Body=b"{}")
        s3.put_object(Bucket=storage.INBOX, Key=storage.batch_prefix(VENDOR, resent) + COMPLETE, Body=b"{}")
        s3.put_object(Bucket=storage.INBOX, Key=done_key(VENDOR, indexed), Body=b'{"verdict": "held"}')

        backfill_done_index(s3, conn)

        def entry(batch_id: str) -> dict | None:
            if storage.stored_sha256(s3, storage.INBOX, done_key(VENDOR, batch_id)) is None:
                return None
            return json.loads(s3.get_object(Bucket=storage.INBOX, Key=done_key(VENDOR, batch_id))["Body"].read())
        assert entry(old) == {"verdict": "partial"}
        assert entry(indexed) == {"verdict": "held"}  # an entry intake wrote is never replaced
        assert entry(running) is None and entry(resent) is None and entry(gone) is None
        assert backfill_done_index(s3, conn) == 0
    finally:
        with transaction(conn) as cur:
            cur.execute("DELETE FROM batch WHERE vendor = %s AND batch_id LIKE %s", (VENDOR, f"%-{tag}"))
