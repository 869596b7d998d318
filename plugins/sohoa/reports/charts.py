"""Charts for the annual report (PNG) and the dashboard (SVG), drawn once here with matplotlib (Agg).

Each function returns the encoded image as bytes; labels are Vietnamese (DejaVu Sans carries the diacritics).
"""
from __future__ import annotations

import datetime as dt
import io
import math

import matplotlib

matplotlib.use("Agg")
from matplotlib import dates as mdates  # noqa: E402
from matplotlib import pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from ..milestones.inventory import PlanFigure  # noqa: E402
from ..milestones.progress import MilestoneStatus  # noqa: E402
from ..vnformat import vn_date, vn_number  # noqa: E402

PLANNED, DONE, FORECAST, DEADLINE, GAP = "#555555", "#1f6fb2", "#e08a00", "#c0392b", "#bbbbbb"
MAX_DATE_TICKS = 9  # month labels "mm/yyyy" at 10 pt, turned: more than 9 crowd an 8-inch axis shown 800 px wide


def _encode(fig: Figure, fmt: str) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, dpi=130 if fmt == "png" else None, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def _time_axis(status: MilestoneStatus, start: dt.date) -> tuple[dt.date, dt.date | None]:
    """The right end of a burn-up's time axis: past the deadline, today, the forecast and its band (a margin of
    an eighth of the span), and the band's late end when it is not known (drawn to the edge), else None."""
    outlook = status.outlook
    known = [status.milestone.deadline, status.today]
    if not outlook.done:
        known += [d for d in (outlook.expected, outlook.earliest, outlook.latest) if d]
    end = max(known)
    right = end + dt.timedelta(days=max(10, (end - start).days // 8))
    return right, (None if outlook.latest or not outlook.expected or outlook.done else right)


def burnup(status: MilestoneStatus, fmt: str = "png") -> bytes:
    """:func:`burnup_figure` encoded as ``fmt`` (png or svg)."""
    return _encode(burnup_figure(status), fmt)


def burnup_figure(status: MilestoneStatus) -> Figure:
    """Burn-up of one milestone: hồ sơ done over time, the target, the forecast with its 90 % band and the
    deadline. The time axis always reaches past the deadline, the forecast date and both ends of its band; a band
    whose late end is unknown (the slowest rate is zero) runs to the edge and says so. A phase without a target
    draws no target line and no forecast, and says why. 8 inches wide with text of 9 pt or more, so it reads at
    800 px (9 pt there is 12.5 px)."""
    m, outlook, planned = status.milestone, status.outlook, status.planned_ho_so
    fig, ax = plt.subplots(figsize=(8, 4))
    days = [day for day, _ in status.burnup]
    done = [n for _, n in status.burnup]
    start = min([m.start or status.today, *days, status.today])
    current = done[-1] if done else 0
    right, open_end = _time_axis(status, start)
    ax.step([start, *days, status.today], [0, *done, current], where="post", color=DONE, linewidth=2.5,
            label=f"Đã hoàn thành: {vn_number(current)} hồ sơ")
    if planned is not None:
        ax.axhline(planned, color=PLANNED, linestyle="--", linewidth=1.2,
                   label=f"Chỉ tiêu: {vn_number(planned)} hồ sơ")
    ax.axvline(m.deadline, color=DEADLINE, linewidth=1.5, label=f"Hạn: {vn_date(m.deadline)}")
    top = max(planned or 0, current, 1) * 1.18
    if planned is None:
        ax.annotate(status.missing_target or "", xy=(0.02, 0.6), xycoords="axes fraction", color=DEADLINE,
                    fontsize=10, wrap=True)
    elif outlook.expected and not outlook.done:
        ax.plot([status.today, outlook.expected], [current, planned], color=FORECAST, linestyle=":", linewidth=2.2,
                label=f"Dự báo hoàn thành: {vn_date(outlook.expected)}")
        if outlook.earliest:
            late = outlook.latest or open_end
            ax.axvspan(outlook.earliest, late, color=FORECAST, alpha=0.18,
                       label=f"Khoảng dự báo 90 %: {vn_date(outlook.earliest)} – "
                             f"{vn_date(outlook.latest) if outlook.latest else 'không xác định'}")
        ax.annotate(vn_date(outlook.expected), xy=(outlook.expected, planned), xytext=(0, 6),
                    textcoords="offset points", ha="center", va="bottom", color=FORECAST, fontsize=10,
                    fontweight="bold")
    elif not outlook.done:
        ax.annotate("Chưa có tiến độ gần đây: không dự báo được ngày hoàn thành", xy=(0.02, 0.6),
                    xycoords="axes fraction", color=DEADLINE, fontsize=10)
    ax.set_xlim(start, right)
    ax.set_ylim(0, top)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # hồ sơ come whole
    months = (right.year - start.year) * 12 + right.month - start.month
    ax.xaxis.set_major_locator(mdates.MonthLocator(interval=max(1, math.ceil(months / MAX_DATE_TICKS))))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%m/%Y"))
    ax.tick_params(labelsize=10)
    ax.set_ylabel("Hồ sơ", fontsize=10)
    ax.set_title(f"{m.agency} – giai đoạn {m.phase}", fontsize=12)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9, loc="upper left", framealpha=0.9)
    fig.autofmt_xdate()
    return fig


def pages_per_day(status: MilestoneStatus, fmt: str = "png") -> bytes:
    """Pages OCR'd on each day of the throughput window."""
    fig, ax = plt.subplots(figsize=(8, 2.4))
    days = [d for d, _ in status.pages_per_day]
    ax.bar(days, [n for _, n in status.pages_per_day], color=DONE, width=0.8)
    if not any(n for _, n in status.pages_per_day):
        ax.annotate("Chưa có trang nào được số hóa trong thời gian này", xy=(0.5, 0.5), xycoords="axes fraction",
                    ha="center", color=DEADLINE)
    ax.xaxis.set_major_locator(mdates.DayLocator(interval=max(1, len(days) // 10)))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d/%m"))
    ax.set_ylabel("Trang/ngày")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3, axis="y")
    fig.autofmt_xdate()
    return _encode(fig, fmt)


def per_year(figures: list[PlanFigure], years: range, fmt: str = "png", title: str = "") -> bytes:
    """Hồ sơ per year from plan lines; a year with no figure is drawn as a hatched gap labelled 'không có số liệu'."""
    by_year = {f.year: f.ho_so for f in figures if f.year is not None}
    fig, ax = plt.subplots(figsize=(8, 3.0))
    top = max([v for v in by_year.values() if v] or [1])
    for year in years:
        value = by_year.get(year)
        if value is None:
            ax.bar(year, top * 0.08, color="white", edgecolor=GAP, hatch="//")
            ax.annotate("không có\nsố liệu", (year, top * 0.1), ha="center", fontsize=9, color=DEADLINE)
        else:
            ax.bar(year, value, color=DONE)
            ax.annotate(vn_number(value), (year, value), ha="center", va="bottom", fontsize=9)
    ax.set_xticks(list(years))
    ax.set_ylabel("Hồ sơ")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3, axis="y")
    return _encode(fig, fmt)


def per_month(counts: dict[int, int], year: int, fmt: str = "png") -> bytes:
    """Pages accepted per month of ``year`` (months with none are drawn as zero)."""
    fig, ax = plt.subplots(figsize=(8, 2.6))
    months = list(range(1, 13))
    values = [counts.get(m, 0) for m in months]
    ax.bar(months, values, color=DONE)
    for month, value in zip(months, values):
        if value:
            ax.annotate(vn_number(value), (month, value), ha="center", va="bottom", fontsize=9)
    ax.set_xticks(months, [f"{m:02d}" for m in months])
    ax.set_xlabel(f"Tháng (năm {year})")
    ax.set_ylabel("Trang")
    ax.grid(alpha=0.3, axis="y")
    return _encode(fig, fmt)
