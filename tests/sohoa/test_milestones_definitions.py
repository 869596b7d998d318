"""Milestone configuration, scope compilation and forecast: pure logic, no stack needed."""
from __future__ import annotations

import datetime as dt

import pytest
from psycopg2 import sql

from sohoa.milestones import forecast as fc
from sohoa.milestones.definitions import load_plan, parse_plan
from sohoa.milestones.errors import MilestoneConfigError
from sohoa.milestones.scope import compile_scope, parse_scope

TODAY = dt.date(2026, 11, 24)


def _doc(**milestone):
    base = {"id": "m1", "agency": "SNV", "phase": 1, "title": "Giai đoạn 1", "deadline": dt.date(2026, 11, 30),
            "scope": [{"retention": ["vĩnh viễn"]}]}
    base.update(milestone)
    return {"milestone": [{k: v for k, v in base.items() if v is not None}]}


def test_project_configuration_has_both_phases_of_the_plan_with_their_deadlines():
    plan = load_plan()
    by_phase = {m.phase: m for m in plan.for_agency("SNGV-HP")}
    assert by_phase[1].deadline == dt.date(2026, 11, 30)
    assert by_phase[2].deadline == dt.date(2030, 11, 30)
    assert plan.alerts.warn_days_before == 30
    assert plan.report.due_month_day == (12, 5)


@pytest.mark.parametrize("scope", [None, [], [{}]])
def test_milestone_with_no_scope_is_refused_with_a_message_naming_it(scope):
    with pytest.raises(MilestoneConfigError, match="milestone 'm1': scope"):
        parse_plan(_doc(scope=scope))


def test_scope_with_unknown_field_is_refused_and_lists_the_known_fields():
    with pytest.raises(MilestoneConfigError, match="unknown field 'title'.*known fields: access_level"):
        parse_scope("m1", [{"title": ["x'; DROP TABLE ho_so; --"]}])


def test_scope_value_outside_the_archive_vocabulary_is_refused():
    with pytest.raises(MilestoneConfigError, match="retention value '99 năm' is not one of"):
        parse_scope("m1", [{"retention": ["99 năm"]}])


def test_scope_compiles_to_parameterised_sql_with_values_never_in_the_text():
    clauses = parse_scope("m1", [{"arranged": [True], "retention": ["vĩnh viễn", "70 năm"]},
                                 {"high_value": [True]}])
    expr, params = compile_scope(clauses, "hs")
    assert _render(expr) == ('(("hs"."arranged" = ANY(%(scope_0)s) AND "hs"."thoi_han_bao_quan" = ANY(%(scope_1)s)) '
                             'OR ("hs"."high_value" = ANY(%(scope_2)s)))')
    assert params == {"scope_0": [True], "scope_1": ["vinh_vien", "70"], "scope_2": [True]}


def _render(composable: sql.Composable) -> str:
    """Render without a connection: identifiers are quoted the PostgreSQL way."""
    if isinstance(composable, sql.Composed):
        return "".join(_render(part) for part in composable.seq)
    if isinstance(composable, sql.Placeholder):
        return f"%({composable.name})s"
    if isinstance(composable, sql.Identifier):
        return ".".join('"' + s.replace('"', '""') + '"' for s in composable.strings)
    return composable.string


def test_deadline_already_past_at_creation_is_refused():
    plan = parse_plan(_doc(deadline=dt.date(2026, 1, 31)))
    with pytest.raises(MilestoneConfigError, match="deadline 2026-01-31 is already past at creation"):
        plan.milestones[0].check_new(TODAY)


def test_deadline_passed_after_adoption_is_a_valid_overdue_milestone():
    plan = parse_plan(_doc(deadline=dt.date(2026, 1, 31), adopted=dt.date(2025, 6, 18)))
    plan.milestones[0].check_new(TODAY)


def test_deadline_that_is_not_a_date_is_refused():
    with pytest.raises(MilestoneConfigError, match="deadline must be a date"):
        parse_plan(_doc(deadline="11/2026"))


def test_forecast_at_a_steady_rate_finishes_on_the_expected_day_with_a_narrow_band():
    outlook = fc.forecast([2, 2, 2, 2], remaining=10, today=TODAY)
    assert outlook.expected == outlook.earliest == outlook.latest == TODAY + dt.timedelta(days=5)


def test_forecast_with_no_throughput_says_no_date_rather_than_inventing_one():
    outlook = fc.forecast([0, 0, 0], remaining=158, today=TODAY)
    assert (outlook.expected, outlook.latest) == (None, None)
    assert fc.forecast([], remaining=158, today=TODAY).expected is None


def test_forecast_band_widens_with_uneven_throughput():
    outlook = fc.forecast([0, 10, 0, 10, 0, 10], remaining=50, today=TODAY)
    assert outlook.earliest < outlook.expected < outlook.latest


def test_conditions_thirty_days_before_the_deadline_and_forecast_late():
    late = fc.forecast([1], remaining=100, today=TODAY)
    assert fc.conditions(dt.date(2026, 11, 30), late, TODAY, 30) == {fc.APPROACHING, fc.FORECAST_LATE}
    on_time = fc.forecast([10, 10], remaining=10, today=TODAY)
    assert fc.conditions(dt.date(2027, 6, 30), on_time, TODAY, 30) == set()


def test_conditions_after_the_deadline_unmet_is_overdue_only_and_done_is_nothing():
    late = fc.forecast([1], remaining=3, today=TODAY)
    assert fc.conditions(dt.date(2026, 11, 1), late, TODAY, 30) == {fc.OVERDUE}
    done = fc.forecast([1], remaining=0, today=TODAY)
    assert fc.conditions(dt.date(2026, 11, 1), done, TODAY, 30) == set()


def test_forecast_raises_nothing_before_the_phase_starts():
    idle = fc.forecast([0, 0], remaining=500, today=TODAY)
    assert fc.conditions(dt.date(2030, 11, 30), idle, TODAY, 30, start=dt.date(2027, 1, 1)) == set()
    assert fc.conditions(dt.date(2030, 11, 30), idle, TODAY, 30, start=dt.date(2025, 7, 1)) == {fc.FORECAST_LATE}
