"""Việt Nam time, declared once: UTC+07:00 all year (no daylight saving), and the calendar day of a moment there.

``TIMEZONE_NAME`` is the IANA name for what takes one (pendulum, Airflow schedules); ``VN_TZ`` the fixed offset
for :mod:`datetime`. :func:`add_today` gives a command the ``--today`` option its reports are judged from.
"""
from __future__ import annotations

import argparse
import datetime as dt

TIMEZONE_NAME = "Asia/Ho_Chi_Minh"
VN_TZ = dt.timezone(dt.timedelta(hours=7), "+07:00")


def day_in_vietnam(moment: dt.datetime) -> dt.date:
    """The calendar day in Việt Nam (UTC+07:00) of an aware datetime."""
    return moment.astimezone(VN_TZ).date()


def today_arg(value: str) -> dt.date:
    """An argparse type: a ``YYYY-MM-DD`` date."""
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"ngày phải viết dạng YYYY-MM-DD (ví dụ 2026-11-20), "
                                         f"không phải {value!r}") from exc


def add_today(parser: argparse.ArgumentParser) -> None:
    """``--today YYYY-MM-DD``, by default today in Việt Nam."""
    parser.add_argument("--today", type=today_arg, default=dt.datetime.now(VN_TZ).date(), metavar="NGÀY",
                        help="ngày tính số liệu, dạng YYYY-MM-DD (mặc định: hôm nay, giờ Việt Nam)")
