"""Faults against the real stack, each followed by a reconciliation of its pages (see conftest.py)."""
from __future__ import annotations

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
from sohoa.catalogue.db import connect, transaction
from sohoa.intake.process import run_intake
from sohoa.intake.samples import encode, make_batch, noise_page, page_entry, read_manifest, write_manifest
from sohoa.localstack.seaweed import SeaweedS3
from sohoa.processing.errors import OcrIncomplete
from sohoa.processing.ocr import ocr_chunk
from sohoa.processing.plan import pending_chunks
from sohoa.vendor_tool.upload import upload_batch

pytestmark = pytest.mark.stack
VENDOR = "vendor-demo"


@pytest.fixture()
def delivered(tmp_path, stack):
    """``delivered(n_ho_so, pages)`` → (folder, batch_id): a valid batch uploaded by the vendor, unmarked (the
    test runs intake itself, out of the live scheduler's way)."""
    def build(n_ho_so=2, pages=2):
        batch_id = f"f{uuid.uuid4().hex[:12]}"
        make_batch(tmp_path / batch_id, VENDOR, batch_id, n_ho_so, pages)
        upload_batch(tmp_path / batch_id, vendor=VENDOR, progress=False, complete=False)
        return tmp_path / batch_id, batch_id
    return build


def intake(batch_id, **kwargs):
    conn = connect()
    try:
        return run_intake(storage.client(), conn, VENDOR, batch_id, **kwargs)
    finally:
        conn.close()


def test_the_same_batch_uploaded_twice_under_two_ids_is_kept_once(delivered, tmp_path, reconciled):
    folder, first = delivered()
    assert intake(first).verdict == "accepted"
    second = f"f{uuid.uuid4().hex[:12]}"
    shutil.copytree(folder, tmp_path / second)
    manifest = read_manifest(tmp_path / second)
    manifest["batch_id"] = second
    write_manifest(tmp_path / second, manifest)
    upload_batch(tmp_path / second, vendor=VENDOR, progress=False, complete=False)
    assert intake(second).verdict == "rejected"
    assert reconciled(VENDOR, first, read_manifest(folder)).masters == 4
    assert reconciled(VENDOR, second, manifest).quarantine == 4


def test_a_batch_re_sent_under_its_id_with_one_page_changed_after_acceptance(delivered, reconciled):
    folder, batch_id = delivered()
    assert intake(batch_id).verdict == "accepted"
    original = read_manifest(folder)
    changed = read_manifest(folder)
    trang = changed["ho_so"][1]["trang"][0]
    data = encode(noise_page(batch_id, 55), dpi=300)
    (folder / trang["ten_tep"]).write_bytes(data)
    trang.update(page_entry(1, trang["ten_tep"], data, 300, "color"))
    write_manifest(folder, changed)
    time.sleep(1.1)  # S3 keeps modification times to the second
    upload_batch(folder, vendor=VENDOR, progress=False, complete=False)
    assert intake(batch_id).rejected == 2  # the page and the manifest sent again
    assert reconciled(VENDOR, batch_id, original).masters == 4  # what was accepted, once, untouched


def test_a_vendor_overwriting_a_file_while_intake_copies_it(delivered, reconciled):
    folder, batch_id = delivered()
    manifest = read_manifest(folder)
    victim = manifest["ho_so"][1]["trang"][1]["ten_tep"]
    vendor_s3 = storage.client(identity=VENDOR)
    overwritten = []

    def copy_while_the_vendor_writes(s3, src_bucket, src_key, *args, **kwargs):
        if src_key.endswith(victim) and not overwritten:
            storage.put_bytes(vendor_s3, storage.INBOX, src_key, encode(noise_page(batch_id, 66), dpi=300))
            overwritten.append(src_key)
        return storage.copy_verified(s3, src_bucket, src_key, *args, **kwargs)

    outcome = intake(batch_id, copy=copy_while_the_vendor_writes, copy_workers=1)
    assert overwritten and outcome.verdict == "partial"  # a verdict, not a retry loop
    result = reconciled(VENDOR, batch_id, manifest)
    assert (result.masters, result.quarantine, result.recorded_in_masters) == (2, 2, 1)


def _processed_batch(accepted_batch, tmp_path, pages):
    ma_ho_so, batch_pk, _ = accepted_batch(tmp_path, pages)
    conn = connect()
    try:
        with transaction(conn) as cur:
            cur.execute("SELECT batch_id, manifest FROM batch WHERE id = %s", (batch_pk,))
            batch_id, manifest = cur.fetchone()
            [chunk] = pending_chunks(cur, batch_pk=batch_pk)
    finally:
        conn.close()
    return batch_id, manifest, chunk


KILLABLE_OCR = textwrap.dedent("""
    import json, sys, time
    from sohoa import storage
    from sohoa.catalogue import db
    from sohoa.processing import ocr

    real_store = ocr._store

    def store_then_hang(*args, **kwargs):
        real_store(*args, **kwargs)
        print("stored", flush=True)
        time.sleep(120)

    ocr._store = store_then_hang
    ocr.ocr_chunk(db.connect(), storage.client(), json.loads(sys.argv[1]), engine="tesseract", jobs=1)
""")


def test_the_ocr_task_process_killed_mid_chunk(accepted_batch, tmp_path, stack, reconciled):
    batch_id, manifest, chunk = _processed_batch(accepted_batch, tmp_path, 3)
    worker = subprocess.Popen([sys.executable, "-c", KILLABLE_OCR, json.dumps(chunk)], stdout=subprocess.PIPE,
                              text=True, env={**os.environ, "SOHOA_STATE_DIR": str(stack.state_dir)})
    try:
        assert worker.stdout.readline().startswith("stored")
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    conn = connect()
    try:
        report = ocr_chunk(conn, storage.client(), chunk, engine="tesseract")
    finally:
        conn.close()
    assert (len(report.skipped), len(report.done)) == (1, 2)  # the page stored before the kill is not redone
    assert reconciled(VENDOR, batch_id, manifest).processed == 3


def test_seaweedfs_stopped_and_started_again_mid_processing(accepted_batch, tmp_path, stack, reconciled, monkeypatch):
    from sohoa.processing import ocr

    batch_id, manifest, chunk = _processed_batch(accepted_batch, tmp_path, 3)
    server, real_store, stored = SeaweedS3(stack), ocr._store, []

    def store_then_lose_s3(*args, **kwargs):
        real_store(*args, **kwargs)
        stored.append(1)
        if len(stored) == 1:
            server.stop()

    monkeypatch.setattr(ocr, "_store", store_then_lose_s3)
    conn = connect()
    try:
        with localstack.exclusive(stack):  # neither `up` nor the supervisor starts it meanwhile
            try:
                with pytest.raises((botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError,
                                    storage.StorageError, OcrIncomplete)):
                    ocr_chunk(conn, storage.client(), chunk, engine="tesseract")
            finally:
                server.start()
        monkeypatch.setattr(ocr, "_store", real_store)
        deadline = time.monotonic() + 60
        while True:  # SeaweedFS lists before its volumes serve reads; Airflow's retries would ride this out
            try:
                report = ocr_chunk(conn, storage.client(), chunk, engine="tesseract")
                break
            except (botocore.exceptions.ClientError, storage.StorageError, OcrIncomplete):
                assert time.monotonic() < deadline
                time.sleep(1)
    finally:
        conn.close()
    assert len(report.done) + len(report.skipped) == 3
    assert reconciled(VENDOR, batch_id, manifest).processed == 3


def test_the_reconciliation_itself_notices_a_page_lost_and_a_page_duplicated(delivered, s3_admin, reconciliation):
    reconcile = reconciliation
    folder, batch_id = delivered()
    manifest = read_manifest(folder)
    trang = manifest["ho_so"][0]["trang"][0]
    data = encode(noise_page(batch_id, 150), dpi=150)
    (folder / trang["ten_tep"]).write_bytes(data)
    trang.update(page_entry(1, trang["ten_tep"], data, 150, "color"))
    write_manifest(folder, manifest)
    upload_batch(folder, vendor=VENDOR, progress=False, complete=False, force=True)
    assert intake(batch_id).verdict == "partial"
    clean = reconcile("self-check", VENDOR, batch_id, manifest)
    assert (clean.masters, clean.quarantine, clean.lost, clean.duplicated) == (2, 2, [], [])
    s3_admin.delete_object(Bucket=storage.QUARANTINE, Key=storage.batch_prefix(VENDOR, batch_id) + trang["ten_tep"])
    accepted = f"{manifest['ho_so'][1]['ma_ho_so']}/0001.jpg"
    s3_admin.put_object(Bucket=storage.MASTERS, Key=accepted, Body=b"a second version")
    spoiled = reconcile("self-check", VENDOR, batch_id, manifest)
    assert len(spoiled.lost) == 1 and "quarantine" in spoiled.lost[0]
    assert len(spoiled.duplicated) == 1 and "2 versions" in spoiled.duplicated[0]


def test_postgresql_restarted_mid_assembly(accepted_batch, tmp_path, stack, reconciled, monkeypatch):
    from sohoa.localstack.postgres import Postgres
    from sohoa.processing import assemble

    batch_id, manifest, chunk = _processed_batch(accepted_batch, tmp_path, 2)
    conn = connect()
    ocr_chunk(conn, storage.client(), chunk, engine="tesseract")
    ma_ho_so = manifest["ho_so"][0]["ma_ho_so"]
    server, real_validate = Postgres(stack), assemble.validate_pdfa

    def validate_then_lose_postgres(*args, **kwargs):
        problems = real_validate(*args, **kwargs)
        server.stop()  # the PDF is built and about to be stored; its metadata and the hồ sơ row are not
        return problems

    monkeypatch.setattr(assemble, "validate_pdfa", validate_then_lose_postgres)
    try:
        with localstack.exclusive(stack):  # neither `up` nor the supervisor starts it meanwhile
            try:
                with pytest.raises(Exception):  # whatever the driver says when its server goes away
                    assemble.assemble_ho_so(conn, storage.client(), ma_ho_so)
            finally:
                server.start()
    finally:
        conn.close()
        localstack.up(echo=lambda *_: None)  # Airflow's daemons may have gone with the database
    monkeypatch.setattr(assemble, "validate_pdfa", real_validate)
    conn = connect()
    try:
        assert set(assemble.assemble_ho_so(conn, storage.client(), ma_ho_so)) == {"1"}
        with transaction(conn) as cur:
            cur.execute("SELECT count(*) FROM event WHERE event_type = 'creation' AND object_id = %s", (ma_ho_so,))
            assert cur.fetchone() == (1,)  # recorded once, by the run that finished
    finally:
        conn.close()
    assert reconciled(VENDOR, batch_id, manifest).pdfs == 1


def test_the_alert_sink_with_a_full_disk_refuses_alerts_visibly_and_keeps_them_once_it_has_room(
        tmp_path, stack, tried):
    """A sink that cannot write answers 452 (SMTP) and 507 (webhook) — the notifiers then raise and the alert is
    sent again by the next run — instead of dropping the connection or saying it kept what it lost."""
    import resource
    import smtplib
    import urllib.error
    import urllib.request

    from sohoa.localstack.procs import port_is_free

    smtp_port, http_port = stack.alert_smtp_port + 300, stack.alert_http_port + 300
    argv = [sys.executable, "-m", "sohoa.localstack.alertsink", "--dir", str(tmp_path),
            "--smtp-port", str(smtp_port), "--http-port", str(http_port)]

    def start(full: bool) -> subprocess.Popen:
        limit = (lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))) if full else None  # no byte fits
        sink = subprocess.Popen(argv, preexec_fn=limit, env={**os.environ, "SOHOA_STATE_DIR": str(stack.state_dir)})
        deadline = time.monotonic() + 20
        while port_is_free("127.0.0.1", http_port) or port_is_free("127.0.0.1", smtp_port):
            assert time.monotonic() < deadline and sink.poll() is None
            time.sleep(0.2)
        return sink

    def send() -> tuple[int, int]:
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as smtp:
            smtp.ehlo()
            smtp.mail("sohoa@localhost")
            smtp.rcpt("luu-tru@localhost")
            mail = smtp.data(b"Subject: [So hoa] CANH BAO\r\n\r\nfixity")[0]
        request = urllib.request.Request(f"http://127.0.0.1:{http_port}/alert", data=b'{"key": "fixity:1"}',
                                         headers={"Content-Type": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                hook = response.status
        except urllib.error.HTTPError as refused:
            hook = refused.code
        return mail, hook

    sink = start(full=True)
    try:
        assert send() == (452, 507)
        assert list(tmp_path.iterdir()) == []  # nothing half-written
    finally:
        sink.terminate()
        sink.wait(10)
    sink = start(full=False)
    try:
        assert send() == (250, 204)
        assert sorted(p.suffix for p in tmp_path.iterdir()) == [".eml", ".json"]
    finally:
        sink.terminate()
        sink.wait(10)


def _intake_task_running_since(cfg, since) -> bool:
    import psycopg2

    with psycopg2.connect(host=cfg.pg_host, port=cfg.pg_port, dbname=cfg.airflow_database, user=cfg.airflow_db_user,
                          password=cfg.airflow_db_password, connect_timeout=5) as conn, conn.cursor() as cur:
        cur.execute("""SELECT count(*) FROM task_instance WHERE dag_id = 'sohoa_intake' AND task_id = 'intake_batch'
                       AND state = 'running' AND start_date >= %s""", (since,))
        return cur.fetchone()[0] > 0


@pytest.mark.slow  # the live scheduler takes the batch (≤ 30 s), the killed try times out (60 s) and is retried
def test_the_scheduler_killed_mid_intake(tmp_path, stack, reconciled):
    import datetime as dt

    import psutil

    from sohoa.localstack.airflow import Airflow
    from sohoa.localstack.supervisor import INTERVAL

    scheduler = next(s for s in Airflow(stack).services if s.name == "airflow-scheduler")
    batch_id = f"f{uuid.uuid4().hex[:12]}"
    manifest = make_batch(tmp_path / batch_id, VENDOR, batch_id, 2, 10)
    since = dt.datetime.now(dt.timezone.utc)
    upload_batch(tmp_path / batch_id, vendor=VENDOR, progress=False)  # marked complete: the live DAG takes it
    deadline = time.monotonic() + 120
    while not _intake_task_running_since(stack, since):
        assert time.monotonic() < deadline, "the live scheduler never started intake of the batch"
        time.sleep(0.2)
    killed = scheduler.pid()
    psutil.Process(killed).kill()  # its LocalExecutor workers are orphaned; the supervisor reaps and restarts
    deadline = time.monotonic() + 2 * INTERVAL + 180
    while scheduler.pid() in (None, killed):
        assert time.monotonic() < deadline, "the scheduler was not started again"
        time.sleep(1)
    deadline = time.monotonic() + 360
    while True:
        conn = connect()
        try:
            with transaction(conn) as cur:
                cur.execute("SELECT status FROM batch WHERE vendor = %s AND batch_id = %s", (VENDOR, batch_id))
                row = cur.fetchone()
        finally:
            conn.close()
        if row and row[0] == "done":
            break
        assert time.monotonic() < deadline, f"no verdict after the scheduler was killed (batch {row})"
        time.sleep(3)
    assert reconciled(VENDOR, batch_id, manifest).masters == 20
