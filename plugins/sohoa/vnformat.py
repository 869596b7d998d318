"""Numbers and dates the Vietnamese way (9.494 hồ sơ; 28,07 m; 24/11/2026), for alerts, reports and the UI.

Beside :mod:`sohoa.vntext` (the text itself) and :mod:`sohoa.vntime` (the clock).
"""
from __future__ import annotations

import datetime as dt

from .vntime import VN_TZ

UNKNOWN_DATE = "không xác định"


def vn_number(value: float, decimals: int = 0) -> str:
    """``9494 -> "9.494"``, ``28.07, 2 -> "28,07"``: dot for thousands, comma for decimals."""
    text = f"{value:,.{decimals}f}"
    return text.translate(str.maketrans({",": ".", ".": ","}))


def vn_date(day: dt.date | None) -> str:
    """``dd/mm/yyyy``, or :data:`UNKNOWN_DATE` for None."""
    return day.strftime("%d/%m/%Y") if day else UNKNOWN_DATE


def vn_moment(moment: dt.datetime) -> str:
    """An aware datetime as ``HH:MM dd/mm/yyyy`` in Việt Nam time."""
    return moment.astimezone(VN_TZ).strftime("%H:%M %d/%m/%Y")
