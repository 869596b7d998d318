"""The agency's own inventory as its plan states it (seeded plan figures), and how far its counts agree.

These are figures to plan against, not records processed here: they come from table ``plan_figure``, which
only :mod:`sohoa.demo_seed` (or an operator) fills, and every screen and report labels them as such.
"""
from __future__ import annotations

from dataclasses import dataclass

from . import catalogue_sql as q
from ..catalogue.db import run_query

# Plan lines with a meaning of their own: the HP-Net total and its per-year breakdown (see sohoa.demo_seed).
HP_NET_TOTAL, HP_NET_BY_YEAR = "hp-net", "hp-net-theo-nam"


@dataclass(frozen=True)
class PlanFigure:
    """One line of an agency's inventory from its plan."""

    agency: str
    line: str
    holding: str
    label: str
    year: int | None
    ho_so: int | None
    shelf_metres: float | None
    period: str
    note: str
    source: str


@dataclass(frozen=True)
class YearlyReconciliation:
    """A reported total against its per-year breakdown: the difference and the years the breakdown skips."""

    reported_total: int
    sum_of_years: int
    missing_years: tuple[int, ...]

    @property
    def unexplained(self) -> int:
        return self.reported_total - self.sum_of_years


def plan_figures(conn, agency: str) -> list[PlanFigure]:
    """The agency's seeded plan lines, in inventory order."""
    rows = run_query(conn, f"'plan_figures' for agency {agency}", q.PLAN_FIGURES_SQL, {"agency": agency})
    return [PlanFigure(*row[:6], None if row[6] is None else float(row[6]), *row[7:]) for row in rows]


def reconcile(total: PlanFigure, by_year: list[PlanFigure], first: int, last: int) -> YearlyReconciliation:
    """Compare ``total`` with the per-year lines over ``first``..``last`` (inclusive)."""
    years = {f.year for f in by_year}
    return YearlyReconciliation(total.ho_so or 0, sum(f.ho_so or 0 for f in by_year),
                                tuple(y for y in range(first, last + 1) if y not in years))
