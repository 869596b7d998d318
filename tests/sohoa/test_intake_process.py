"""Intake against the real PostgreSQL and SeaweedFS: verdicts, placement, idempotency, and nothing lost when
things fail halfway (fault injection, killed workers, restarted services)."""
from __future__ import annotations

import collections
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import uuid

import botocore.exceptions
import pytest

from sohoa import localstack, storage
from sohoa.catalogue import db
from sohoa.catalogue.db import BatchBusy, batch_lock
from sohoa.catalogue.events import events_of
from sohoa.intake import process
from sohoa.intake.manifest import done_key
from sohoa.intake.process import BatchNotFound, ClaimConflict, complete_batches, run_intake
from sohoa.intake.samples import encode, make_batch, noise_page, page_entry, read_manifest, write_manifest
from sohoa.localstack.inboxwatch import InboxWatch
from sohoa.localstack.postgres import Postgres
from sohoa.localstack.seaweed import SeaweedS3
from sohoa.vendor_tool.upload import upload_batch

VENDOR = "vendor-demo"




@pytest.fixture(scope="module")
def s3(migrated):
    return storage.client()


@pytest.fixture()
def prepare(tmp_path):
    """``prepare(n_ho_so, pages, mutate=None)`` builds a batch, lets ``mutate(folder)`` spoil it, uploads it
    with the vendor's credentials (no _COMPLETE marker: the tests run intake themselves) → (folder, batch_id)."""
    def build(n_ho_so=2, pages=3, mutate=None, vendor=VENDOR):
        batch_id = f"t{uuid.uuid4().hex[:12]}"
        folder = tmp_path / batch_id
        make_batch(folder, vendor, batch_id, n_ho_so, pages)
        if mutate:
            mutate(folder)
        upload_batch(folder, vendor=vendor, force=True, progress=False, complete=False)
        return folder, batch_id
    return build


@pytest.fixture()
def unwatched(stack):
    """The stack's inbox watcher stopped for the test, the stack's lock held so that the supervisor leaves it
    stopped: a marker written with plain S3 stays out of the pending index, as where no watcher runs, and the
    running Airflow finds it only by its sweep (tests/sohoa/test_intake_index.py has the watcher's side)."""
    watcher = InboxWatch(stack)
    with localstack.exclusive(stack):
        watcher.stop()
        try:
            yield
        finally:
            watcher.start()


def query(conn, sql, *params):
    with db.transaction(conn) as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def versions(s3, key):
    listed = s3.list_object_versions(Bucket=storage.MASTERS, Prefix=key)
    return [v for v in listed.get("Versions", []) if v["Key"] == key]


def report(s3, batch_id, vendor=VENDOR):
    prefix = storage.batch_prefix(vendor, batch_id)
    document = json.loads(s3.get_object(Bucket=storage.INBOX, Key=prefix + "_REPORT.json")["Body"].read())
    text = s3.get_object(Bucket=storage.INBOX, Key=prefix + "_REPORT.txt")["Body"].read().decode()
    return document, text


def assert_fully_stored(conn, s3, batch_id, accepted_pages):
    """Exactly one locked version per accepted page, one catalogue row per page, one replication event each."""
    rows = query(conn, """SELECT t.master_key, t.sha256 FROM trang t JOIN batch_item i ON i.id = t.batch_item_id
                          JOIN batch b ON b.id = i.batch_id WHERE b.batch_id = %s""", batch_id)
    assert len(rows) == accepted_pages
    for key, sha256 in rows:
        found = versions(s3, key)
        assert len(found) == 1, (key, found)
        head = s3.head_object(Bucket=storage.MASTERS, Key=key)
        assert head["Metadata"]["sha256"] == sha256 and head["ObjectLockMode"] == "COMPLIANCE"
        assert [e["event_type"] for e in events_of(conn.cursor(), "trang", key)] == ["replication"]
    (status,), = query(conn, "SELECT status FROM batch WHERE batch_id = %s", batch_id)
    assert status == "done"


def test_an_accepted_batch_lands_in_masters_locked_catalogued_and_reported(conn, s3, prepare):
    folder, batch_id = prepare(2, 3)
    outcome = run_intake(s3, conn, VENDOR, batch_id)
    assert (outcome.verdict, outcome.accepted, outcome.rejected, outcome.written) == ("accepted", 7, 0, 6)
    assert_fully_stored(conn, s3, batch_id, 6)
    manifest = read_manifest(folder)
    ma = manifest["ho_so"][0]["ma_ho_so"]
    assert versions(s3, f"{ma}/0001.jpg")
    (tieu_de, retention, high_value, n_van_ban), = query(conn, """
        SELECT h.tieu_de, h.thoi_han_bao_quan, h.high_value, count(v.id) FROM ho_so h
        LEFT JOIN van_ban v ON v.ho_so_id = h.id WHERE h.ma_ho_so = %s GROUP BY h.id""", ma)
    assert (tieu_de, retention, high_value, n_van_ban) == (manifest["ho_so"][0]["tieu_de"], "vinh_vien", True, 1)
    (ocr_status,), = query(conn, "SELECT DISTINCT ocr_status FROM trang t JOIN ho_so h ON h.id = t.ho_so_id "
                                 "WHERE h.ma_ho_so = %s", ma)
    assert ocr_status == "pending"
    story = [e["event_type"] for e in events_of(conn.cursor(), "batch", f"{VENDOR}/{batch_id}")]
    assert story == ["ingestion", "validation", "accession"]
    document, text = report(s3, batch_id)
    assert document["verdict"] == "accepted" and document["counts"]["accepted"] == 7
    assert "Kết luận: CHẤP NHẬN" in text


def test_running_intake_twice_changes_nothing(conn, s3, prepare):
    _, batch_id = prepare(1, 3)
    run_intake(s3, conn, VENDOR, batch_id)
    before = report(s3, batch_id)
    again = run_intake(s3, conn, VENDOR, batch_id)
    assert again.written == 0 and again.verdict == "accepted"
    assert report(s3, batch_id) == before
    assert_fully_stored(conn, s3, batch_id, 3)
    last = events_of(conn.cursor(), "batch", f"{VENDOR}/{batch_id}")[-1]
    assert last["event_type"] == "ingestion" and "already done" in last["detail"]["message"]


def spoil_first_ho_so_and_add_a_stray_file(folder):
    manifest = read_manifest(folder)
    trang = manifest["ho_so"][0]["trang"][1]
    data = encode(noise_page("lowres", 2), dpi=150)
    (folder / trang["ten_tep"]).write_bytes(data)
    trang.update(page_entry(2, trang["ten_tep"], data, 150, "color"))
    write_manifest(folder, manifest)
    (folder / "notes.txt").write_text("ghi chú của nhà thầu", encoding="utf-8")


def test_rejected_bytes_go_to_quarantine_and_the_report_says_why(conn, s3, prepare):
    folder, batch_id = prepare(2, 3, mutate=spoil_first_ho_so_and_add_a_stray_file)
    outcome = run_intake(s3, conn, VENDOR, batch_id)
    assert (outcome.verdict, outcome.accepted, outcome.rejected) == ("partial", 4, 4)
    manifest = read_manifest(folder)
    bad, good = (h["ma_ho_so"] for h in manifest["ho_so"])
    prefix = storage.batch_prefix(VENDOR, batch_id)
    for trang in manifest["ho_so"][0]["trang"]:
        head = s3.head_object(Bucket=storage.QUARANTINE, Key=prefix + trang["ten_tep"])
        assert head["Metadata"]["sha256"] == trang["sha256"]
        assert not versions(s3, f"{bad}/{trang['so_trang']:04d}.jpg")
    assert s3.head_object(Bucket=storage.QUARANTINE, Key=prefix + "notes.txt")["ContentLength"] > 0
    assert_fully_stored(conn, s3, batch_id, 3)
    assert query(conn, "SELECT count(*) FROM ho_so WHERE ma_ho_so = %s", bad) == [(0,)]
    document, text = report(s3, batch_id)
    assert document["verdict"] == "partial"
    assert "Trang 2" in text and "độ phân giải 150 dpi, thấp hơn mức tối thiểu 200 dpi" in text
    assert f"Hồ sơ {good}: CHẤP NHẬN" in text and "notes.txt" in text
    rejected = query(conn, """SELECT i.quarantine_key FROM batch_item i JOIN batch b ON b.id = i.batch_id
                              WHERE b.batch_id = %s AND i.status = 'rejected'""", batch_id)
    assert len(rejected) == 4 and all(key for (key,) in rejected)


def test_duplicate_batch_is_rejected_and_nothing_new_reaches_masters(conn, s3, prepare, tmp_path):
    folder, batch_id = prepare(1, 2)
    run_intake(s3, conn, VENDOR, batch_id)
    copy_id = f"t{uuid.uuid4().hex[:12]}"
    shutil.copytree(folder, tmp_path / copy_id)
    manifest = read_manifest(tmp_path / copy_id)
    manifest["batch_id"] = copy_id
    write_manifest(tmp_path / copy_id, manifest)
    upload_batch(tmp_path / copy_id, vendor=VENDOR, progress=False, complete=False)
    outcome = run_intake(s3, conn, VENDOR, copy_id)
    assert outcome.verdict == "rejected" and outcome.written == outcome.rejected == 2
    owners = query(conn, """SELECT b.batch_id FROM trang t JOIN batch_item i ON i.id = t.batch_item_id
                            JOIN batch b ON b.id = i.batch_id WHERE t.sha256 = ANY(%s)""",
                   [t["sha256"] for t in manifest["ho_so"][0]["trang"]])
    assert owners == [(batch_id,), (batch_id,)]
    (duplicate_of,), = query(conn, "SELECT d.batch_id FROM batch b JOIN batch d ON d.id = b.duplicate_of "
                                   "WHERE b.batch_id = %s", copy_id)
    assert duplicate_of == batch_id
    for trang in manifest["ho_so"][0]["trang"]:
        assert len(versions(s3, f"{manifest['ho_so'][0]['ma_ho_so']}/{trang['so_trang']:04d}.jpg")) == 1
    _, text = report(s3, copy_id)
    assert f"lô trùng với lô {VENDOR}/{batch_id}" in text


def test_two_deliveries_racing_for_the_same_ho_so_cannot_both_be_accepted(conn, s3, prepare, tmp_path,
                                                                          monkeypatch):
    folder, first = prepare(1, 2)
    second = f"t{uuid.uuid4().hex[:12]}"
    shutil.copytree(folder, tmp_path / second)
    manifest = read_manifest(tmp_path / second)
    manifest["batch_id"] = second
    write_manifest(tmp_path / second, manifest)
    upload_batch(tmp_path / second, vendor=VENDOR, progress=False, complete=False)
    real_validate = process.validate_batch

    def first_wins_meanwhile(source, **kwargs):
        verdict = real_validate(source, **kwargs)
        if kwargs["batch_id"] == second and verdict.verdict == "accepted":
            other = db.connect()
            try:
                run_intake(s3, other, VENDOR, first)
            finally:
                other.close()
        return verdict

    monkeypatch.setattr(process, "validate_batch", first_wins_meanwhile)
    with pytest.raises(ClaimConflict):
        run_intake(s3, conn, VENDOR, second)
    outcome = run_intake(s3, conn, VENDOR, second)
    assert (outcome.verdict, outcome.rejected) == ("rejected", 2)  # both pages; only the manifest was fine
    assert_fully_stored(conn, s3, first, 2)
    _, text = report(s3, second)
    assert f"lô trùng với lô {VENDOR}/{first}" in text


def test_a_page_already_in_the_archive_is_rejected_as_a_duplicate(conn, s3, prepare):
    first_folder, first_id = prepare(1, 2)
    run_intake(s3, conn, VENDOR, first_id)
    reused = (first_folder / read_manifest(first_folder)["ho_so"][0]["trang"][0]["ten_tep"]).read_bytes()

    def reuse_a_page(folder):
        manifest = read_manifest(folder)
        trang = manifest["ho_so"][0]["trang"][0]
        (folder / trang["ten_tep"]).write_bytes(reused)
        trang.update(page_entry(1, trang["ten_tep"], reused, 300, "color"))
        write_manifest(folder, manifest)

    _, batch_id = prepare(2, 2, mutate=reuse_a_page)
    outcome = run_intake(s3, conn, VENDOR, batch_id)
    assert outcome.verdict == "partial"
    document, _ = report(s3, batch_id)
    duplicate = next(i for i in document["items"] if i["so_trang"] == 1 and i["status"] == "rejected"
                     and any(r["code"] == "page_duplicate" for r in i["reasons"]))
    assert "đã lưu trữ" in duplicate["reasons"][0]["message"]


def test_a_malformed_manifest_on_the_server_gets_a_report_and_every_byte_quarantined(conn, s3, prepare):
    def break_json(folder):
        (folder / "manifest.json").write_text("{ not json", encoding="utf-8")

    folder, batch_id = prepare(1, 2, mutate=break_json)
    outcome = run_intake(s3, conn, VENDOR, batch_id)
    assert outcome.verdict == "rejected" and outcome.accepted == 0
    prefix = storage.batch_prefix(VENDOR, batch_id)
    stored = {o["Key"] for o in s3.list_objects_v2(Bucket=storage.QUARANTINE, Prefix=prefix)["Contents"]}
    assert stored == {prefix + "manifest.json"} | {prefix + p.relative_to(folder).as_posix()
                                                   for p in folder.rglob("*.jpg")}
    _, text = report(s3, batch_id)
    assert "không phải JSON hợp lệ" in text


@pytest.mark.parametrize("padding", ["unknown_field", "whitespace"])
def test_a_50_mb_manifest_gets_its_verdict_with_a_short_report(conn, s3, prepare, padding):
    """50 MB in an unknown field is a rejection whose reason does not repeat the 50 MB; 50 MB of whitespace is
    still the valid manifest it pads (stored as parsed, not as sent)."""
    def pad(folder):
        manifest = read_manifest(folder)
        if padding == "unknown_field":
            manifest["ghi_chu_them"] = "x" * 50_000_000
            raw = json.dumps(manifest, ensure_ascii=False).encode()
        else:
            raw = json.dumps(manifest, ensure_ascii=False).encode()[:-1] + b" " * 50_000_000 + b"}"
        (folder / "manifest.json").write_bytes(raw)
        assert len(raw) > 50_000_000

    folder, batch_id = prepare(1, 2, mutate=pad)
    started = time.monotonic()
    outcome = run_intake(s3, conn, VENDOR, batch_id)
    assert time.monotonic() - started < 60
    document, text = report(s3, batch_id)
    assert len(text) < 10_000 and len(json.dumps(document)) < 10_000
    prefix = storage.batch_prefix(VENDOR, batch_id)
    if padding == "unknown_field":
        assert (outcome.verdict, outcome.accepted) == ("rejected", 0)
        assert "trường không có trong mẫu: ghi_chu_them" in text
        quarantined = s3.head_object(Bucket=storage.QUARANTINE, Key=prefix + "manifest.json")
        assert quarantined["ContentLength"] == (folder / "manifest.json").stat().st_size
    else:
        assert (outcome.verdict, outcome.accepted) == ("accepted", 3)
        assert_fully_stored(conn, s3, batch_id, 2)
        (stored,), = query(conn, "SELECT pg_column_size(manifest) FROM batch WHERE batch_id = %s", batch_id)
        assert stored < 100_000


@pytest.mark.slow  # ≈ 50 s on 2 cores, 40 of them intake's: 2,000 small pages validated, copied and registered
def test_a_2000_page_batch_is_counted_through_exactly_once_even_when_intake_runs_again(conn, s3, tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    batch_id = f"t{uuid.uuid4().hex[:12]}"
    folder = tmp_path / batch_id
    manifest = make_batch(folder, VENDOR, batch_id, 20, 100, with_van_ban=False)
    vendor, prefix = storage.client(identity=VENDOR), storage.batch_prefix(VENDOR, batch_id)

    def send(path):
        storage.put_bytes(vendor, storage.INBOX, prefix + path.relative_to(folder).as_posix(), path.read_bytes())

    with ThreadPoolExecutor(max_workers=16) as pool:  # the vendor's key, 16 files at a time
        list(pool.map(send, [path for path in folder.rglob("*") if path.is_file()]))
    first = run_intake(s3, conn, VENDOR, batch_id, copy_workers=16)
    again = run_intake(s3, conn, VENDOR, batch_id)
    assert (first.verdict, first.accepted, first.rejected, first.written) == ("accepted", 2001, 0, 2000)
    assert (again.verdict, again.accepted, again.written) == ("accepted", 2001, 0)
    (rows, distinct, keys), = query(conn, """
        SELECT count(*), count(DISTINCT t.sha256), count(DISTINCT t.master_key) FROM trang t
        JOIN batch_item i ON i.id = t.batch_item_id JOIN batch b ON b.id = i.batch_id WHERE b.batch_id = %s""",
                                    batch_id)
    assert rows == distinct == keys == 2000
    (replications,), = query(conn, """SELECT count(*) FROM event WHERE event_type = 'replication'
                                      AND object_type = 'trang' AND detail->>'batch' = %s""", f"{VENDOR}/{batch_id}")
    assert replications == 2000
    versions_found = collections.Counter()
    for ho_so in manifest["ho_so"]:
        pages = s3.get_paginator("list_object_versions").paginate(Bucket=storage.MASTERS,
                                                                    Prefix=ho_so["ma_ho_so"] + "/")
        versions_found.update(v["Key"] for page in pages for v in page.get("Versions", []))
    assert len(versions_found) == 2000 and set(versions_found.values()) == {1}
    document, _ = report(s3, batch_id)
    assert document["verdict"] == "accepted"


def test_a_copy_failing_after_some_pages_then_a_rerun_leaves_exactly_one_copy_of_each(conn, s3, prepare):
    _, batch_id = prepare(2, 3)
    calls = []

    def flaky_copy(*args, **kwargs):
        calls.append(args[4])
        if len(calls) > 2:
            raise ConnectionError("injected: network lost after 2 pages")
        return storage.copy_verified(*args, **kwargs)

    with pytest.raises(ConnectionError):
        run_intake(s3, conn, VENDOR, batch_id, copy=flaky_copy, copy_workers=1)
    (status,), = query(conn, "SELECT status FROM batch WHERE batch_id = %s", batch_id)
    assert status == "validated"
    assert query(conn, "SELECT count(*) FROM trang WHERE master_key = ANY(%s)", calls) == [(0,)]
    outcome = run_intake(s3, conn, VENDOR, batch_id)
    assert outcome.written == 4
    assert_fully_stored(conn, s3, batch_id, 6)
    story = [(e["event_type"], e["outcome"]) for e in events_of(conn.cursor(), "batch", f"{VENDOR}/{batch_id}")]
    assert story == [("ingestion", "success"), ("validation", "success"), ("ingestion", "failure"),
                     ("accession", "success")]


KILLABLE = textwrap.dedent("""
    import sys, time
    from sohoa import storage
    from sohoa.catalogue import db
    from sohoa.intake.process import run_intake

    def slow_copy(*args, **kwargs):
        stored = storage.copy_verified(*args, **kwargs)
        print("copied", args[4], flush=True)
        time.sleep(30)
        return stored

    run_intake(storage.client(), db.connect(), sys.argv[1], sys.argv[2], copy=slow_copy, copy_workers=1)
""")


def test_a_worker_killed_mid_batch_leaves_nothing_half_done_after_a_rerun(conn, s3, prepare, stack):
    _, batch_id = prepare(1, 4)
    worker = subprocess.Popen([sys.executable, "-c", KILLABLE, VENDOR, batch_id], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "SOHOA_STATE_DIR": str(stack.state_dir)})
    try:
        assert worker.stdout.readline().startswith("copied")
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    deadline = time.monotonic() + 10
    while True:  # the server notices the dead session and frees the batch lock
        try:
            outcome = run_intake(s3, conn, VENDOR, batch_id)
            break
        except BatchBusy:
            assert time.monotonic() < deadline
            time.sleep(0.2)
    assert outcome.written == 3
    assert_fully_stored(conn, s3, batch_id, 4)


def test_s3_restarting_mid_batch_then_a_rerun_finishes_the_job(conn, s3, prepare, stack):
    _, batch_id = prepare(1, 4)
    server = SeaweedS3(stack)
    calls = []

    def copy_then_lose_s3(*args, **kwargs):
        calls.append(args[2])
        if len(calls) == 2:
            server.stop()
        return storage.copy_verified(*args, **kwargs)

    with localstack.exclusive(stack):  # no other session's `up` races us while the server is down
        try:
            with pytest.raises(Exception):  # whatever botocore says when its server goes away
                run_intake(s3, conn, VENDOR, batch_id, copy=copy_then_lose_s3, copy_workers=1)
        finally:
            server.start()
    wait_until_readable(s3, storage.INBOX, calls[0])
    run_intake(s3, conn, VENDOR, batch_id)
    assert_fully_stored(conn, s3, batch_id, 4)


def wait_until_readable(s3, bucket, key, timeout=60.0):
    """SeaweedFS answers listings before its volumes serve reads (InternalError meanwhile); Airflow's retries
    would ride this out, the test waits for it."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            storage.read_sha256(s3, bucket, key)
            return
        except botocore.exceptions.ClientError:
            assert time.monotonic() < deadline, f"s3://{bucket}/{key} still unreadable after the restart"
            time.sleep(0.5)


def test_postgres_restarting_mid_batch_then_a_rerun_finishes_the_job(s3, prepare, stack, migrated):
    _, batch_id = prepare(1, 3)
    were_healthy = {service.name for service in localstack.status() if service.healthy}
    server = Postgres(stack)
    calls = []

    def copy_then_lose_postgres(*args, **kwargs):
        calls.append(args[2])
        if len(calls) == 3:
            server.stop()
        return storage.copy_verified(*args, **kwargs)

    first = db.connect()
    try:
        with localstack.exclusive(stack):  # no other session's `up` races us while the server is down
            try:
                with pytest.raises(Exception):  # whatever the driver says when its server goes away
                    run_intake(s3, first, VENDOR, batch_id, copy=copy_then_lose_postgres, copy_workers=1)
            finally:
                server.start()
    finally:
        first.close()
        restore_stack(were_healthy)
    wait_until_readable(s3, storage.INBOX, calls[0])
    second = db.connect()
    try:
        run_intake(s3, second, VENDOR, batch_id)
        assert_fully_stored(second, s3, batch_id, 3)
    finally:
        second.close()


def restore_stack(were_healthy: set[str], settle: float = 30.0, timeout: float = 240.0) -> None:
    """Bring back what fell over with the database: start what is down until every service healthy before
    the test stays healthy, checked every 2 s, for ``settle`` s on end. (Airflow's triggerer gives up about
    20 s after the database went away, though the database is long back by then.)"""
    deadline = time.monotonic() + timeout
    while True:
        localstack.up(echo=lambda *_: None)
        healthy_until = time.monotonic() + settle
        while were_healthy <= {service.name for service in localstack.status() if service.healthy}:
            if time.monotonic() >= healthy_until:
                return
            time.sleep(2)
        assert time.monotonic() < deadline, localstack.status()


def test_an_unknown_batch_is_an_error_and_leaves_no_trace(conn, s3):
    batch_id = f"t{uuid.uuid4().hex[:12]}"
    with pytest.raises(BatchNotFound, match=batch_id):
        run_intake(s3, conn, VENDOR, batch_id)
    assert query(conn, "SELECT count(*) FROM batch WHERE batch_id = %s", batch_id) == [(0,)]


def test_a_marker_without_files_gets_a_rejection_not_an_endless_retry(conn, s3, migrated):
    batch_id = f"t{uuid.uuid4().hex[:12]}"
    vendor_s3 = storage.client(identity=VENDOR)
    storage.put_bytes(vendor_s3, storage.INBOX, storage.batch_prefix(VENDOR, batch_id) + "_COMPLETE", b"{}")
    deadline = time.monotonic() + 60
    while True:  # the running Airflow may pick the marker up first
        try:
            outcome = run_intake(s3, conn, VENDOR, batch_id)
            break
        except BatchBusy:
            assert time.monotonic() < deadline
            time.sleep(0.5)
    assert outcome.verdict == "rejected"
    _, text = report(s3, batch_id)
    assert "thiếu tệp manifest.json" in text


def test_a_batch_held_by_another_worker_is_refused_not_shared(conn, s3, prepare):
    _, batch_id = prepare(1, 1)
    other = db.connect()
    try:
        with batch_lock(other, VENDOR, batch_id), pytest.raises(BatchBusy):
            run_intake(s3, conn, VENDOR, batch_id)
    finally:
        other.close()
    assert run_intake(s3, conn, VENDOR, batch_id).verdict == "accepted"


def test_complete_batches_are_found_by_their_marker_and_forgotten_once_done(conn, s3, tmp_path, migrated):
    batch_id = f"t{uuid.uuid4().hex[:12]}"
    make_batch(tmp_path / batch_id, VENDOR, batch_id, 1, 1)
    upload_batch(tmp_path / batch_id, vendor=VENDOR, progress=False)
    assert {"vendor": VENDOR, "batch_id": batch_id} in complete_batches(s3)
    deadline = time.monotonic() + 60
    while True:  # the running Airflow may be processing this very batch: wait for it, never share it
        try:
            run_intake(s3, conn, VENDOR, batch_id)
            break
        except BatchBusy:
            assert time.monotonic() < deadline
            time.sleep(0.5)
    assert {"vendor": VENDOR, "batch_id": batch_id} not in complete_batches(s3)


def overwrite_in_inbox(batch_id, name, data, vendor=VENDOR):
    """What a vendor does by uploading a file again under the same name."""
    storage.put_bytes(storage.client(identity=vendor), storage.INBOX, storage.batch_prefix(vendor, batch_id) + name,
                      data)


def test_a_page_overwritten_after_validation_gets_the_batch_validated_again_not_retried_for_ever(
        conn, s3, prepare, monkeypatch):
    folder, batch_id = prepare(2, 2)
    manifest = read_manifest(folder)
    changed = manifest["ho_so"][0]["trang"][1]
    real_validate = process.validate_batch
    calls = []

    def vendor_overwrites_after_validation(source, **kwargs):
        verdict = real_validate(source, **kwargs)
        if not calls:
            overwrite_in_inbox(batch_id, changed["ten_tep"], encode(noise_page(batch_id, 99), dpi=300))
        calls.append(verdict.verdict)
        return verdict

    monkeypatch.setattr(process, "validate_batch", vendor_overwrites_after_validation)
    outcome = run_intake(s3, conn, VENDOR, batch_id, copy_workers=1)  # page 1 reaches masters before page 2 fails
    assert calls == ["accepted", "partial"]
    assert (outcome.verdict, outcome.accepted) == ("partial", 3)  # the other hồ sơ's 2 pages + the manifest
    assert_fully_stored(conn, s3, batch_id, 2)
    document, text = report(s3, batch_id)
    bad = next(i for i in document["items"] if i["name"] == changed["ten_tep"])
    assert [r["code"] for r in bad["reasons"]] == ["checksum_mismatch"]
    assert f"Hồ sơ {manifest['ho_so'][0]['ma_ho_so']}: TỪ CHỐI" in text
    story = [(e["event_type"], e["outcome"]) for e in events_of(conn.cursor(), "batch", f"{VENDOR}/{batch_id}")]
    assert story == [("ingestion", "success"), ("validation", "success"), ("validation", "failure"),
                     ("validation", "success"), ("accession", "success")]
    sibling = manifest["ho_so"][0]["trang"][0]
    in_masters = versions(s3, f"{manifest['ho_so'][0]['ma_ho_so']}/0001.jpg")
    recorded = query(conn, """SELECT i.facts->'in_masters'->>'key' FROM batch_item i JOIN batch b ON b.id = i.batch_id
                              WHERE b.batch_id = %s AND i.name = %s""", batch_id, sibling["ten_tep"])
    assert len(in_masters) == 1 and recorded == [(in_masters[0]["Key"],)]  # copied before the change: accounted


def test_a_page_and_its_manifest_entry_replaced_after_validation_are_stored_as_replaced(conn, s3, prepare,
                                                                                        monkeypatch):
    folder, batch_id = prepare(1, 2)
    manifest = read_manifest(folder)
    trang = manifest["ho_so"][0]["trang"][0]
    new = encode(noise_page(batch_id, 99), dpi=300)
    trang.update(page_entry(1, trang["ten_tep"], new, 300, "color"))
    real_validate = process.validate_batch
    calls = []

    def vendor_replaces_both(source, **kwargs):
        verdict = real_validate(source, **kwargs)
        if not calls:
            overwrite_in_inbox(batch_id, trang["ten_tep"], new)
            overwrite_in_inbox(batch_id, "manifest.json", json.dumps(manifest, ensure_ascii=False).encode())
        calls.append(verdict.verdict)
        return verdict

    monkeypatch.setattr(process, "validate_batch", vendor_replaces_both)
    assert run_intake(s3, conn, VENDOR, batch_id).verdict == "accepted"
    assert_fully_stored(conn, s3, batch_id, 2)
    key = f"{manifest['ho_so'][0]['ma_ho_so']}/0001.jpg"
    assert s3.head_object(Bucket=storage.MASTERS, Key=key)["Metadata"]["sha256"] == trang["sha256"]


def test_a_batch_that_keeps_failing_is_held_with_a_report_and_no_more_polls_then_runs_again_later(conn, s3, prepare,
                                                                                                   unwatched):
    _, batch_id = prepare(1, 2)
    prefix = storage.batch_prefix(VENDOR, batch_id)
    storage.put_bytes(storage.client(identity=VENDOR), storage.INBOX, prefix + "_COMPLETE", b"{}")

    def broken_copy(*args, **kwargs):
        raise ConnectionError("injected: masters unreachable")

    def intake_racing_the_scheduler(**kwargs):
        deadline = time.monotonic() + 60
        while True:  # the running Airflow may pick the marker up too; never share a batch
            try:
                return run_intake(s3, conn, VENDOR, batch_id, **kwargs)
            except BatchBusy:
                assert time.monotonic() < deadline
                time.sleep(0.5)

    for _ in range(process.MAX_FAILED_RUNS):
        with pytest.raises(ConnectionError):
            intake_racing_the_scheduler(copy=broken_copy)
    held = intake_racing_the_scheduler(copy=broken_copy)
    assert (held.verdict, held.failures) == ("held", process.MAX_FAILED_RUNS)
    assert "masters unreachable" in held.last_error
    document, text = report(s3, batch_id)
    assert document["verdict"] == "held" and "Kết luận: TẠM GIỮ" in text and "lỗi hệ thống" in text
    assert {"vendor": VENDOR, "batch_id": batch_id} not in complete_batches(s3)
    outcome = run_intake(s3, conn, VENDOR, batch_id)  # the operator, once masters is back
    assert outcome.verdict == "accepted"
    assert_fully_stored(conn, s3, batch_id, 2)


def test_the_same_batch_id_sent_again_with_a_page_changed_gets_that_page_rejected_with_the_reason(conn, s3, prepare):
    folder, batch_id = prepare(1, 2)
    assert run_intake(s3, conn, VENDOR, batch_id).verdict == "accepted"
    manifest = read_manifest(folder)
    trang = manifest["ho_so"][0]["trang"][1]
    new = encode(noise_page(batch_id, 77), dpi=300)
    (folder / trang["ten_tep"]).write_bytes(new)
    trang.update(page_entry(2, trang["ten_tep"], new, 300, "color"))
    write_manifest(folder, manifest)
    time.sleep(1.1)  # S3 keeps modification times to the second
    upload_batch(folder, vendor=VENDOR, progress=False, complete=False)
    outcome = run_intake(s3, conn, VENDOR, batch_id)
    assert (outcome.verdict, outcome.accepted, outcome.rejected) == ("accepted", 3, 2)  # the first verdict stands
    document, text = report(s3, batch_id)
    resent = [i for i in document["items"] if any(r["code"] == "batch_id_reused" for r in i["reasons"])]
    assert sorted(i["name"].split("#")[0] for i in resent) == sorted(["manifest.json", trang["ten_tep"]])
    assert "mã lô chỉ dùng một lần" in text and "Kết luận: CHẤP NHẬN" in text
    page = next(i for i in resent if i["name"].startswith(trang["ten_tep"]))
    assert page["sha256"] == trang["sha256"]
    (quarantined,), = query(conn, """SELECT i.quarantine_key FROM batch_item i JOIN batch b ON b.id = i.batch_id
                                     WHERE b.batch_id = %s AND i.name = %s""", batch_id, page["name"])
    assert s3.head_object(Bucket=storage.QUARANTINE, Key=quarantined)["Metadata"]["sha256"] == trang["sha256"]
    assert_fully_stored(conn, s3, batch_id, 2)  # masters still hold the pages accepted the first time
    again = run_intake(s3, conn, VENDOR, batch_id)
    assert (again.rejected, again.written) == (2, 0)  # handled once


def s3_requests(client, call) -> list[str]:
    """The URLs of the HTTP requests ``call()`` makes through ``client``."""
    sent = []

    def count(request, **_):
        sent.append(request.url)

    client.meta.events.register("before-send.s3", count)
    try:
        call()
    finally:
        client.meta.events.unregister("before-send.s3", count)
    return sent


def intake_when_free(s3, conn, batch_id: str):
    """:func:`run_intake`, waiting while the running Airflow holds the batch (it may take it first)."""
    deadline = time.monotonic() + 60
    while True:
        try:
            return run_intake(s3, conn, VENDOR, batch_id)
        except BatchBusy:
            assert time.monotonic() < deadline
            time.sleep(0.5)


def test_the_poll_and_the_sweep_cost_the_same_however_many_batches_are_already_done(conn, tmp_path, migrated):
    poller = storage.client()
    before = s3_requests(poller, lambda: complete_batches(poller))
    sweep = s3_requests(poller, lambda: complete_batches(poller, sweep=True))
    judged = []
    for n in range(3):
        batch_id = f"t{uuid.uuid4().hex[:12]}"
        make_batch(tmp_path / batch_id, VENDOR, batch_id, 1, 1)
        upload_batch(tmp_path / batch_id, vendor=VENDOR, progress=False)
        intake_when_free(poller, conn, batch_id)
        judged.append(batch_id)
    assert poller.head_object(Bucket=storage.INBOX, Key=done_key(VENDOR, judged[0]))["ContentLength"] > 0
    assert len(s3_requests(poller, lambda: complete_batches(poller))) == len(before)  # the pending index only
    after = s3_requests(poller, lambda: complete_batches(poller, sweep=True))
    assert not [url for url in after if any(batch_id in url for batch_id in judged)]  # never looked into
    assert len(after) <= len(sweep) + 2  # at most a page more of folder names and of the done index


def test_a_batch_marked_complete_without_the_vendor_tool_is_judged_once_and_then_skipped_by_the_sweep(
        conn, s3, prepare, unwatched):
    _, batch_id = prepare(1, 1)
    storage.put_bytes(storage.client(identity=VENDOR), storage.INBOX,
                      storage.batch_prefix(VENDOR, batch_id) + "_COMPLETE", b"{}")
    assert {"vendor": VENDOR, "batch_id": batch_id} not in complete_batches(s3)
    assert {"vendor": VENDOR, "batch_id": batch_id} in complete_batches(s3, sweep=True)
    assert intake_when_free(s3, conn, batch_id).verdict == "accepted"
    sweep = s3_requests(s3, lambda: complete_batches(s3, sweep=True))
    assert not [url for url in sweep if f"/{batch_id}/" in url]


def test_a_batch_marked_complete_without_the_vendor_tool_is_found_by_the_sweep(s3, prepare, unwatched):
    _, batch_id = prepare(1, 1)
    storage.put_bytes(storage.client(identity=VENDOR), storage.INBOX,
                      storage.batch_prefix(VENDOR, batch_id) + "_COMPLETE", b"{}")
    assert {"vendor": VENDOR, "batch_id": batch_id} not in complete_batches(s3)
    assert {"vendor": VENDOR, "batch_id": batch_id} in complete_batches(s3, sweep=True)
