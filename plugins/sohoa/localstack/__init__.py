"""The embedded local stack: PostgreSQL, SeaweedFS S3 (primary and backup copy), an alert sink and Airflow on
127.0.0.1, state in one directory.

``up`` is idempotent (a running service is left alone, a crashed one restarted); ``down`` stops every
process group and keeps all data; ``status`` reports each service's health.
"""
from __future__ import annotations

import contextlib
import fcntl
from dataclasses import dataclass

from ..config import Settings, ensure_secrets, settings
from .airflow import Airflow
from .alertsink import AlertSink
from .postgres import Postgres
from .seaweed import SeaweedS3


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    running: bool
    healthy: bool
    detail: str


def _components(cfg: Settings) -> list:
    from ..backup.replica import replica_server  # the second, independent copy TT 05/2025 requires

    return [Postgres(cfg), SeaweedS3(cfg), replica_server(cfg), AlertSink(cfg), Airflow(cfg)]


def label(component) -> str:
    """How a component is named in messages: its class, or its service's name when a class serves twice."""
    if isinstance(component, SeaweedS3):
        return "S3" if component.service.name == "seaweedfs" else f"S3 {component.service.name}"
    return type(component).__name__


def prepare() -> Settings:
    """Generate dev secrets on first use and return the settings that include them."""
    ensure_secrets(settings().state_dir)
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


def up(*, with_airflow: bool = True, echo=print) -> Settings:
    """Start every service that is not running, in dependency order; return the settings used."""
    cfg = prepare()
    with exclusive(cfg):
        for component in _components(cfg):
            if isinstance(component, Airflow) and not with_airflow:
                continue
            echo(f"starting {label(component)}…")
            component.start()
            echo(f"  ✓ {component.describe()}")
    return cfg


def down(echo=print) -> None:
    """Stop every service (Airflow first); data stays in the state directory."""
    cfg = prepare()
    with exclusive(cfg):
        for component in reversed(_components(cfg)):
            stopped = component.stop()
            echo(f"{label(component)}: {'stopped' if stopped else 'was not running'}")


def status() -> list[ServiceStatus]:
    cfg = prepare()
    result = []
    for component in _components(cfg):
        services = getattr(component, "services", None) or [component.service]
        running = all(s.pid() is not None for s in services)
        healthy = running and component.healthy()
        result.append(ServiceStatus(label(component), running, healthy, component.describe()))
    return result
