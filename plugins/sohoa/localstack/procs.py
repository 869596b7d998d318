"""Background services as process groups, tracked by PID files in the state directory.

Each service runs in its own session (``setsid``), so stopping it signals the whole group: children that
the service forked (Airflow's workers, SeaweedFS's components) go with it and no port stays bound. A group
whose leader died (a killed scheduler leaves its LocalExecutor workers behind, ignoring SIGTERM) is reaped with
SIGKILL before the service starts again. Services run with umask 077: the files they create (volume files,
database files, logs) are readable by their owner only.
"""
from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import psutil

from ..errors import StackError


@dataclass(frozen=True)
class Service:
    """One long-running process of the local stack.

    Its PID file holds the PID and the process's start time: a PID file whose PID now belongs to some other
    program (a stale file after a reboot, a reused PID) is recognised and ignored. The start time, not the
    command line, is what identifies the process, because daemons retitle themselves while they start.
    """

    name: str
    argv: list[str]
    run_dir: Path
    log_dir: Path
    env: dict[str, str] | None = None
    user: str | None = None
    cwd: Path | None = None
    stop_signal: int = signal.SIGTERM

    @property
    def pid_file(self) -> Path:
        return self.run_dir / f"{self.name}.pid"

    @property
    def log_file(self) -> Path:
        return self.log_dir / f"{self.name}.log"

    def pid(self) -> int | None:
        """The PID of the running service, or None (removing a stale PID file, its group's orphans reaped)."""
        try:
            pid_text, started_text = self.pid_file.read_text().split()
            pid, started = int(pid_text), float(started_text)
        except FileNotFoundError:
            return None
        except ValueError:  # not a PID file this code wrote
            pid, started = -1, 0.0
        with contextlib.suppress(psutil.Error, ValueError):
            proc = psutil.Process(pid)
            if proc.status() != psutil.STATUS_ZOMBIE and abs(proc.create_time() - started) < 0.05:
                return pid
        self.reap()
        self.pid_file.unlink(missing_ok=True)
        return None

    def start(self) -> int:
        """Start the service unless it runs already (after reaping what a dead leader left); return its PID."""
        if (pid := self.pid()) is not None:
            return pid
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log_file, "ab") as log:
            log.write(f"\n--- {time.strftime('%Y-%m-%dT%H:%M:%S%z')} starting {self.name}\n".encode())
            log.flush()
            proc = subprocess.Popen(
                self.argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env=self.env, cwd=self.cwd, user=self.user, start_new_session=True, umask=0o077,
            )
        self.pid_file.write_text(f"{proc.pid} {psutil.Process(proc.pid).create_time()!r}\n")
        return proc.pid

    def stop(self, timeout: float = 20.0) -> bool:
        """Stop the whole process group (``stop_signal``, then KILL after ``timeout``); True if it was running."""
        pid = self.pid()
        if pid is None:
            return False
        group = [pid] + [p.pid for p in _children(pid)]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, self.stop_signal)
        _, alive = psutil.wait_procs(_existing(group), timeout=timeout)
        for proc in alive:
            with contextlib.suppress(psutil.Error):
                proc.kill()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        psutil.wait_procs(_existing(group), timeout=5)
        self.pid_file.unlink(missing_ok=True)
        return True

    def orphans(self) -> list[psutil.Process]:
        """Processes left in the group of a leader that is gone (the group id is the leader's PID, which the
        kernel does not hand out again while the group has members); empty while the leader runs."""
        try:
            leader = int(self.pid_file.read_text().split()[0])
        except (FileNotFoundError, ValueError, IndexError):
            return []
        if leader <= 1 or _alive(leader):
            return []
        found = []
        for proc in psutil.process_iter(["pid"]):
            with contextlib.suppress(psutil.Error, OSError):
                if os.getpgid(proc.pid) == leader and proc.status() != psutil.STATUS_ZOMBIE:
                    found.append(proc)
        return found

    def reap(self) -> int:
        """SIGKILL the :meth:`orphans` (they may ignore SIGTERM); return how many there were."""
        left = self.orphans()
        for proc in left:
            with contextlib.suppress(psutil.Error):
                proc.kill()
        psutil.wait_procs(left, timeout=5)
        return len(left)

    def log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"


def _alive(pid: int) -> bool:
    with contextlib.suppress(psutil.Error):
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    return False


def _children(pid: int) -> list[psutil.Process]:
    with contextlib.suppress(psutil.Error):
        return psutil.Process(pid).children(recursive=True)
    return []


def _existing(pids: list[int]) -> list[psutil.Process]:
    procs = []
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            procs.append(psutil.Process(pid))
    return procs


def port_is_free(host: str, port: int) -> bool:
    """True if nothing accepts connections on host:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) != 0


def ensure_port_free(service: Service, host: str, port: int) -> None:
    """Raise a clear StackError when a port the service needs is taken by another program."""
    if service.pid() is None and not port_is_free(host, port):
        owner = _port_owner(port)
        raise StackError(
            f"{service.name}: port {host}:{port} is already in use{owner}. Stop that program or choose "
            f"another port (see README, 'Configuration')."
        )


def _port_owner(port: int) -> str:
    with contextlib.suppress(psutil.Error):
        for conn in psutil.net_connections(kind="tcp"):
            if conn.laddr and conn.laddr.port == port and conn.status == psutil.CONN_LISTEN and conn.pid:
                proc = psutil.Process(conn.pid)
                return f" by PID {conn.pid} ({' '.join(proc.cmdline())[:80]})"
    return ""


def wait_until(check: Callable[[], bool], *, service: Service, timeout: float, what: str) -> None:
    """Poll ``check`` until it is true; raise StackError with the log's tail if the service dies or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        if service.pid() is None:
            raise StackError(f"{service.name} exited while starting; last log lines:\n{service.log_tail()}")
        time.sleep(0.5)
    raise StackError(f"{service.name}: {what} not ready after {timeout:.0f}s; last log lines:\n{service.log_tail()}")
