"""The local stack's supervisor: a daemon that starts again any supervised service that died.

A PostgreSQL restart takes Airflow's scheduler, triggerer and dag-processor down with it, and nothing brought
them back until someone ran ``stack up``. The supervisor checks every ``INTERVAL`` seconds, while the stack is
meant to be up (``up`` writes which services it started, ``down`` removes that before stopping anything), and
starts those that are not running — its dead group's orphans reaped first (:meth:`Service.reap`). It never acts while ``up``, ``down``
or a test holds the stack's lock (:func:`sohoa.localstack.exclusive`): a service stopped on purpose stays
stopped. Each restart is a line of ``run/supervisor.jsonl``, which ``stack status`` summarises.

Not supervised: the celery profile's broker and workers — a dead worker is the queue watch's to report
(``sohoa_queue_watch``), and tests stop them on purpose to prove it.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import fcntl
import json
import logging
import os
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..config import Settings
from ..errors import StackError
from .procs import Service

log = logging.getLogger(__name__)

# Seconds between checks: a daemon is back within about this long after it died (plus its own start time).
INTERVAL = 15.0
JOURNAL = "supervisor.jsonl"
UP_FLAG = "stack.up"  # JSON: the services `up` started


def journal_path(cfg: Settings) -> Path:
    return cfg.state_dir / "run" / JOURNAL


def up_flag(cfg: Settings) -> Path:
    return cfg.state_dir / "run" / UP_FLAG


@contextlib.contextmanager
def try_exclusive(cfg: Settings) -> Iterator[bool]:
    """The stack's lock if it is free right now (True), else nothing (False): never waits."""
    lock_path = cfg.state_dir / "run" / "stack.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _services(component) -> list[Service]:
    return getattr(component, "services", None) or [component.service]


def mark_up(cfg: Settings, components: Iterable) -> None:
    """Record the services ``up`` started: those the supervisor keeps running."""
    names = sorted({service.name for component in components for service in _services(component)})
    up_flag(cfg).parent.mkdir(parents=True, exist_ok=True)
    up_flag(cfg).write_text(json.dumps({"services": names}))


def mark_down(cfg: Settings) -> None:
    up_flag(cfg).unlink(missing_ok=True)


def _meant_to_run(cfg: Settings) -> set[str]:
    try:
        return set(json.loads(up_flag(cfg).read_text())["services"])
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return set()


def check_once(cfg: Settings, components: Iterable, *, now=None) -> list[dict]:
    """Start every component one of whose services ``up`` started is not running; return (and journal) what
    was done. Does nothing while the stack is down or its lock is held by someone else."""
    meant = _meant_to_run(cfg)
    if not meant:
        return []
    done: list[dict] = []
    with try_exclusive(cfg) as mine:
        if not mine:
            return []
        for component in components:
            dead = [service.name for service in _services(component)
                    if service.name in meant and service.pid() is None]
            if not dead:
                continue
            log.warning("supervisor: %s not running; starting it again", ", ".join(dead))
            record = {"at": (now or dt.datetime.now(dt.timezone.utc)).isoformat(timespec="seconds"),
                      "services": dead}
            try:
                component.start()
                record["outcome"] = "restarted"
            except (StackError, OSError) as exc:
                record["outcome"] = f"restart failed: {exc}"[:500]
            log.warning("supervisor: %s: %s", ", ".join(dead), record["outcome"])
            with open(journal_path(cfg), "a", encoding="utf-8") as journal:
                journal.write(json.dumps(record, ensure_ascii=False) + "\n")
            done.append(record)
    return done


def history(cfg: Settings) -> dict[str, list[dict]]:
    """``{service name: [journal records naming it, oldest first]}``."""
    found: dict[str, list[dict]] = {}
    with contextlib.suppress(FileNotFoundError):
        for line in journal_path(cfg).read_text(encoding="utf-8").splitlines():
            with contextlib.suppress(ValueError):
                record = json.loads(line)
                for name in record.get("services", []):
                    found.setdefault(name, []).append(record)
    return found


def summary(cfg: Settings, services: list[Service]) -> str:
    """What the supervisor did to these services, for ``stack status`` ('' when nothing)."""
    records = [r for s in services for r in history(cfg).get(s.name, [])]
    if not records:
        return ""
    last = max(records, key=lambda r: r["at"])
    failed = sum(not r["outcome"].startswith("restarted") for r in records)
    return (f"; supervisor: {', '.join(last['services'])} found dead {len(records)}×, last at {last['at']} "
            f"({last['outcome']}){f', {failed} restart(s) failed' if failed else ''}")


class Supervisor:
    """The supervisor daemon as a stack component (started last by ``up``, stopped first by ``down``)."""

    def __init__(self, cfg: Settings):
        self.cfg = cfg
        self.service = Service(name="supervisor",
                               argv=[sys.executable, "-c", "from sohoa.localstack.supervisor import main; main()"],
                               run_dir=cfg.state_dir / "run", log_dir=cfg.state_dir / "logs",
                               env={**os.environ, "SOHOA_STATE_DIR": str(cfg.state_dir)})

    def start(self) -> None:
        self.service.start()

    def healthy(self) -> bool:
        return self.service.pid() is not None

    def stop(self) -> bool:
        return self.service.stop(timeout=10)

    def describe(self) -> str:
        return f"restarts dead services every {INTERVAL:.0f} s; journal {journal_path(self.cfg)}"


def supervised(cfg: Settings) -> list:
    """The components the supervisor keeps running, in start order."""
    from . import _components
    from .celery import CeleryWorkers, Redis

    return [c for c in _components(cfg, celery=False) if not isinstance(c, (Supervisor, CeleryWorkers, Redis))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Restart the local stack's services that died.")
    parser.add_argument("--interval", type=float, default=INTERVAL)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    from ..config import settings

    while True:
        time.sleep(args.interval)
        settings.cache_clear()
        cfg = settings()
        try:
            check_once(cfg, supervised(cfg))
        except Exception:  # noqa: BLE001 — the supervisor must outlive any one failed check; it is logged
            log.exception("supervisor: check failed")


if __name__ == "__main__":
    raise SystemExit(main())
