"""The daily milestone job, as the DAG ``sohoa_milestones`` runs it: record progress, then alert.

Both steps take ``today`` (the run's day in Việt Nam time, given by the DAG) and an open catalogue connection.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Sequence

from .alerts import dispatch
from .definitions import Plan
from .progress import MilestoneStatus, evaluate, record_progress, sync_milestones
from ..vnformat import vn_date

log = logging.getLogger(__name__)


def evaluate_plan(conn, plan: Plan, today: dt.date, agency: str | None = None) -> list[MilestoneStatus]:
    """Evaluate every milestone (of ``agency``, if given) as of ``today``; read-only."""
    milestones = plan.for_agency(agency) if agency else plan.milestones
    return [evaluate(conn, m, today, window_days=plan.alerts.throughput_window_days,
                     warn_days_before=plan.alerts.warn_days_before) for m in milestones]


def evaluate_all(conn, plan: Plan, today: dt.date) -> list[MilestoneStatus]:
    """Register the configured milestones (refusing a new one already past its deadline), then evaluate each."""
    sync_milestones(conn, plan.milestones, today)
    return evaluate_plan(conn, plan, today)


def summary(status: MilestoneStatus) -> dict:
    """What one milestone's status says, for logs and XCom (JSON-safe)."""
    outlook = status.outlook
    return {
        "milestone": status.milestone.id, "agency": status.milestone.agency, "phase": status.milestone.phase,
        "deadline": status.milestone.deadline.isoformat(), "planned_ho_so": status.planned_ho_so,
        "registered_ho_so": status.registered.ho_so, "done_ho_so": status.done.ho_so,
        "rate_per_day": round(outlook.rate_per_day, 3),
        "forecast": vn_date(outlook.expected), "conditions": sorted(status.conditions),
    }


def record(conn, plan: Plan, today: dt.date) -> list[dict]:
    """Evaluate every milestone and store the day's snapshot; return one summary per milestone."""
    statuses = evaluate_all(conn, plan, today)
    for status in statuses:
        record_progress(conn, status)
        log.info("milestone %s: %s", status.milestone.id, summary(status))
    return [summary(s) for s in statuses]


def alert(conn, plan: Plan, today: dt.date, channels: Sequence) -> list[str]:
    """Send the alerts that are new today through ``channels``; see :func:`sohoa.milestones.alerts.dispatch`."""
    statuses = evaluate_all(conn, plan, today)
    return dispatch(conn, {s.milestone.id: s.alerts() for s in statuses}, channels, today)
