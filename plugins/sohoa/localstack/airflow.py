"""Airflow 3.3 as four daemons (api-server, scheduler, dag-processor, triggerer) with the LocalExecutor.

The metadata database is the local PostgreSQL; the connections ``sohoa_postgres`` and ``sohoa_s3`` (the ids of
:mod:`sohoa.dagkit`) come from the environment (``AIRFLOW_CONN_*``), never from the metadata database, so they
cannot drift from the settings. Logins use Airflow's simple auth manager with one admin whose password is generated.
"""
from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from ..config import REPO_ROOT, Settings
from ..dagkit import CATALOGUE_CONN_ID, S3_CONN_ID
from ..errors import StackError
from .procs import Service, ensure_port_free, wait_until

DAEMONS = ("api-server", "scheduler", "dag-processor", "triggerer")


def home(cfg: Settings) -> Path:
    return cfg.state_dir / "airflow"


def environment(cfg: Settings, *, database: str | None = None) -> dict[str, str]:
    """The environment every Airflow process of the local stack runs with.

    ``database`` names another metadata database: in-process ``dag.test()`` runs use their own
    (``cfg.airflow_test_database``), since a live scheduler would pick their runs up and race them.
    """
    airflow_home = home(cfg)
    s3_conn = {"conn_type": "aws", "login": cfg.s3_pipeline_key, "password": cfg.s3_pipeline_secret,
               "extra": {"endpoint_url": cfg.s3_endpoint, "region_name": cfg.s3_region,
                         "config_kwargs": {"s3": {"addressing_style": "path"}}}}
    pg_conn = {"conn_type": "postgres", "host": cfg.pg_host, "port": cfg.pg_port, "schema": cfg.pg_database,
               "login": cfg.pg_user, "password": cfg.pg_password}
    smtp_conn = {"conn_type": "smtp", "host": "127.0.0.1", "port": cfg.alert_smtp_port,
                 "extra": {"disable_tls": True, "disable_ssl": True, "from_email": "sohoa@localhost", "timeout": 10}}
    webhook_conn = {"conn_type": "http", "host": "127.0.0.1", "port": cfg.alert_http_port, "schema": "http"}
    venv_bin = str(Path(sys.executable).parent)
    return {
        "AIRFLOW_HOME": str(airflow_home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO_ROOT / "plugins"),
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor" if cfg.stack_profile == "celery" else "LocalExecutor",
        "AIRFLOW__CORE__HOSTNAME_CALLABLE": "sohoa.localstack.celery.worker_hostname",
        "AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT": str(cfg.task_queued_timeout),
        "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": str(cfg.task_heartbeat_timeout),
        "AIRFLOW__CORE__PARALLELISM": "8",
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__CORE__FERNET_KEY": cfg.airflow_fernet_key,
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{cfg.airflow_admin_user}:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(airflow_home / "passwords.json"),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{cfg.airflow_url}/execution/",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": _metadata_url(cfg, "postgresql+psycopg2", database),
        "AIRFLOW__API__BASE_URL": cfg.airflow_url,
        "AIRFLOW__API__HOST": cfg.airflow_host,
        "AIRFLOW__API__PORT": str(cfg.airflow_port),
        "AIRFLOW__API__SECRET_KEY": cfg.airflow_jwt_secret,
        "AIRFLOW__API_AUTH__JWT_SECRET": cfg.airflow_jwt_secret,
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "15",
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "True",
        "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_HOST": "127.0.0.1",  # 0.0.0.0 by default
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(cfg.state_dir / "logs" / "airflow"),
        f"AIRFLOW_CONN_{S3_CONN_ID.upper()}": json.dumps(s3_conn),
        f"AIRFLOW_CONN_{CATALOGUE_CONN_ID.upper()}": json.dumps(pg_conn),
        "AIRFLOW_CONN_SOHOA_SMTP": json.dumps(smtp_conn),
        "AIRFLOW_CONN_SOHOA_ALERT_WEBHOOK": json.dumps(webhook_conn),
        **(_celery(cfg) if cfg.stack_profile == "celery" else {}),
        "SOHOA_STATE_DIR": str(cfg.state_dir),
        "PATH": venv_bin + os.pathsep + os.environ.get("PATH", ""),
        "NO_PROXY": "*",
    }


def _metadata_url(cfg: Settings, scheme: str, database: str | None = None) -> str:
    """URL of Airflow's metadata database (or of ``database`` on the same server) with the given scheme."""
    return (f"{scheme}://{cfg.airflow_db_user}:{cfg.airflow_db_password}"
            f"@{cfg.pg_host}:{cfg.pg_port}/{database or cfg.airflow_database}")


def _celery(cfg: Settings) -> dict[str, str]:
    """The CeleryExecutor's settings: Redis broker, results in the metadata database, the default queue."""
    from .celery import DEFAULT_QUEUE, broker_url

    return {
        "AIRFLOW__CELERY__BROKER_URL": broker_url(cfg),
        "AIRFLOW__CELERY__RESULT_BACKEND": _metadata_url(cfg, "db+postgresql"),
        "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(cfg.celery_worker_concurrency),
        "AIRFLOW__OPERATORS__DEFAULT_QUEUE": DEFAULT_QUEUE,
    }


class Airflow:
    """The local Airflow: migrate the metadata DB, write the admin password, run the daemons."""

    def __init__(self, cfg: Settings):
        self.cfg = cfg
        self.env = {**os.environ, **environment(cfg)}
        self.airflow = str(Path(sys.executable).with_name("airflow"))
        self.services = [
            Service(name=f"airflow-{daemon}", argv=[self.airflow, daemon, *self._daemon_args(daemon)],
                    run_dir=cfg.state_dir / "run", log_dir=cfg.state_dir / "logs",
                    env=self.env, cwd=REPO_ROOT)
            for daemon in DAEMONS
        ]

    def _daemon_args(self, daemon: str) -> list[str]:
        if daemon == "api-server":
            return ["--host", self.cfg.airflow_host, "--port", str(self.cfg.airflow_port)]
        if daemon in ("scheduler", "triggerer"):
            # Their log servers bind every interface with no host setting (airflow.utils.serve_logs); task logs
            # are files under the state directory, which the API server reads itself.
            return ["--skip-serve-logs"]
        return []

    def _write_password(self) -> None:
        path = home(self.cfg) / "passwords.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({self.cfg.airflow_admin_user: self.cfg.airflow_admin_password}))
        path.chmod(0o600)

    def migrate(self, env: dict[str, str] | None = None) -> None:
        """Create or upgrade the metadata schema (idempotent); ``env`` selects another metadata database."""
        result = subprocess.run([self.airflow, "db", "migrate"], env=env or self.env, capture_output=True, text=True)
        if result.returncode != 0:
            raise StackError(f"airflow db migrate failed: {result.stderr.strip()[-1500:]}")

    def create_pools(self) -> None:
        """The OCR pools: ``ocr`` bounds CPU OCR tasks, ``gpu`` the tasks of GPU engines (idempotent)."""
        pools = {self.cfg.ocr_pool: {"slots": self.cfg.ocr_pool_slots, "description": "OCR tasks (CPU engines)",
                                     "include_deferred": False},
                 self.cfg.ocr_gpu_queue: {"slots": self.cfg.ocr_gpu_pool_slots,
                                          "description": "OCR tasks of GPU engines (queue gpu)",
                                          "include_deferred": False}}
        path = home(self.cfg) / "pools.json"
        path.write_text(json.dumps(pools))
        result = subprocess.run([self.airflow, "pools", "import", str(path)], env=self.env, capture_output=True,
                                text=True)
        if result.returncode != 0:
            raise StackError(f"airflow pools import failed: {result.stderr.strip()[-800:]}")

    @property
    def _profile_file(self) -> Path:
        """The executor profile the running daemons were started with."""
        return self.cfg.state_dir / "run" / "airflow.profile"

    def start(self) -> None:
        """Start the daemons that are not running; daemons started under another profile are restarted."""
        running = [s for s in self.services if s.pid() is not None]
        started_as = self._profile_file.read_text().strip() if self._profile_file.exists() else "local"
        if running and started_as != self.cfg.stack_profile:
            self.stop()
        ensure_port_free(self.services[0], self.cfg.airflow_host, self.cfg.airflow_port)
        self._write_password()
        if any(service.pid() is None for service in self.services):
            self.migrate()
            self.create_pools()
        self._profile_file.parent.mkdir(parents=True, exist_ok=True)
        self._profile_file.write_text(self.cfg.stack_profile)
        for service in self.services:
            service.start()
        wait_until(self.healthy, service=self.services[0], timeout=180, what="API server and scheduler")

    def celery_workers(self):
        """The celery profile's workers, running with this Airflow's environment."""
        from .celery import CeleryWorkers

        return CeleryWorkers(self.cfg, self.env, self.airflow)

    def health(self) -> dict:
        """Airflow's own health document (metadatabase, scheduler, triggerer, dag_processor)."""
        with urllib.request.urlopen(f"{self.cfg.airflow_url}/api/v2/monitor/health", timeout=3) as response:
            return json.load(response)

    def healthy(self) -> bool:
        try:
            doc = self.health()
        except (urllib.error.URLError, OSError, ValueError):
            return False
        return all(doc.get(part, {}).get("status") == "healthy" for part in ("metadatabase", "scheduler"))

    def stop(self) -> bool:
        stopped = [service.stop() for service in reversed(self.services)]
        return any(stopped)

    def describe(self) -> str:
        return f"{self.cfg.airflow_url} (login {self.cfg.airflow_admin_user} / {self.cfg.airflow_admin_password})"


@contextlib.contextmanager
def extra_api_server(cfg: Settings, log_path: Path, *, timeout: float = 90) -> Iterator[str]:
    """One more ``airflow api-server`` of the local stack on a free port, loading this tree's plugin (the stack's
    own keeps the plugin it started with); yields its base URL and stops it (its process group) afterwards.
    For benchmarks that measure a page as a browser gets it. Raises StackError when it does not come up."""
    with socket.socket() as probe:
        probe.bind((cfg.airflow_host, 0))
        port = probe.getsockname()[1]
    base = f"http://{cfg.airflow_host}:{port}"
    env = {**os.environ, **environment(cfg), "AIRFLOW__API__BASE_URL": base}
    with log_path.open("wb") as out:
        proc = subprocess.Popen([str(Path(sys.executable).with_name("airflow")), "api-server", "--host",
                                 cfg.airflow_host, "--port", str(port)], env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True, cwd=REPO_ROOT)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/v2/monitor/health", timeout=2).close()
                break
            except (urllib.error.URLError, OSError) as exc:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise StackError(f"extra api-server did not come up ({exc}); log {log_path}") from exc
                time.sleep(0.5)
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
