"""The local stack's services answer, enforce credentials, and keep their contracts."""
from __future__ import annotations

import base64
import os
import hashlib
import time
import uuid

import boto3
import botocore
import botocore.config
import psutil
import psycopg2
import pytest

from sohoa import localstack
from sohoa.storage import BUCKETS
from sohoa.errors import StackError
from sohoa.localstack.procs import Service, ensure_port_free, port_is_free


def test_every_service_reports_healthy(stack):
    rows = localstack.status()
    assert [r.name for r in rows] == ["Postgres", "S3", "Inbox watcher", "S3 seaweedfs-backup", "AlertSink", "Airflow",
                                    "Supervisor"]
    assert all(r.healthy for r in rows), rows


def test_up_twice_changes_nothing(stack):
    from sohoa.localstack.postgres import Postgres
    pid_before = Postgres(stack).service.pid()
    localstack.up(with_airflow=False, echo=lambda *_: None)
    assert Postgres(stack).service.pid() == pid_before


def test_catalogue_accepts_the_pipeline_role_and_has_the_search_extensions(catalogue):
    with catalogue.cursor() as cur:
        cur.execute("SELECT current_user, current_database()")
        assert cur.fetchone() == ("sohoa", "sohoa")
        cur.execute("SELECT extname FROM pg_extension ORDER BY 1")
        assert {"unaccent", "pg_trgm"} <= {r[0] for r in cur.fetchall()}


def test_postgres_refuses_a_wrong_password_over_tcp(stack):
    with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
        psycopg2.connect(host=stack.pg_host, port=stack.pg_port, dbname=stack.pg_database,
                         user=stack.pg_user, password="wrong", connect_timeout=3)


def test_postgres_listens_on_loopback_only(stack):
    with psycopg2.connect(stack.catalogue_dsn()) as conn, conn.cursor() as cur:
        cur.execute("SHOW listen_addresses")
        assert cur.fetchone() == ("127.0.0.1",)


def test_all_buckets_exist_and_masters_is_versioned_and_locked(s3_admin):
    names = {b["Name"] for b in s3_admin.list_buckets()["Buckets"]}
    assert set(BUCKETS) <= names
    assert s3_admin.get_bucket_versioning(Bucket="masters")["Status"] == "Enabled"
    lock = s3_admin.get_object_lock_configuration(Bucket="masters")["ObjectLockConfiguration"]
    assert lock["ObjectLockEnabled"] == "Enabled"


def test_s3_round_trip_keeps_the_sha256_checksum(s3_pipeline):
    body = "Hồ sơ số hóa — kiểm tra".encode() * 100
    digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
    key = f"test/{uuid.uuid4()}.txt"
    put = s3_pipeline.put_object(Bucket="derivatives", Key=key, Body=body, ChecksumSHA256=digest)
    assert put["ChecksumSHA256"] == digest
    got = s3_pipeline.get_object(Bucket="derivatives", Key=key, ChecksumMode="ENABLED")
    assert got["Body"].read() == body


def test_s3_rejects_a_body_that_does_not_match_its_checksum(s3_pipeline):
    wrong = base64.b64encode(hashlib.sha256(b"something else").digest()).decode()
    with pytest.raises(botocore.exceptions.ClientError):
        s3_pipeline.put_object(Bucket="derivatives", Key=f"test/{uuid.uuid4()}", Body=b"data",
                               ChecksumSHA256=wrong)


def test_s3_refuses_anonymous_and_wrong_key_requests(stack):
    anonymous = boto3.client("s3", endpoint_url=stack.s3_endpoint, region_name=stack.s3_region,
                             config=botocore.config.Config(signature_version=botocore.UNSIGNED))
    wrong = boto3.client("s3", endpoint_url=stack.s3_endpoint, region_name=stack.s3_region,
                         aws_access_key_id=stack.s3_pipeline_key, aws_secret_access_key="not-the-secret")
    for s3 in (anonymous, wrong):
        with pytest.raises(botocore.exceptions.ClientError) as err:
            s3.list_objects_v2(Bucket="masters")
        assert err.value.response["Error"]["Code"] in {"AccessDenied", "SignatureDoesNotMatch"}


def test_a_vendor_cannot_write_into_another_vendors_prefix(stack, s3_vendor):
    first, second = stack.vendors[:2]
    s3 = s3_vendor(first)
    s3.put_object(Bucket="inbox", Key=f"{first}/probe-{uuid.uuid4()}.txt", Body=b"ok")
    with pytest.raises(botocore.exceptions.ClientError) as err:
        s3.put_object(Bucket="inbox", Key=f"{second}/probe.txt", Body=b"intrusion")
    assert err.value.response["Error"]["Code"] == "AccessDenied"


def test_airflow_health_lists_every_component_healthy(stack):
    from sohoa.localstack.airflow import Airflow
    health = Airflow(stack).health()
    for part in ("metadatabase", "scheduler", "triggerer", "dag_processor"):
        assert health[part]["status"] == "healthy", health


def test_the_alert_sink_keeps_mail_and_webhook_calls_as_files(stack):
    import json
    import smtplib
    import urllib.request
    from email.message import EmailMessage

    folder = stack.state_dir / "alerts"
    before = set(folder.iterdir())
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "sohoa@localhost", "ops@localhost", "Cảnh báo tiến độ"
    message.set_content("Giai đoạn 1 sắp đến hạn.")
    with smtplib.SMTP("127.0.0.1", stack.alert_smtp_port, timeout=5) as smtp:
        smtp.send_message(message)
    request = urllib.request.Request(f"http://127.0.0.1:{stack.alert_http_port}/alerts", method="POST",
                                     data=json.dumps({"key": "phase1"}).encode(),
                                     headers={"Content-Type": "application/json"})
    assert urllib.request.urlopen(request, timeout=5).status == 204
    new = sorted(set(folder.iterdir()) - before)
    assert sorted(p.suffix for p in new) == [".eml", ".json"]
    assert "Cảnh báo tiến độ" in "".join(p.read_text(errors="replace") for p in new) or any(
        "=?utf-8?" in p.read_text() for p in new if p.suffix == ".eml")


def test_a_port_taken_by_another_program_gives_a_clear_error(tmp_path, stack):
    taken = Service(name="probe", argv=["true"], run_dir=tmp_path, log_dir=tmp_path)
    assert not port_is_free("127.0.0.1", stack.pg_port)
    with pytest.raises(StackError, match=f"port 127.0.0.1:{stack.pg_port} is already in use"):
        ensure_port_free(taken, "127.0.0.1", stack.pg_port)


@pytest.mark.parametrize("content", ["1 12.5\n", "1\n", "garbage"])
def test_a_stale_pid_file_is_ignored_and_removed(tmp_path, content):
    svc = Service(name="probe", argv=["sleep", "30"], run_dir=tmp_path, log_dir=tmp_path)
    svc.pid_file.write_text(content)  # PID 1 exists but started at another time: not our service
    assert svc.pid() is None
    assert not svc.pid_file.exists()


def test_a_service_that_retitles_itself_while_starting_is_still_recognised(tmp_path):
    svc = Service(name="probe", argv=["bash", "-c", "exec -a 'retitled 127.0.0.1:1' sleep 30"], run_dir=tmp_path,
                  log_dir=tmp_path)
    pid = svc.start()
    try:
        deadline = time.monotonic() + 5
        while "retitled" not in " ".join(psutil.Process(pid).cmdline()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "retitled" in " ".join(psutil.Process(pid).cmdline())
        assert svc.pid() == pid
    finally:
        assert svc.stop(timeout=5)
    assert svc.pid() is None


def test_stop_kills_the_whole_process_group(tmp_path):
    svc = Service(name="probe", argv=["bash", "-c", "sleep 300 & sleep 300 & wait"], run_dir=tmp_path,
                  log_dir=tmp_path)
    pid = svc.start()
    time.sleep(0.3)
    children = psutil.Process(pid).children(recursive=True)
    assert len(children) == 2
    assert svc.stop(timeout=5)
    assert not any(c.is_running() and c.status() != psutil.STATUS_ZOMBIE for c in children)
    assert svc.pid() is None


def test_nothing_is_lost_across_a_restart_and_the_included_settings_apply(stack, s3_pipeline):
    from sohoa.localstack.postgres import Postgres
    from sohoa.localstack.seaweed import SeaweedS3

    key = f"test/persist-{uuid.uuid4()}.txt"
    s3_pipeline.put_object(Bucket="derivatives", Key=key, Body="còn nguyên".encode())
    with psycopg2.connect(stack.catalogue_dsn()) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE IF NOT EXISTS stack_persistence_probe (v text)")
        cur.execute("INSERT INTO stack_persistence_probe VALUES (%s) RETURNING ctid", (key,))
    with localstack.exclusive(stack):
        for component in (SeaweedS3(stack), Postgres(stack)):
            assert component.stop()
            component.start()
    assert s3_pipeline.get_object(Bucket="derivatives", Key=key)["Body"].read().decode() == "còn nguyên"
    with psycopg2.connect(stack.catalogue_dsn()) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM stack_persistence_probe WHERE v = %s", (key,))
        assert cur.fetchone() == (1,)
        cur.execute("SHOW shared_buffers")
        assert cur.fetchone() == ("512MB",)  # infra/local/postgresql.conf is in force


def test_workers_left_by_a_killed_leader_are_reaped_before_it_starts_again(tmp_path):
    stubborn = "trap '' TERM; while :; do sleep 1; done"  # as LocalExecutor workers that ignore SIGTERM
    svc = Service(name="probe", argv=["bash", "-c", f"bash -c \"{stubborn}\" & bash -c \"{stubborn}\" & wait"],
                  run_dir=tmp_path, log_dir=tmp_path)
    pid = svc.start()
    time.sleep(0.5)
    workers = psutil.Process(pid).children()
    assert len(workers) == 2
    psutil.Process(pid).kill()  # the scheduler SIGKILLed: its workers are orphaned, still in its group
    psutil.Process(pid).wait(5)
    assert {w.pid for w in workers} <= {p.pid for p in svc.orphans()}  # with their own children
    again = svc.start()
    try:
        assert again != pid
        assert not any(w.is_running() and w.status() != psutil.STATUS_ZOMBIE for w in workers)
    finally:
        svc.stop(timeout=5)


def test_a_service_creates_files_only_its_owner_can_read(tmp_path):
    svc = Service(name="probe", argv=["bash", "-c", f"echo data > {tmp_path}/volume.dat; sleep 30"],
                  run_dir=tmp_path, log_dir=tmp_path)
    svc.start()
    try:
        deadline = time.monotonic() + 5
        while not (tmp_path / "volume.dat").exists():
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert (tmp_path / "volume.dat").stat().st_mode & 0o077 == 0
    finally:
        svc.stop(timeout=5)


def test_seaweedfs_own_ports_refuse_unsigned_requests_and_its_files_are_private(stack, s3_pipeline):
    """The filer's HTTP port once let any local process read every version and DELETE a locked one (204); the
    master's answered /dir/assign and /col/delete to anyone (one GET deleted the whole masters collection)."""
    import urllib.error
    import urllib.request

    key = f"probe/{uuid.uuid4().hex}.jpg"
    s3_pipeline.put_object(Bucket="masters", Key=key, Body=b"locked master")
    filer = f"http://127.0.0.1:{stack.s3_base_port + 2}/buckets/masters/"
    master = f"http://127.0.0.1:{stack.s3_base_port}"
    for method, url in [("GET", filer), ("GET", filer + key), ("DELETE", filer + key),
                        ("GET", master + "/dir/assign"), ("POST", master + "/dir/assign"),
                        ("GET", master + "/col/delete?collection=masters"), ("GET", master + "/vol/status"),
                        ("GET", master + "/vol/grow?count=1&collection=masters")]:
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=5)
        assert refused.value.code in (401, 404), (method, url)  # 404: the master's and filer's HTTP API is off
    assert s3_pipeline.get_object(Bucket="masters", Key=key)["Body"].read() == b"locked master"
    for folder in (stack.state_dir / "s3", stack.state_dir / "s3-backup"):
        assert folder.stat().st_mode & 0o077 == 0
        assert all(p.stat().st_mode & 0o077 == 0 for p in folder.glob("*.dat")), folder


def test_seaweedfs_grpc_ports_take_only_clients_with_the_stacks_certificate(stack, tmp_path):
    """``weed shell`` on the master's gRPC port could run ``collection.delete`` on masters: without the stack's
    client certificate it now gets no answer; with it (the stack's own security.toml) it does."""
    import subprocess

    from sohoa.localstack.seaweed import SeaweedS3, weed_binary

    server = SeaweedS3(stack)
    shell = [weed_binary(), "shell", f"-master=127.0.0.1:{stack.s3_base_port}.{stack.s3_base_port + 10}"]

    def collections(cwd) -> str:
        try:
            return subprocess.run(shell, input="collection.list\n", capture_output=True, text=True, timeout=8,
                                  cwd=cwd).stdout
        except subprocess.TimeoutExpired as waited:
            return waited.stdout.decode() if isinstance(waited.stdout, bytes) else (waited.stdout or "")

    assert 'collection:"masters"' not in collections(tmp_path)  # no security.toml here: no certificate
    assert 'collection:"masters"' in collections(server.security_dir)
    for name in ("security.toml", "grpc-ca.crt", "grpc-node.crt", "grpc-node.key"):
        assert (server.security_dir / name).stat().st_mode & 0o077 == 0, name


class _Probe:
    """A one-service stack component, as the supervisor sees the real ones."""

    def __init__(self, tmp_path):
        self.service = Service(name="probe", argv=["sleep", "300"], run_dir=tmp_path / "run", log_dir=tmp_path)

    def start(self):
        self.service.start()


def test_the_supervisor_starts_again_a_service_that_died_and_says_so_in_status(tmp_path, stack):
    from sohoa.localstack import supervisor

    cfg = stack.model_copy(update={"state_dir": tmp_path})
    probe = _Probe(tmp_path)
    probe.start()
    try:
        supervisor.mark_up(cfg, [probe])
        assert supervisor.check_once(cfg, [probe]) == []  # running: nothing to do
        first = probe.service.pid()
        psutil.Process(first).kill()
        psutil.Process(first).wait(5)
        [record] = supervisor.check_once(cfg, [probe])
        assert record["services"] == ["probe"] and record["outcome"] == "restarted"
        assert probe.service.pid() not in (None, first)
        assert "supervisor: probe found dead 1×" in supervisor.summary(cfg, [probe.service])
    finally:
        probe.service.stop(timeout=5)


def test_the_supervisor_leaves_alone_what_is_stopped_on_purpose(tmp_path, stack):
    from sohoa.localstack import supervisor

    cfg = stack.model_copy(update={"state_dir": tmp_path})
    probe = _Probe(tmp_path)
    supervisor.mark_up(cfg, [probe])
    with localstack.exclusive(cfg):  # a test or `down` holds the stack: a stopped service stays stopped
        assert supervisor.check_once(cfg, [probe]) == []
    supervisor.mark_down(cfg)  # the stack is down
    assert supervisor.check_once(cfg, [probe]) == []
    assert probe.service.pid() is None
    assert supervisor.summary(cfg, [probe.service]) == ""


def test_a_stack_service_killed_behind_its_back_is_running_again_within_the_supervisor_interval(stack):
    from sohoa.localstack.alertsink import AlertSink
    from sohoa.localstack.supervisor import INTERVAL, history

    sink = AlertSink(stack)
    first = sink.service.pid()
    seen = len(history(stack).get("alertsink", []))
    psutil.Process(first).kill()
    deadline = time.monotonic() + 2 * INTERVAL + 200  # a check under way may be starting Airflow (≤ 180 s)
    while not (sink.service.pid() not in (None, first) and sink.healthy()
               and len(history(stack).get("alertsink", [])) == seen + 1):  # journalled once it is up
        assert time.monotonic() < deadline, "the alert sink was not started again"
        time.sleep(1)
    assert "supervisor: alertsink found dead" in next(s.detail for s in localstack.status() if s.name == "AlertSink")


def test_every_port_the_stack_opens_listens_on_loopback_only(stack):
    groups = set()
    for component in localstack._components(stack):
        for service in getattr(component, "services", None) or [component.service]:
            if (pid := service.pid()) is not None:
                groups.add(pid)
    listening = [c for c in psutil.net_connections(kind="inet")
                 if c.status == psutil.CONN_LISTEN and c.pid and _group(c.pid) in groups]
    assert len({_group(c.pid) for c in listening}) >= 5  # PostgreSQL, two SeaweedFS, the sink, Airflow's API
    assert {c.laddr.ip for c in listening} == {"127.0.0.1"}, [(c.pid, c.laddr) for c in listening
                                                             if c.laddr.ip != "127.0.0.1"]


def _group(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None
