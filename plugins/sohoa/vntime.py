"""Việt Nam time, declared once: UTC+07:00 all year (no daylight saving), and the calendar day of a moment there.

``TIMEZONE_NAME`` is the IANA name for what takes one (pendulum, Airflow schedules); ``VN_TZ`` the fixed offset
for :mod:`datetime`.
"""
from __future__ import annotations

import datetime as dt

TIMEZONE_NAME = "Asia/Ho_Chi_Minh"
VN_TZ = dt.timezone(dt.timedelta(hours=7), "+07:00")


def day_in_vietnam(moment: dt.datetime) -> dt.date:
    """The calendar day in Việt Nam (UTC+07:00) of an aware datetime."""
    return moment.astimezone(VN_TZ).date()
