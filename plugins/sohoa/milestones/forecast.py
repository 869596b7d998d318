"""Forecast of a milestone's completion from recent throughput, and the alert conditions it implies. Pure.

The rate is the mean of the daily completions in the window; the band uses the 90 % interval of that mean
(mean ± 1.645·s/√n). At the low end of the band the rate may be zero: then the latest date is unknown (None),
which the dashboard and the alerts state plainly rather than inventing a date.
"""
from __future__ import annotations

import datetime as dt
import math
import statistics
from dataclasses import dataclass
from typing import Sequence

Z90 = 1.645


@dataclass(frozen=True)
class Forecast:
    """When the remaining volume will be done at the recent rate; None where it cannot be said."""

    remaining: float | None  # None: the volume itself is unknown (no plan figure and no records)
    rate_per_day: float
    expected: dt.date | None
    earliest: dt.date | None
    latest: dt.date | None

    @property
    def done(self) -> bool:
        return self.remaining is not None and self.remaining <= 0


def _finish(today: dt.date, remaining: float, rate: float) -> dt.date | None:
    if rate <= 0:
        return None
    return today + dt.timedelta(days=math.ceil(remaining / rate))


def forecast(daily_done: Sequence[float], remaining: float | None, today: dt.date) -> Forecast:
    """Forecast from ``daily_done`` (completions on each of the last n days, oldest first) and ``remaining``.

    ``remaining`` None means nothing is known to plan against: no date can be forecast, and it is not done.
    """
    if remaining is None:
        return Forecast(None, statistics.fmean(daily_done) if daily_done else 0.0, None, None, None)
    if remaining <= 0:
        return Forecast(0.0, 0.0, today, today, today)
    if not daily_done:
        return Forecast(remaining, 0.0, None, None, None)
    rate = statistics.fmean(daily_done)
    spread = Z90 * statistics.stdev(daily_done) / math.sqrt(len(daily_done)) if len(daily_done) > 1 else rate
    return Forecast(remaining, rate, _finish(today, remaining, rate), _finish(today, remaining, rate + spread),
                    _finish(today, remaining, rate - spread))


# Alert conditions, in the order of severity.
APPROACHING = "approaching"
FORECAST_LATE = "forecast_late"
OVERDUE = "overdue"
CONDITION_LABELS = {
    APPROACHING: "Sắp đến hạn",
    FORECAST_LATE: "Dự báo không kịp hạn",
    OVERDUE: "Đã quá hạn, chưa hoàn thành",
}


def conditions(deadline: dt.date, outlook: Forecast, today: dt.date, warn_days_before: int,
               start: dt.date | None = None) -> frozenset[str]:
    """The alert conditions that hold today for a milestone with this ``deadline`` and forecast.

    Before the milestone's ``start`` there is no throughput to judge, and without a target (``remaining`` None)
    no finish to forecast, so the forecast raises nothing then; the deadline still does.
    """
    if outlook.done:
        return frozenset()
    if today > deadline:
        return frozenset({OVERDUE})
    found = set()
    if (deadline - today).days <= warn_days_before:
        found.add(APPROACHING)
    judged = outlook.remaining is not None and (start is None or today >= start)
    if judged and (outlook.expected is None or outlook.expected > deadline):
        found.add(FORECAST_LATE)
    return frozenset(found)
