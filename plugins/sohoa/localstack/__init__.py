"""The embedded local stack: PostgreSQL, SeaweedFS S3 (primary and backup copy) with the inbox watcher, an alert
sink and Airflow on 127.0.0.1, state in one directory. The ``celery`` profile adds Redis and two Celery workers (see
:mod:`sohoa.localstack.celery`); the default ``local`` profile runs Airflow's LocalExecutor.

``up`` is idempotent (a running service is left alone, a crashed one restarted); ``down`` stops every
process group and keeps all data; ``status`` reports each service's health and what the supervisor
(:mod:`sohoa.localstack.supervisor`, started last by ``up``) restarted.
"""
from __future__ import annotations

import contextlib
import fcntl
import shutil
from dataclasses import dataclass

from ..config import Settings, ensure_secrets, profile_file, settings
from .airflow import Airflow
from .alertsink import AlertSink
from .backup_s3 import backup_server  # the second, independent copy TT 05/2025 requires
from .celery import CeleryWorkers, Redis
from .inboxwatch import InboxWatch
from .postgres import Postgres
from .seaweed import SeaweedS3
from .supervisor import Supervisor, mark_down, mark_up, summary


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    running: bool
    healthy: bool
    detail: str


def _components(cfg: Settings, *, celery: bool | None = None) -> list:
    """The stack's components in start order; the broker and workers only in the celery profile, or as
    ``celery`` says (``down`` stops them whatever the profile)."""
    airflow = Airflow(cfg)
    with_celery = cfg.stack_profile == "celery" if celery is None else celery
    seaweed = SeaweedS3(cfg)
    return [Postgres(cfg), seaweed, InboxWatch(cfg, seaweed), backup_server(cfg), AlertSink(cfg),
            *([Redis(cfg)] if with_celery else []),
            airflow, *([airflow.celery_workers()] if with_celery else []), Supervisor(cfg)]


def label(component) -> str:
    """How a component is named in messages: its class, or its service's name when a class serves twice."""
    if isinstance(component, CeleryWorkers):
        return "Celery workers"
    if isinstance(component, Supervisor):
        return "Supervisor"
    if isinstance(component, InboxWatch):
        return "Inbox watcher"
    if isinstance(component, SeaweedS3):
        return "S3" if component.service.name == "seaweedfs" else f"S3 {component.service.name}"
    return type(component).__name__


def prepare(profile: str | None = None) -> Settings:
    """Generate dev secrets on first use, record ``profile`` when given, and return the settings that include
    them. On a machine without a GPU the celery profile sends OCR of CPU engines to the ``gpu`` worker."""
    cfg = settings()
    ensure_secrets(cfg.state_dir)
    if profile is not None:
        lines = [f"SOHOA_STACK_PROFILE={profile}"]
        if profile == "celery" and shutil.which("nvidia-smi") is None:
            lines.append(f"SOHOA_OCR_QUEUE={cfg.ocr_gpu_queue}")
        profile_file(cfg.state_dir).write_text("".join(f"{line}\n" for line in lines))
    settings.cache_clear()
    return settings()


@contextlib.contextmanager
def exclusive(cfg: Settings):
    """One ``up`` or ``down`` at a time per state directory (a second waits for the first to finish)."""
    lock_path = cfg.state_dir / "run" / "stack.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def up(*, with_airflow: bool = True, profile: str | None = None, echo=print) -> Settings:
    """Start every service that is not running, in dependency order; return the settings used.

    ``profile`` ("local" or "celery") switches the executor profile and is remembered; Airflow's daemons are
    restarted when they run under another one, and the celery profile's broker and workers stop with "local".
    """
    cfg = prepare(profile)
    with exclusive(cfg):
        if cfg.stack_profile != "celery":
            for component in (Airflow(cfg).celery_workers(), Redis(cfg)):
                if component.stop():
                    echo(f"{label(component)}: stopped (profile {cfg.stack_profile})")
        started = []
        for component in _components(cfg):
            if isinstance(component, (Airflow, CeleryWorkers)) and not with_airflow:
                continue
            echo(f"starting {label(component)}…")
            component.start()
            started.append(component)
            echo(f"  ✓ {component.describe()}")
        mark_up(cfg, started)
    return cfg


def down(echo=print) -> None:
    """Stop every service (Airflow first); data stays in the state directory."""
    cfg = prepare()
    with exclusive(cfg):
        mark_down(cfg)
        for component in reversed(_components(cfg, celery=True)):
            stopped = component.stop()
            echo(f"{label(component)}: {'stopped' if stopped else 'was not running'}")


def status() -> list[ServiceStatus]:
    cfg = prepare()
    result = []
    for component in _components(cfg):
        services = getattr(component, "services", None) or [component.service]
        running = all(s.pid() is not None for s in services)
        healthy = running and component.healthy()
        result.append(ServiceStatus(label(component), running, healthy,
                                    component.describe() + summary(cfg, services)))
    return result
