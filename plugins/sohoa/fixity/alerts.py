"""Alerting on fixity problems: the alert (worded for archivists) and the clear failure of the run.

The alert has the shape the alert notifiers deliver (``key``, ``subject``, ``lines``, ``as_json``), so the
same e-mail and webhook channels (``config/alerts.toml``) carry it.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .check import FixityReport

SHOWN = 50  # problems listed in one alert; the events hold them all


@dataclass(frozen=True)
class FixityAlert:
    run_id: str
    report: FixityReport
    raised_at: dt.datetime

    def key(self) -> str:
        return f"fixity:{self.run_id}"

    def subject(self) -> str:
        return f"[Số hóa] CẢNH BÁO toàn vẹn dữ liệu: {len(self.report.problems)} đối tượng lưu trữ bị sai lệch hoặc mất"

    def lines(self) -> list[str]:
        shown = self.report.problems[:SHOWN]
        more = len(self.report.problems) - len(shown)
        return ([f"Lần kiểm tra {self.run_id} lúc {self.raised_at.isoformat(timespec='seconds')}: đã đọc lại "
                 f"{self.report.checked} đối tượng, {len(self.report.problems)} không khớp với cơ sở dữ liệu."]
                + shown + ([f"… và {more} đối tượng khác (xem sự kiện 'fixity check')."] if more else [])
                + ["Khôi phục từ bản sao dự phòng: sohoa restore --bucket <bucket> --key <key>."])

    def as_json(self) -> dict:
        return {"key": self.key(), "kind": "fixity", "run_id": self.run_id, "checked": self.report.checked,
                "problems": self.report.problems, "raised_at": self.raised_at.isoformat()}


def deliver(alert: FixityAlert, channels) -> None:
    """Send ``alert`` through every channel (Airflow notifiers); a failed delivery raises."""
    for channel in channels:
        channel.notify({"alert": alert})


def failure_message(report: FixityReport, run_id: str) -> str:
    """The operator's message of a failed run: how many objects, then each problem (Vietnamese lines)."""
    return (f"fixity run {run_id}: {len(report.problems)} of {report.checked} stored objects do not match the "
            "catalogue:\n  " + "\n  ".join(report.problems[:SHOWN]))
