"""The burn-up chart: its time axis takes in the deadline, the forecast and both ends of its band; it reads at
800 px; a phase without a target draws none. Built from statuses made here (no services needed)."""
from __future__ import annotations

import datetime as dt

import pytest
from matplotlib import dates as mdates
from matplotlib import pyplot as plt
from matplotlib.text import Text

from sohoa.milestones.definitions import STAGES, parse_plan
from sohoa.milestones.forecast import Forecast
from sohoa.milestones.inventory import PlanFigure
from sohoa.milestones.progress import Measure, MilestoneStatus
from sohoa.reports import charts

TODAY = dt.date(2026, 11, 24)
DEADLINE = dt.date(2026, 11, 30)


def status(outlook: Forecast, *, target: int | None = 200, done: int = 90) -> MilestoneStatus:
    plan = parse_plan({"milestone": [{"id": "x-gd1", "agency": "X", "phase": 1, "title": "Giai đoạn 1",
                                      "deadline": DEADLINE, "start": dt.date(2025, 7, 1), "plan_holding": "gd1",
                                      "scope": [{"high_value": [True]}]}]})
    figure = None if target is None else PlanFigure("X", "gd1", "gd1", "Kế hoạch", None, target, None, "", "", "")
    stages = {stage: Measure(done if stage == "ocr" else 0) for stage in STAGES}
    return MilestoneStatus(plan.milestones[0], TODAY, figure, Measure(done), stages,
                           burnup=[(dt.date(2026, 9, 1), done // 2), (dt.date(2026, 11, 20), done)],
                           outlook=outlook, conditions=frozenset({"forecast_late"}))


def x_range(fig) -> tuple[dt.date, dt.date]:
    left, right = fig.axes[0].get_xlim()
    return mdates.num2date(left).date(), mdates.num2date(right).date()


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_the_time_axis_takes_in_a_forecast_and_a_band_far_past_the_deadline():
    late = Forecast(110, 0.5, dt.date(2027, 6, 13), dt.date(2027, 3, 1), dt.date(2028, 2, 1))
    fig = charts.burnup_figure(status(late))
    left, right = x_range(fig)
    assert left <= dt.date(2025, 7, 1) and right > dt.date(2028, 2, 1) > DEADLINE
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "Dự báo hoàn thành: 13/06/2027" in labels
    assert "Khoảng dự báo 90 %: 01/03/2027 – 01/02/2028" in labels and "Hạn: 30/11/2026" in labels


def test_a_band_without_a_late_end_runs_to_the_edge_and_says_so():
    open_ended = Forecast(110, 0.5, dt.date(2027, 6, 13), dt.date(2027, 3, 1), None)
    fig = charts.burnup_figure(status(open_ended))
    left, right = x_range(fig)
    assert right > dt.date(2027, 6, 13)
    band = [p for p in fig.axes[0].patches if p.get_label().startswith("Khoảng dự báo")]
    assert band and mdates.num2date(band[0].get_x() + band[0].get_width()).date() == right
    assert "Khoảng dự báo 90 %: 01/03/2027 – không xác định" in [t.get_text() for t in
                                                                  fig.axes[0].get_legend().get_texts()]


def test_a_phase_without_a_target_draws_no_target_and_no_forecast_and_says_why():
    fig = charts.burnup_figure(status(Forecast(None, 0.5, None, None, None), target=None))
    texts = [t.get_text() for t in fig.findobj(Text)]
    assert not any(t.startswith(("Chỉ tiêu:", "Dự báo")) for t in texts)
    assert "Chưa nhập số liệu kế hoạch “gd1” nên giai đoạn này chưa có chỉ tiêu số hồ sơ" in texts


def test_the_chart_reads_at_800_px():
    fig = charts.burnup_figure(status(Forecast(110, 0.5, dt.date(2027, 6, 13), dt.date(2027, 3, 1), None)))
    width_in = fig.get_size_inches()[0]
    smallest = min(t.get_fontsize() for t in fig.findobj(Text) if t.get_text().strip())
    assert width_in == 8 and smallest * 800 / (width_in * 72) >= 12  # px at 800 px wide
