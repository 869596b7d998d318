"""Celery queues holding tasks that no worker will take, found on the broker and reported as an alert.

A task sent to a queue with no live consumer (the GPU pool scaled to zero, a worker that never came back) just
waits: Airflow fails it only after ``[scheduler] task_queued_timeout``. :func:`stranded_queues` asks the workers
which queues they consume (a Celery ``active_queues`` broadcast) and the Redis broker how many messages wait in
each queue sohoa uses; a queue with messages and no consumer is stranded. ``sohoa_queue_watch`` runs this every
few minutes and alerts through the e-mail and webhook channels of ``config/alerts.toml``: once per set of
stranded queues, and again every :data:`REPEAT_AFTER` while it stays stranded (:func:`alert_due`).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .config import Settings


def sohoa_queues(cfg: Settings) -> tuple[str, ...]:
    """The Celery queues sohoa's tasks are sent to."""
    from .localstack.celery import DEFAULT_QUEUE

    return tuple(dict.fromkeys(q for q in (DEFAULT_QUEUE, cfg.ocr_gpu_queue, cfg.ocr_queue) if q))


def consumed_queues(broker_url: str, timeout: float = 3.0) -> set[str]:
    """Queues that at least one live worker consumes (workers that do not answer within ``timeout`` count as
    gone)."""
    from celery import Celery

    app = Celery(broker=broker_url)
    try:
        replies = app.control.inspect(timeout=timeout).active_queues() or {}
    finally:
        app.close()
    return {queue["name"] for queues in replies.values() for queue in queues}


def waiting_messages(broker_url: str, queues: tuple[str, ...]) -> dict[str, int]:
    """Messages waiting in each Redis-backed queue (kombu keeps a queue as a Redis list of its name)."""
    import redis

    client = redis.Redis.from_url(broker_url, socket_timeout=5)
    return {queue: int(client.llen(queue)) for queue in queues}


def stranded_queues(broker_url: str, queues: tuple[str, ...]) -> dict[str, int]:
    """{queue: waiting messages} of the queues that hold messages and have no live consumer."""
    waiting = {q: n for q, n in waiting_messages(broker_url, queues).items() if n}
    if not waiting:
        return {}
    consumed = consumed_queues(broker_url)
    return {q: n for q, n in waiting.items() if q not in consumed}


REPEAT_AFTER = dt.timedelta(hours=6)  # a queue still stranded is reported again this often, not every check


def alert_due(key: str, now: dt.datetime, last: dict | None, repeat_after: dt.timedelta = REPEAT_AFTER) -> bool:
    """Whether an alert with *key* goes out now, given the last one sent (``{"key", "sent_at"}`` or None): yes for
    a different set of stranded queues, or for the same set still stranded *repeat_after* after it was sent."""
    if not last or last.get("key") != key:
        return True
    return now - dt.datetime.fromisoformat(last["sent_at"]) >= repeat_after


@dataclass(frozen=True)
class StrandedQueueAlert:
    """Tasks waiting in queues no worker consumes; the shape the alert channels deliver."""

    stranded: dict[str, int]
    found_at: dt.datetime

    def key(self) -> str:
        return "queues:" + ",".join(sorted(self.stranded))

    def subject(self) -> str:
        names = ", ".join(sorted(self.stranded))
        return f"[Số hóa] CẢNH BÁO hàng đợi không có worker: {names}"

    def lines(self) -> list[str]:
        return ([f"Lúc {self.found_at.isoformat(timespec='seconds')}, {n} tác vụ đang chờ trong hàng đợi «{q}» "
                 "nhưng không worker nào đang nhận hàng đợi này." for q, n in sorted(self.stranded.items())]
                + ["Khởi động (hoặc tăng số) worker của hàng đợi đó; nếu không, Airflow sẽ đánh dấu các tác vụ "
                   "thất bại khi hết thời gian chờ (task_queued_timeout)."])

    def as_json(self) -> dict:
        return {"key": self.key(), "kind": "stranded_queue", "stranded": self.stranded,
                "found_at": self.found_at.isoformat(), "text": self.lines()}
