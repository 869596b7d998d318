"""A milestone's scope: a small declarative filter over hồ sơ, compiled to parameterised SQL.

A scope is a list of clauses; a hồ sơ is in scope when it matches ANY clause, and it matches a clause when EVERY
field of the clause has one of the clause's allowed values. Field names and their columns come from
:data:`FIELDS` (code, never configuration); values are always bound as query parameters. Nothing from the
configuration is ever formatted into SQL text.

A phase's membership (:func:`compile_membership`) is its scope less the scopes of its agency's earlier phases
and less born-digital hồ sơ: every hồ sơ belongs to one phase at most, the earliest whose scope holds it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from psycopg2 import sql

from ..glossary import MUC_DO_TIEP_CAN, THOI_HAN_BAO_QUAN
from .errors import MilestoneConfigError


@dataclass(frozen=True)
class Field:
    """A filterable attribute of a hồ sơ: its column and the values the archive uses for it."""

    column: str
    kind: type
    values: Mapping[Any, Any] | None = None  # archive word -> stored value; None: any value of ``kind``


def _by_label(codes: Mapping[str, str]) -> dict[str, str]:
    """The glossary's labels, lower-cased as the plan writes them ("vĩnh viễn", "70 năm") -> stored code."""
    return {label.lower(): code for code, label in codes.items()}


BORN_DIGITAL = "goc_dien_tu"  # mức độ tin cậy of a born-digital hồ sơ: nothing to scan, in no digitisation phase

FIELDS: dict[str, Field] = {
    "arranged": Field("arranged", bool),
    "high_value": Field("high_value", bool),
    "retention": Field("thoi_han_bao_quan", str, _by_label(THOI_HAN_BAO_QUAN)),
    "access_level": Field("muc_do_tiep_can", str, _by_label(MUC_DO_TIEP_CAN)),
}


@dataclass(frozen=True)
class Clause:
    """One AND-clause: field name -> stored values (already translated from the archive's words)."""

    conditions: tuple[tuple[str, tuple[Any, ...]], ...]


def parse_scope(milestone_id: str, raw: Any) -> tuple[Clause, ...]:
    """Validate a scope from the configuration; raise :class:`MilestoneConfigError` naming what is wrong."""
    where = f"milestone {milestone_id!r}: scope"
    if not raw:
        raise MilestoneConfigError(f"{where} is missing or empty; a milestone must say which hồ sơ it covers "
                                   f"(e.g. [[milestone.scope]] retention = [\"vĩnh viễn\"])")
    if not isinstance(raw, list) or not all(isinstance(c, dict) for c in raw):
        raise MilestoneConfigError(f"{where} must be a list of tables ([[milestone.scope]])")
    clauses = []
    for number, clause in enumerate(raw, 1):
        if not clause:
            raise MilestoneConfigError(f"{where} clause {number} is empty; it would match every hồ sơ")
        conditions = []
        for name, allowed in sorted(clause.items()):
            field = FIELDS.get(name)
            if field is None:
                raise MilestoneConfigError(f"{where} clause {number}: unknown field {name!r}; "
                                           f"known fields: {', '.join(sorted(FIELDS))}")
            if not isinstance(allowed, list) or not allowed:
                raise MilestoneConfigError(f"{where} clause {number}: {name} must be a non-empty list of values")
            conditions.append((name, tuple(_stored_value(where, number, name, field, v) for v in allowed)))
        clauses.append(Clause(tuple(conditions)))
    return tuple(clauses)


def _stored_value(where: str, number: int, name: str, field: Field, value: Any) -> Any:
    if type(value) is not field.kind:
        raise MilestoneConfigError(f"{where} clause {number}: {name} value {value!r} is not a {field.kind.__name__}")
    if field.values is None:
        return value
    if value not in field.values:
        raise MilestoneConfigError(f"{where} clause {number}: {name} value {value!r} is not one of "
                                   f"{', '.join(map(repr, field.values))}")
    return field.values[value]


def _compile(clauses: Sequence[Clause], alias: str, params: dict[str, list[Any]]) -> sql.Composable:
    """The clauses as one OR of ANDs; each condition's values become a new array parameter in ``params``."""
    ors = []
    for clause in clauses:
        ands = []
        for name, values in clause.conditions:
            placeholder = f"scope_{len(params)}"
            ands.append(sql.SQL("{} = ANY({})").format(sql.Identifier(alias, FIELDS[name].column),
                                                      sql.Placeholder(placeholder)))
            params[placeholder] = list(values)
        ors.append(sql.SQL("(") + sql.SQL(" AND ").join(ands) + sql.SQL(")"))
    return sql.SQL("(") + sql.SQL(" OR ").join(ors) + sql.SQL(")")


def compile_scope(clauses: Sequence[Clause], alias: str) -> tuple[sql.Composable, dict[str, list[Any]]]:
    """The scope as a SQL boolean expression over the hồ sơ table aliased ``alias``, and its parameters.

    Each condition becomes ``alias.column = ANY(%(scope_N)s)`` with the allowed values as one array parameter.
    """
    if not clauses:
        raise MilestoneConfigError("a scope needs at least one clause")
    params: dict[str, list[Any]] = {}
    return _compile(clauses, alias, params), params


def compile_membership(clauses: Sequence[Clause], earlier: Sequence[Sequence[Clause]], alias: str
                       ) -> tuple[sql.Composable, dict[str, list[Any]]]:
    """Which hồ sơ (table aliased ``alias``) belong to a phase: digitised or to digitise (not born digital, whose
    mức độ tin cậy is ``goc_dien_tu``), in the phase's scope ``clauses``, and in none of the ``earlier`` phases'
    scopes — so a hồ sơ belongs to one phase only. Returns the SQL expression and its parameters."""
    if not clauses:
        raise MilestoneConfigError("a scope needs at least one clause")
    params: dict[str, list[Any]] = {}
    parts = [sql.SQL("{} <> {}").format(sql.Identifier(alias, "muc_do_tin_cay"), sql.Literal(BORN_DIGITAL)),
             _compile(clauses, alias, params)]
    parts += [sql.SQL("NOT ") + _compile(other, alias, params) for other in earlier]
    return sql.SQL("(") + sql.SQL(" AND ").join(parts) + sql.SQL(")"), params


def matches(clauses: Sequence[Clause], record: Mapping[str, Any]) -> bool:
    """Whether ``record`` (scope field name -> stored value) is in the scope: some clause has all its conditions
    met. The same rule as :func:`compile_scope`, in Python."""
    return any(all(record[name] in allowed for name, allowed in clause.conditions) for clause in clauses)
