"""Where each milestone stands: counts from the catalogue, the plan's own figures, throughput and forecast.

:func:`evaluate` runs the queries below for one milestone and returns a :class:`MilestoneStatus`; every
catalogue failure becomes a :class:`CatalogueQueryError` naming the milestone and the query. The scope is
the phase's membership (:meth:`Milestone.membership`: its scope less earlier phases', parameters only), spliced in
with :mod:`psycopg2.sql`.
"""
from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field, replace
from typing import Iterable

from psycopg2 import sql

from . import catalogue_sql as q
from .alerts import Alert
from .definitions import STAGES, Milestone
from .forecast import Forecast, conditions, forecast
from .inventory import PlanFigure, plan_figures
from ..catalogue.db import run_query


@dataclass(frozen=True)
class Measure:
    """A volume three ways: hồ sơ, pages (trang) and shelf-metres."""

    ho_so: int = 0
    pages: int = 0
    shelf_metres: float = 0.0


@dataclass(frozen=True)
class PageTroubles:
    """Pages of a phase that did not go through, counted from the records that say so."""

    rejected: int = 0  # refused at intake (batch_item), whether or not their hồ sơ reached the catalogue
    ocr_failed: int = 0  # accepted, OCR failed and will be retried (trang.ocr_status 'failed')
    ocr_parked: int = 0  # accepted, OCR retries spent, kept for review (trang.ocr_status 'parked')
    flagged: int = 0  # accepted, flagged by quality control (trang.qc_flags)


@dataclass(frozen=True)
class MilestoneStatus:
    """One milestone on one day. ``planned_ho_so`` is the phase's target: the plan's figure when seeded (or what
    is registered in the phase, if more), else None — a phase without a target has none, and says so
    (:attr:`missing_target`). ``outlook`` and ``conditions`` are set by :func:`evaluate`."""

    milestone: Milestone
    today: dt.date
    plan: PlanFigure | None
    registered: Measure
    stages: dict[str, Measure]
    burnup: list[tuple[dt.date, int]] = field(default_factory=list)  # day, cumulative hồ sơ done by then
    pages_per_day: list[tuple[dt.date, int]] = field(default_factory=list)  # pages OCR'd on each day of the window
    pages: PageTroubles = PageTroubles()
    outlook: Forecast | None = None
    conditions: frozenset[str] = frozenset()

    @property
    def planned_ho_so(self) -> int | None:
        if self.plan is None or self.plan.ho_so is None:
            return None
        return max(self.plan.ho_so, self.registered.ho_so)

    @property
    def missing_target(self) -> str | None:
        """Why the phase has no target (Vietnamese, for the dashboard and the report), or None when it has one."""
        if self.milestone.plan_holding is None:
            return "Kế hoạch chưa nêu chỉ tiêu số hồ sơ cho giai đoạn này"
        if self.plan is None:
            return (f"Chưa nhập số liệu kế hoạch “{self.milestone.plan_holding}” nên giai đoạn này chưa có chỉ tiêu "
                    "số hồ sơ")
        if self.plan.ho_so is None:
            return f"Số liệu kế hoạch “{self.plan.label}” không nêu số hồ sơ nên giai đoạn này chưa có chỉ tiêu"
        return None

    @property
    def done(self) -> Measure:
        return self.stages[self.milestone.done_stage]

    @property
    def has_records(self) -> bool:
        return self.registered.ho_so > 0

    def alerts(self) -> list[Alert]:
        m = self.milestone
        return [Alert(m.id, m.agency, m.phase, m.title, m.deadline, condition, self.today, self.done.ho_so,
                      self.planned_ho_so, self.outlook) for condition in sorted(self.conditions)]


def sync_milestones(conn, milestones: Iterable[Milestone], today: dt.date) -> None:
    """Register the configured milestones in the catalogue; a new one whose deadline is already past is refused.

    Raises :class:`MilestoneConfigError` (nothing is written then) or :class:`CatalogueQueryError`.
    """
    with conn:
        for m in milestones:
            what = f"for milestone {m.id!r}"
            if not run_query(conn, f"'known_milestone' {what}", q.KNOWN_MILESTONE_SQL, {"id": m.id}):
                m.check_new(today)
            run_query(conn, f"'upsert_milestone' {what}", q.UPSERT_MILESTONE_SQL,
                      {"id": m.id, "agency": m.agency, "phase": m.phase, "title": m.title, "deadline": m.deadline,
                       "created_on": m.adopted or today})


def evaluate(conn, milestone: Milestone, today: dt.date, *, window_days: int, warn_days_before: int
             ) -> MilestoneStatus:
    """Count, forecast and judge ``milestone`` as of ``today`` (read-only).

    Throughput is the hồ sơ reaching the done stage per day over the last ``window_days`` days.
    """
    scope, scope_params = milestone.membership("hs")
    since = today - dt.timedelta(days=window_days - 1)
    params = {"agency": milestone.agency, "today": today, "since": since, "done_stage": milestone.done_stage,
              **scope_params}
    where = f"for milestone {milestone.id!r} (agency {milestone.agency})"

    def run(name: str, template: str) -> list[tuple]:
        return run_query(conn, f"{name!r} {where}", sql.SQL(template).format(scope=scope), params)

    counts = {stage: Measure(int(h), int(p), float(m)) for stage, h, p, m in run("stages", q.STAGE_COUNTS_SQL)}
    stages = {stage: counts.get(stage, Measure()) for stage in STAGES}
    done_per_day = {day: int(n) for day, n in run("burnup", q.BURNUP_SQL)}
    pages_by_day = {day: int(n) for day, n in run("pages_per_day", q.PAGES_PER_DAY_SQL)}
    (rejected,), = run("rejected_pages", q.REJECTED_PAGES_SQL)
    (failed, parked, flagged), = run("page_states", q.PAGE_STATES_SQL)
    plan = next((f for f in plan_figures(conn, milestone.agency) if f.line == milestone.plan_holding), None)
    conn.rollback()

    days = [since + dt.timedelta(days=i) for i in range(window_days)]
    status = MilestoneStatus(milestone, today, plan, counts.get("registered", Measure()), stages,
                             list(zip(done_per_day, itertools.accumulate(done_per_day.values()))),
                             [(day, pages_by_day.get(day, 0)) for day in days],
                             PageTroubles(int(rejected), int(failed), int(parked), int(flagged)))
    window = [done_per_day.get(day, 0) for day in days]
    remaining = None if status.planned_ho_so is None else status.planned_ho_so - status.done.ho_so
    outlook = forecast(window, remaining, today)
    return replace(status, outlook=outlook,
                   conditions=conditions(milestone.deadline, outlook, today, warn_days_before, milestone.start))


def record_progress(conn, status: MilestoneStatus) -> None:
    """Store today's counts of ``status`` as the day's snapshot (re-running the same day overwrites it)."""
    rows = {"registered": status.registered, **status.stages}
    with conn:
        for stage, measure in rows.items():
            run_query(conn, f"'record_progress' for milestone {status.milestone.id!r}", q.RECORD_PROGRESS_SQL,
                      {"milestone": status.milestone.id, "day": status.today, "stage": stage,
                       "ho_so": measure.ho_so, "pages": measure.pages, "shelf_metres": measure.shelf_metres})


def agency_rejected_pages(conn, agency: str) -> int:
    """Pages of ``agency`` refused at intake, whichever phase (or none) their hồ sơ belongs to (read-only)."""
    (count,), = run_query(conn, f"'rejected_pages' for agency {agency}",
                          sql.SQL(q.REJECTED_PAGES_SQL).format(scope=sql.SQL("true")), {"agency": agency})
    conn.rollback()
    return int(count)
