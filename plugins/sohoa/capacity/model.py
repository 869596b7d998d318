"""The capacity and cost model: workers needed per phase, a given fleet's finish date, and the cost estimate.

Per phase (its rows of the backlog, its window from the first day counted to its deadline; a phase that still has
pages but no working day left before its deadline is overdue, and its window runs instead from the first day
counted to ``[schedule] catch_up_months`` calendar months later):

* productive hours  H = working days × hours per day × utilisation
* workers needed    ⌈pages ÷ (pages/s of one worker × 3600 × H)⌉, for CPU workers and for GPU workers
* worker-hours      pages ÷ (pages/s of one worker × 3600 × utilisation) — what compute is paid for
* a fleet of N CPU + M GPU workers needs pages ÷ ((N·r_cpu + M·r_gpu) × 3600 × utilisation) working hours;
  phases run one after another, so a phase starts when both its window opens and the previous phase is done
* scanning          pages still to scan × price per page
* storage           GB (masters + derivatives) × (1 + backup copies) × months × price per GB-month, counting
                    a phase's pages as stored from the middle of its window (they arrive steadily) to
                    ``[storage] until``; a month is 365.25 / 12 days
"""
from __future__ import annotations

import calendar
import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable

from ..milestones.definitions import Plan
from .backlog import BASIS_COUNTED, Backlog, SizedRow, size
from .errors import BacklogError, CapacityConfigError
from .parameters import Parameters

SECONDS_PER_HOUR = 3600
DAYS_PER_MONTH = 365.25 / 12


@dataclass(frozen=True)
class PhaseWindow:
    """When a phase's work may start (None: any time) and by when it must be done."""

    phase: int
    start: dt.date | None
    deadline: dt.date

    @property
    def title(self) -> str:
        return f"Giai đoạn {self.phase}"


@dataclass(frozen=True)
class Fleet:
    """The workers at hand."""

    cpu_workers: int
    gpu_workers: int

    def pages_per_s(self, params: Parameters) -> float:
        return self.cpu_workers * params.throughput.cpu + self.gpu_workers * params.throughput.gpu


@dataclass(frozen=True)
class FleetRun:
    """A fleet's run through one phase: from ``start``, ``hours`` working hours, done on ``finish``."""

    start: dt.date
    hours: float
    finish: dt.date | None  # None: no pages to do
    meets_deadline: bool


@dataclass(frozen=True)
class Costs:
    """VND. ``compute`` is the fleet's when a fleet is given, else an all-CPU run's; ``gpu_compute`` is the
    all-GPU alternative, shown for comparison and never added to ``total``."""

    scanning: float
    storage: float
    compute: float
    gpu_compute: float

    @property
    def total(self) -> float:
        return self.scanning + self.storage + self.compute

    def __add__(self, other: Costs) -> Costs:
        return Costs(self.scanning + other.scanning, self.storage + other.storage, self.compute + other.compute,
                     self.gpu_compute + other.gpu_compute)


@dataclass(frozen=True)
class PhaseEstimate:
    window: PhaseWindow
    start: dt.date  # the first day counted: the later of the window's start and today
    deadline: dt.date  # the window's deadline, or the end of the catch-up window when overdue
    overdue: bool  # pages left and no working day before the window's deadline
    rows: tuple[SizedRow, ...]
    working_days: int
    productive_hours: float
    cpu_workers: int
    gpu_workers: int
    cpu_worker_hours: float
    gpu_worker_hours: float
    storage_gb: float  # one copy
    storage_months: float
    costs: Costs
    fleet: FleetRun | None

    @property
    def pages(self) -> int:
        return sum(r.pages for r in self.rows)

    @property
    def scan_pages(self) -> int:
        return sum(r.scan_pages for r in self.rows)

    @property
    def estimated_pages(self) -> int:
        return sum(r.pages for r in self.rows if r.basis != BASIS_COUNTED)

    @property
    def ho_so(self) -> int:
        return sum(r.row.ho_so or 0 for r in self.rows)

    @property
    def shelf_metres(self) -> float:
        return sum(r.row.shelf_metres or 0 for r in self.rows)


@dataclass(frozen=True)
class Estimate:
    today: dt.date
    backlog: Backlog
    params: Parameters
    fleet: Fleet | None
    phases: tuple[PhaseEstimate, ...]

    @property
    def costs(self) -> Costs:
        return sum((p.costs for p in self.phases), Costs(0, 0, 0, 0))

    @property
    def yearly_storage_cost(self) -> float:
        """Storage of every page of the backlog, all copies, for twelve months once all are stored."""
        storage, prices = self.params.storage, self.params.prices
        return sum(p.storage_gb for p in self.phases) * storage.copies * prices.storage_per_gb_month * 12


def phase_windows(plan: Plan) -> dict[int, PhaseWindow]:
    """Per phase number, the earliest start and earliest deadline of the milestones of that phase (the city's
    plan gives every agency the same phases; an agency with an earlier deadline sets the pace)."""
    by_phase = defaultdict(list)
    for m in plan.milestones:
        by_phase[m.phase].append(m)
    return {phase: PhaseWindow(phase, min((m.start for m in ms if m.start), default=None),
                               min(m.deadline for m in ms))
            for phase, ms in by_phase.items()}


def working_days(first: dt.date, last: dt.date, days_per_week: int) -> int:
    """Days from ``first`` to ``last`` (both included) among the first ``days_per_week`` weekdays from Monday."""
    if last < first:
        return 0
    weeks, rest = divmod((last - first).days + 1, 7)
    return weeks * days_per_week + sum((first + dt.timedelta(i)).weekday() < days_per_week for i in range(rest))


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months, on the month's last day when it is shorter (31/08 + 6 → 28/02)."""
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    return day.replace(year=year, month=month + 1, day=min(day.day, calendar.monthrange(year, month + 1)[1]))


def nth_working_day(first: dt.date, n: int, days_per_week: int) -> dt.date:
    """The ``n``-th working day (n ≥ 1) on or after ``first``; raises OverflowError past the calendar's end."""
    day = first
    while day.weekday() >= days_per_week:
        day += dt.timedelta(1)
    weeks, rest = divmod(n - 1, days_per_week)
    day += dt.timedelta(weeks * 7)
    while rest:
        day += dt.timedelta(1)
        rest -= day.weekday() < days_per_week
    return day


def workers_needed(pages: int, pages_per_s_per_worker: float, productive_hours: float) -> int:
    """⌈pages ÷ (pages/s × 3600 × hours)⌉: whole workers to do ``pages`` in ``productive_hours``."""
    if pages == 0:
        return 0
    return math.ceil(round(pages / (pages_per_s_per_worker * SECONDS_PER_HOUR * productive_hours), 9))


def worker_hours(pages: int, pages_per_s_per_worker: float, utilisation: float) -> float:
    """Worker-hours paid for to do ``pages``: busy time divided by the utilisation."""
    return pages / (pages_per_s_per_worker * SECONDS_PER_HOUR * utilisation)


def storage_months(first: dt.date, deadline: dt.date, until: dt.date) -> float:
    """Months from the middle of ``first``..``deadline`` to ``until``."""
    middle = first + (deadline - first) / 2
    return (until - middle).days / DAYS_PER_MONTH


def _fleet_run(pages: int, fleet: Fleet, params: Parameters, start: dt.date, deadline: dt.date) -> FleetRun:
    schedule = params.schedule
    if pages == 0:
        return FleetRun(start, 0.0, None, True)
    hours = pages / (fleet.pages_per_s(params) * SECONDS_PER_HOUR * schedule.utilisation)
    try:
        finish = nth_working_day(start, math.ceil(round(hours / schedule.hours_per_day, 9)), schedule.days_per_week)
    except OverflowError:
        finish = dt.date.max
    return FleetRun(start, hours, finish, finish <= deadline)


def _check_fleet(fleet: Fleet) -> None:
    if fleet.cpu_workers < 0 or fleet.gpu_workers < 0:
        raise CapacityConfigError(f"a fleet cannot have a negative number of workers: {fleet}")
    if fleet.cpu_workers + fleet.gpu_workers == 0:
        raise CapacityConfigError("the fleet has no workers: give --cpu-workers and/or --gpu-workers above 0")


def _by_phase(rows: Iterable[SizedRow], windows: dict[int, PhaseWindow], origin: str) -> dict[int, list[SizedRow]]:
    grouped = defaultdict(list)
    for sized in rows:
        if sized.row.phase not in windows:
            raise BacklogError(f"{origin}: row {sized.row.holding!r} of {sized.row.agency} is in phase "
                               f"{sized.row.phase}, which config/milestones.toml does not define (phases: "
                               f"{', '.join(map(str, sorted(windows)))})")
        grouped[sized.row.phase].append(sized)
    return grouped


def estimate(backlog: Backlog, windows: dict[int, PhaseWindow], params: Parameters, today: dt.date,
             fleet: Fleet | None = None) -> Estimate:
    """Workers, fleet run and costs for every phase that has backlog rows, counting from ``today``.

    A phase with pages and no working day left before its deadline is planned, and its fleet run judged, over
    the catch-up window (``overdue``). Raises :class:`BacklogError` for an empty backlog or a row in an unknown
    phase, :class:`CapacityConfigError` for an empty fleet or a storage horizon that ends before a (catch-up)
    deadline.
    """
    if not backlog.rows:
        raise BacklogError(f"{backlog.origin}: the backlog is empty, there is nothing to plan")
    if fleet is not None:
        _check_fleet(fleet)
    throughput, schedule, storage, prices = params.throughput, params.schedule, params.storage, params.prices
    grouped = _by_phase((size(row, params.conversion) for row in backlog.rows), windows, backlog.origin)
    phases = []
    fleet_free = today
    for phase in sorted(grouped):
        window, rows = windows[phase], tuple(grouped[phase])
        start = max(today, window.start or today)
        pages = sum(r.pages for r in rows)
        deadline = window.deadline
        days = working_days(start, deadline, schedule.days_per_week)
        overdue = bool(pages) and days == 0
        if overdue:
            deadline = add_months(start, schedule.catch_up_months)
            days = working_days(start, deadline, schedule.days_per_week)
        if pages and storage.until < deadline:
            raise CapacityConfigError(f"[storage] until ({storage.until.isoformat()}) is before the "
                                      f"{'catch-up ' if overdue else ''}deadline of {window.title} "
                                      f"({deadline.isoformat()}); storage must be paid at least until every phase "
                                      f"is done")
        hours = days * schedule.hours_per_day * schedule.utilisation
        cpu_hours = worker_hours(pages, throughput.cpu, schedule.utilisation)
        gpu_hours = worker_hours(pages, throughput.gpu, schedule.utilisation)
        run = None
        if fleet is not None:
            run = _fleet_run(pages, fleet, params, max(start, fleet_free), deadline)
            if run.finish:
                fleet_free = run.finish if run.finish == dt.date.max else run.finish + dt.timedelta(1)
        compute = (cpu_hours * prices.cpu_worker_hour if run is None
                   else run.hours * (fleet.cpu_workers * prices.cpu_worker_hour
                                     + fleet.gpu_workers * prices.gpu_worker_hour))
        gb = storage.gb(pages)
        months = storage_months(start, deadline, storage.until) if pages else 0.0
        costs = Costs(scanning=sum(r.scan_pages for r in rows) * prices.scan_per_page,
                      storage=gb * storage.copies * months * prices.storage_per_gb_month,
                      compute=compute, gpu_compute=gpu_hours * prices.gpu_worker_hour)
        phases.append(PhaseEstimate(window, start, deadline, overdue, rows, days, hours,
                                    workers_needed(pages, throughput.cpu, hours),
                                    workers_needed(pages, throughput.gpu, hours),
                                    cpu_hours, gpu_hours, gb, months, costs, run))
    return Estimate(today, backlog, params, fleet, tuple(phases))
