"""The stack's ``celery`` profile: a Redis broker and one Celery worker per queue, on Airflow's CeleryExecutor.

Redis is Debian's ``redis-server`` on 127.0.0.1 with a password (from ``secrets.env``), keeping its queues in an
append-only file, so a broker restarted mid-run still holds the tasks it had; a message lost all the same (a
killed broker) is not lost work, since Airflow fails and retries a task left queued too long. Two workers serve the
two queues of production: ``default`` (intake, planning, assembly, reports) and ``gpu`` (OCR of GPU engines;
on a machine without a GPU the profile routes the CPU engine there, so the routing is exercised all the same).
Each worker is its own process group, so killing one (as a test does) takes its running tasks with it.
"""
from __future__ import annotations

import os
import shutil
import socket

from ..config import Settings
from ..errors import StackError
from .procs import Service, ensure_port_free, wait_until

DEFAULT_QUEUE = "default"


def broker_url(cfg: Settings) -> str:
    return f"redis://:{cfg.redis_password}@127.0.0.1:{cfg.redis_port}/0"


def worker_hostname() -> str:
    """Airflow's ``[core] hostname_callable`` for the stack: the machine's name plus, inside a Celery worker of
    the stack, the worker's name, so a task instance shows which of the workers on this machine ran it."""
    worker = os.environ.get("SOHOA_CELERY_WORKER")
    return f"{socket.gethostname()}/{worker}" if worker else socket.gethostname()


class Redis:
    """The broker: start, health, stop."""

    def __init__(self, cfg: Settings):
        self.cfg = cfg
        self.conf = cfg.state_dir / "redis.conf"
        self.data = cfg.state_dir / "redis"
        self.service = Service(name="redis", argv=[shutil.which("redis-server") or "redis-server", str(self.conf)],
                               run_dir=cfg.state_dir / "run", log_dir=cfg.state_dir / "logs")

    def start(self) -> None:
        if shutil.which("redis-server") is None:
            raise StackError("redis-server is not installed (Debian package redis-server; scripts/setup.sh "
                             "installs it)")
        ensure_port_free(self.service, "127.0.0.1", self.cfg.redis_port)
        self.conf.write_text(  # the password stays out of the process list
            f"bind 127.0.0.1\nport {self.cfg.redis_port}\nrequirepass {self.cfg.redis_password}\n"
            f"dir {self.data}\nsave \"\"\nappendonly yes\nappendfsync everysec\nprotected-mode yes\n")
        self.conf.chmod(0o600)
        self.data.mkdir(parents=True, exist_ok=True)
        self.service.start()
        wait_until(self.healthy, service=self.service, timeout=30, what="Redis PING")

    def healthy(self) -> bool:
        import redis

        try:
            return redis.Redis.from_url(broker_url(self.cfg), socket_timeout=2).ping()
        except redis.RedisError:
            return False

    def stop(self) -> bool:
        return self.service.stop()

    def describe(self) -> str:
        return f"redis://127.0.0.1:{self.cfg.redis_port} (password in secrets.env)"


class CeleryWorkers:
    """The Celery workers of the profile, one per queue."""

    def __init__(self, cfg: Settings, env: dict[str, str], airflow: str):
        self.cfg = cfg
        self.queues = (DEFAULT_QUEUE, cfg.ocr_gpu_queue)
        self.services = [self.worker(cfg, env, airflow, queue) for queue in self.queues]

    @staticmethod
    def worker(cfg: Settings, env: dict[str, str], airflow: str, queue: str, name: str | None = None,
               concurrency: int | None = None) -> Service:
        """A Celery worker consuming ``queue`` with ``concurrency`` task slots (default: the setting); its name
        defaults to ``worker-<queue>``."""
        name = name or f"worker-{queue}"
        return Service(
            name=f"celery-{name}",
            argv=[airflow, "celery", "worker", "--queues", queue,
                  "--concurrency", str(concurrency or cfg.celery_worker_concurrency),
                  "--celery-hostname", f"{name}@%h", "--skip-serve-logs"],
            run_dir=cfg.state_dir / "run", log_dir=cfg.state_dir / "logs",
            env={**env, "SOHOA_CELERY_WORKER": name})

    def start(self) -> None:
        for service in self.services:
            service.start()
        wait_until(self.healthy, service=self.services[0], timeout=300, what="Celery workers answering a ping")

    def answering(self, timeout: float = 5.0) -> set[str]:
        """Names of the workers (all of the broker's, not only ours) that answer a ping within ``timeout``."""
        from celery import Celery

        app = Celery(broker=broker_url(self.cfg))
        try:
            replies = app.control.ping(timeout=timeout) or []
        except Exception:  # noqa: BLE001 — broker down or unreachable: nobody answers
            return set()
        finally:
            app.close()
        return {name.split("@", 1)[0] for reply in replies for name in reply}

    def healthy(self) -> bool:
        expected = {service.name.removeprefix("celery-") for service in self.services}
        return all(s.pid() is not None for s in self.services) and expected <= self.answering()

    def stop(self) -> bool:
        return any([service.stop() for service in self.services])

    def describe(self) -> str:
        return ", ".join(f"{s.name.removeprefix('celery-')} (queue {q}, {self.cfg.celery_worker_concurrency} slots)"
                         for s, q in zip(self.services, self.queues))
