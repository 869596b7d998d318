"""Milestone definitions, read once from ``config/milestones.toml`` (see the comments in that file).

:func:`load_plan` validates everything up front and raises :class:`MilestoneConfigError` naming the milestone
and the field; nothing downstream re-checks the configuration. Phase membership is defined here, once: a hồ sơ
belongs to the earliest phase of its agency whose scope holds it (:meth:`Milestone.membership` in SQL,
:meth:`Milestone.holds` in Python), so no hồ sơ is counted in two phases.
"""
from __future__ import annotations

import datetime as dt
import functools
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping

from psycopg2 import sql

from ..config import REPO_ROOT
from .errors import MilestoneConfigError
from .scope import Clause, compile_membership, matches, parse_scope

DEFAULT_PATH = REPO_ROOT / "config" / "milestones.toml"

# The stages a hồ sơ passes through, in order; progress is counted at each.
STAGES = ("received", "accepted", "ocr", "reviewed", "handed_over")
STAGE_LABELS = {"received": "Đã tiếp nhận", "accepted": "Đạt kiểm tra",
                "ocr": "Đã số hóa (OCR)", "reviewed": "Đã rà soát", "handed_over": "Đã bàn giao"}


@dataclass(frozen=True)
class Milestone:
    """One phase of one agency's plan: what is in scope and by when it must be done."""

    id: str
    agency: str
    phase: int
    title: str
    deadline: dt.date
    scope: tuple[Clause, ...]
    start: dt.date | None = None
    adopted: dt.date | None = None
    plan_holding: str | None = None
    done_stage: str = "ocr"
    earlier_scopes: tuple[tuple[Clause, ...], ...] = ()  # the agency's earlier phases: their hồ sơ are theirs

    def membership(self, alias: str) -> tuple[sql.Composable, dict[str, list[Any]]]:
        """SQL saying whether a hồ sơ (table aliased ``alias``) belongs to this phase, and its parameters: see
        :func:`sohoa.milestones.scope.compile_membership`."""
        return compile_membership(self.scope, self.earlier_scopes, alias)

    def holds(self, record: Mapping[str, Any]) -> bool:
        """Whether a hồ sơ (scope field name -> stored value) belongs to this phase: the same rule in Python."""
        return matches(self.scope, record) and not any(matches(other, record) for other in self.earlier_scopes)

    def check_new(self, today: dt.date) -> None:
        """Refuse a milestone whose deadline is already past when it is created (adopted, or first seen today)."""
        created = self.adopted or today
        if self.deadline < created:
            raise MilestoneConfigError(
                f"milestone {self.id!r}: deadline {self.deadline.isoformat()} is already past at creation "
                f"({created.isoformat()}); a new milestone needs a deadline on or after the day it is created")


@dataclass(frozen=True)
class AlertSettings:
    """When a milestone alerts; the channels are :mod:`sohoa.alerts.channels`'."""

    warn_days_before: int = 30
    throughput_window_days: int = 28


@dataclass(frozen=True)
class ReportSettings:
    due_month_day: tuple[int, int] = (12, 5)  # the yearly report must reach Sở Nội vụ before this day
    issuers: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # agency -> [report.issuer.<agency>]


@dataclass(frozen=True)
class Plan:
    milestones: tuple[Milestone, ...]
    alerts: AlertSettings
    report: ReportSettings

    def for_agency(self, agency: str) -> tuple[Milestone, ...]:
        return tuple(m for m in self.milestones if m.agency == agency)


def _date(where: str, value: Any, required: bool = True) -> dt.date | None:
    if value is None and not required:
        return None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    raise MilestoneConfigError(f"{where} must be a date written as YYYY-MM-DD, not {value!r}")


def _month_day(where: str, value: str) -> tuple[int, int]:
    try:
        month, day = (int(part) for part in value.split("-"))
        dt.date(2000, month, day)
    except (ValueError, AttributeError) as exc:
        raise MilestoneConfigError(f"{where} must be MM-DD, not {value!r}") from exc
    return month, day


def parse_milestone(raw: dict[str, Any]) -> Milestone:
    """One ``[[milestone]]`` table as a :class:`Milestone`; raise :class:`MilestoneConfigError` if invalid."""
    milestone_id = raw.get("id")
    if not isinstance(milestone_id, str) or not milestone_id:
        raise MilestoneConfigError(f"a milestone has no id: {raw!r}")
    where = f"milestone {milestone_id!r}"
    for key in ("agency", "title"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise MilestoneConfigError(f"{where}: {key} is missing")
    if raw.get("phase") not in (1, 2):
        raise MilestoneConfigError(f"{where}: phase must be 1 or 2, not {raw.get('phase')!r}")
    done_stage = raw.get("done_stage", "ocr")
    if done_stage not in STAGES:
        raise MilestoneConfigError(f"{where}: done_stage {done_stage!r} is not one of {', '.join(STAGES)}")
    unknown = set(raw) - {"id", "agency", "phase", "title", "deadline", "scope", "start", "adopted",
                          "plan_holding", "done_stage"}
    if unknown:
        raise MilestoneConfigError(f"{where}: unknown keys {sorted(unknown)}")
    return Milestone(
        id=milestone_id, agency=raw["agency"], phase=raw["phase"], title=raw["title"],
        deadline=_date(f"{where}: deadline", raw.get("deadline")),
        scope=parse_scope(milestone_id, raw.get("scope")),
        start=_date(f"{where}: start", raw.get("start"), required=False),
        adopted=_date(f"{where}: adopted", raw.get("adopted"), required=False),
        plan_holding=raw.get("plan_holding"), done_stage=done_stage,
    )


def parse_plan(doc: dict[str, Any]) -> Plan:
    """A whole configuration document (as parsed TOML) as a :class:`Plan`."""
    milestones = tuple(parse_milestone(raw) for raw in doc.get("milestone", []))
    if not milestones:
        raise MilestoneConfigError("the configuration defines no [[milestone]]")
    ids = [m.id for m in milestones]
    if len(set(ids)) != len(ids):
        raise MilestoneConfigError(f"milestone ids must be unique: {ids}")
    phases = [(m.agency, m.phase) for m in milestones]
    if len(set(phases)) != len(phases):
        raise MilestoneConfigError(f"an agency has two milestones for the same phase: {sorted(phases)}")
    milestones = tuple(replace(m, earlier_scopes=tuple(o.scope for o in sorted(milestones, key=lambda o: o.phase)
                                                       if o.agency == m.agency and o.phase < m.phase))
                       for m in milestones)
    alerts = doc.get("alerts", {})
    report = doc.get("report", {})
    try:
        alert_settings = AlertSettings(**alerts)
    except TypeError as exc:
        raise MilestoneConfigError(f"[alerts]: {exc}") from exc
    issuers = report.get("issuer", {})
    if not isinstance(issuers, dict) or not all(isinstance(v, dict) for v in issuers.values()):
        raise MilestoneConfigError("[report.issuer.<agency>] must be one table per agency code")
    unknown = set(report) - {"due_month_day", "issuer"}
    if unknown:
        raise MilestoneConfigError(f"[report]: unknown keys {sorted(unknown)}")
    return Plan(milestones, alert_settings, ReportSettings(
        due_month_day=_month_day("[report] due_month_day", report.get("due_month_day", "12-05")), issuers=issuers))


def read_plan(path: Path) -> Plan:
    """Parse and validate the milestone configuration at ``path``."""
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise MilestoneConfigError(f"cannot read milestone configuration {path}: {exc}") from exc
    return parse_plan(doc)


@functools.cache
def load_plan() -> Plan:
    """The project's milestone configuration (``config/milestones.toml``), read once."""
    return read_plan(DEFAULT_PATH)
