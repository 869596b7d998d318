"""Milestone alerts: raise each condition once per channel, remember it in the catalogue, clear it when it ends.

State lives in the table ``milestone_alert`` (one open row per milestone, condition and channel). A condition
that still holds the next day is not sent again; when it stops holding its rows are closed (``cleared_on``), so
if it comes back it is sent again. A row is written only after its channel really delivered, so a failed channel
is retried on the next run; every failure is collected and raised as one :class:`AlertDeliveryError`.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any, Sequence

from psycopg2.extras import Json

from ..alerts.errors import AlertDeliveryError
from .forecast import CONDITION_LABELS, Forecast
from ..catalogue.db import run_query
from ..vnformat import vn_date, vn_number

log = logging.getLogger(__name__)

OPEN_ALERTS_SQL = """
SELECT condition, channel FROM milestone_alert WHERE milestone_id = %(milestone)s AND cleared_on IS NULL
"""
CLEAR_ALERTS_SQL = """
UPDATE milestone_alert SET cleared_on = %(today)s
 WHERE milestone_id = %(milestone)s AND cleared_on IS NULL AND NOT (condition = ANY(%(active)s))
"""
RECORD_ALERT_SQL = """
INSERT INTO milestone_alert (milestone_id, condition, channel, raised_on, detail)
VALUES (%(milestone)s, %(condition)s, %(channel)s, %(today)s, %(detail)s)
"""


@dataclass(frozen=True)
class Alert:
    """One condition of one milestone on one day, worded for the archivists (Vietnamese)."""

    milestone_id: str
    agency: str
    phase: int
    title: str
    deadline: dt.date
    condition: str
    today: dt.date
    done_ho_so: int
    planned_ho_so: int | None  # None: the phase has no target
    outlook: Forecast

    def key(self) -> str:
        return f"{self.milestone_id}:{self.condition}:{self.today.isoformat()}"

    def subject(self) -> str:
        return (f"[Số hóa] {CONDITION_LABELS[self.condition]} – {self.agency}, giai đoạn {self.phase} "
                f"(hạn {vn_date(self.deadline)})")

    def lines(self) -> list[str]:
        days = (self.deadline - self.today).days
        when = f"còn {days} ngày" if days >= 0 else f"đã quá hạn {-days} ngày"
        return [
            f"{self.title}.",
            f"Hạn hoàn thành: {vn_date(self.deadline)} ({when}).",
            (f"Đã hoàn thành {vn_number(self.done_ho_so)} / {vn_number(self.planned_ho_so)} hồ sơ theo kế hoạch."
             if self.planned_ho_so is not None else
             f"Đã hoàn thành {vn_number(self.done_ho_so)} hồ sơ; giai đoạn này chưa có chỉ tiêu số hồ sơ."),
            f"Tốc độ gần đây: {vn_number(self.outlook.rate_per_day, 1)} hồ sơ/ngày; dự báo hoàn thành: "
            f"{vn_date(self.outlook.expected)} (muộn nhất {vn_date(self.outlook.latest)}).",
        ]

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key(), "milestone": self.milestone_id, "agency": self.agency, "phase": self.phase,
            "condition": self.condition, "label": CONDITION_LABELS[self.condition],
            "deadline": self.deadline.isoformat(), "today": self.today.isoformat(),
            "done_ho_so": self.done_ho_so, "planned_ho_so": self.planned_ho_so,
            "rate_per_day": round(self.outlook.rate_per_day, 3),
            "forecast": {"expected": _iso(self.outlook.expected), "earliest": _iso(self.outlook.earliest),
                         "latest": _iso(self.outlook.latest)},
            "text": self.lines(),
        }


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def dispatch(conn, alerts_by_milestone: dict[str, Sequence[Alert]], channels: Sequence, today: dt.date
             ) -> list[str]:
    """Send what is new, close what ended; return ``"<alert key> -> <channel>"`` for each delivery.

    ``alerts_by_milestone`` maps every evaluated milestone id to the alerts that hold today (possibly none).
    Each delivery is committed on its own; raises :class:`AlertDeliveryError` after trying everything if any
    channel failed.
    """
    sent, failures = [], []
    for milestone_id, alerts in alerts_by_milestone.items():
        params = {"milestone": milestone_id, "today": today, "active": [a.condition for a in alerts]}
        where = f"for milestone {milestone_id!r}"
        with conn:
            run_query(conn, f"'clear_alerts' {where}", CLEAR_ALERTS_SQL, params)
            already = set(run_query(conn, f"'open_alerts' {where}", OPEN_ALERTS_SQL, params))
        for alert in alerts:
            for channel in channels:
                if (alert.condition, channel.channel) in already:
                    continue
                try:
                    channel({"alert": alert})
                except AlertDeliveryError as exc:
                    failures.append(str(exc))
                    continue
                with conn:
                    run_query(conn, f"'record_alert' {where}", RECORD_ALERT_SQL,
                              {**params, "condition": alert.condition, "channel": channel.channel,
                               "detail": Json(alert.as_json())})
                log.info("alert %s sent by %s", alert.key(), channel.channel)
                sent.append(f"{alert.key()} -> {channel.channel}")
    if failures:
        raise AlertDeliveryError(f"{len(failures)} alert deliveries failed (delivered: {sent or 'none'}): "
                                 + "; ".join(failures))
    return sent
