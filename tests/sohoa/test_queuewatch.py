"""When a stranded-queue alert goes out: once per set of queues, then again only after REPEAT_AFTER."""
import datetime as dt

from sohoa.queuewatch import REPEAT_AFTER, StrandedQueueAlert, alert_due

NOW = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.timezone.utc)
GPU = StrandedQueueAlert({"gpu": 3}, NOW).key()


def _sent(key: str, ago: dt.timedelta) -> dict:
    return {"key": key, "sent_at": (NOW - ago).isoformat()}


def test_the_first_stranding_is_alerted():
    assert alert_due(GPU, NOW, None)


def test_the_same_stranding_is_not_alerted_again_within_the_repeat_interval():
    assert not alert_due(GPU, NOW, _sent(GPU, dt.timedelta(minutes=10)))
    assert not alert_due(GPU, NOW, _sent(GPU, REPEAT_AFTER - dt.timedelta(seconds=1)))


def test_a_stranding_that_lasts_is_alerted_again_after_the_interval():
    assert alert_due(GPU, NOW, _sent(GPU, REPEAT_AFTER))


def test_another_set_of_stranded_queues_is_alerted_at_once():
    both = StrandedQueueAlert({"gpu": 3, "default": 1}, NOW).key()
    assert both != GPU
    assert alert_due(both, NOW, _sent(GPU, dt.timedelta(minutes=10)))
