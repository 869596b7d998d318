"""sohoa_queue_watch — alert when tasks wait in a Celery queue that no worker consumes.

Every 10 minutes under the CeleryExecutor: the broker's queues that sohoa uses (``default``, ``gpu``) are
compared with the queues live workers consume. A queue holding tasks with no consumer (the GPU workers scaled to
zero, a worker that never came back) is sent as an alert through the e-mail and webhook channels of
``config/alerts.toml`` (again only every 6 hours while the same queues stay stranded) and fails the run, without
retrying, so the UI shows it every time. Under the LocalExecutor there are no queues and the check does nothing.
"""
from __future__ import annotations

from airflow.sdk import Variable, dag, task

from sohoa.dagkit import dag_defaults

LAST_ALERT = "sohoa_queue_watch_last_alert"  # Airflow Variable: the last stranded-queue alert sent


@dag(
    dag_id="sohoa_queue_watch",
    schedule="*/10 * * * *",
    **dag_defaults(),
    tags=["sohoa", "operations", "scale-out"],
    doc_md=__doc__,
)
def sohoa_queue_watch():
    @task
    def check_queues() -> dict:
        """{queue: waiting tasks} of stranded queues (empty when all is well); alerts and fails when any."""
        import datetime as dt
        import os

        from airflow.sdk.exceptions import AirflowFailException

        from sohoa.alerts.channels import configured_channels
        from sohoa.config import settings
        from sohoa.queuewatch import StrandedQueueAlert, alert_due, sohoa_queues, stranded_queues

        broker = os.environ.get("AIRFLOW__CELERY__BROKER_URL")
        if not broker:
            return {}
        stranded = stranded_queues(broker, sohoa_queues(settings()))
        last = Variable.get(LAST_ALERT, default=None, deserialize_json=True)
        if not stranded:
            if last:
                Variable.delete(LAST_ALERT)  # all clear: the next stranding alerts at once
            return {}
        alert = StrandedQueueAlert(stranded, dt.datetime.now(dt.timezone.utc))
        if alert_due(alert.key(), alert.found_at, last):
            for channel in configured_channels():
                channel.notify({"alert": alert})
            Variable.set(LAST_ALERT, {"key": alert.key(), "sent_at": alert.found_at.isoformat()},
                         serialize_json=True)
        raise AirflowFailException(f"tasks wait in queues no worker consumes: {stranded}")

    check_queues()


sohoa_queue_watch()
