"""The backlog: blocks of records still to digitise, per agency, phase and retention class.

A backlog comes from a file — CSV with the columns of :data:`COLUMNS` (plus an optional ``source``), or TOML
with the same keys in ``[[backlog]]`` tables (the counts may be left out), as ``config/capacity.toml`` ships —
or from the catalogue (:mod:`.catalogue`). A line without a page count is sized by :func:`size` with the
configured conversion.
"""
from __future__ import annotations

import csv
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from ..glossary import THOI_HAN_BAO_QUAN
from .errors import BacklogError
from .parameters import Conversion

COLUMNS = ("agency", "holding", "phase", "retention", "ho_so", "shelf_metres", "pages", "scanned")
NULLABLE_COLUMNS = ("ho_so", "shelf_metres", "pages")  # may be empty (CSV) or left out (TOML has no null)
OPTIONAL_COLUMNS = ("source",)
RETENTION_UNKNOWN = "Không xác định"  # the plan's figures are not split by thời hạn bảo quản
RETENTIONS = {label.lower(): label for label in (*THOI_HAN_BAO_QUAN.values(), RETENTION_UNKNOWN)}
TRUE_WORDS, FALSE_WORDS = {"true", "1", "có", "yes"}, {"false", "0", "không", "no"}

BASIS_COUNTED = "số trang đã biết"
BASIS_METRES = "ước tính từ mét giá"
BASIS_HO_SO = "ước tính từ số hồ sơ"


@dataclass(frozen=True)
class BacklogRow:
    """One block of records still to process. ``scanned``: its page images exist already (no scanning to pay)."""

    agency: str
    holding: str
    phase: int
    retention: str
    ho_so: int | None
    shelf_metres: float | None
    pages: int | None
    scanned: bool
    source: str = ""


@dataclass(frozen=True)
class Backlog:
    """The rows of one source, what the source is, and what the source itself wants said in the output."""

    rows: tuple[BacklogRow, ...]
    origin: str
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class SizedRow:
    """A row with its page count, counted or estimated (``basis`` says which)."""

    row: BacklogRow
    pages: int
    basis: str

    @property
    def scan_pages(self) -> int:
        return 0 if self.row.scanned else self.pages


def size(row: BacklogRow, conversion: Conversion) -> SizedRow:
    """Pages of ``row``: its own count, else shelf-metres × pages per metre, else hồ sơ × pages per hồ sơ
    (rounded up)."""
    if row.pages is not None:
        return SizedRow(row, row.pages, BASIS_COUNTED)
    if row.shelf_metres is not None:
        return SizedRow(row, math.ceil(row.shelf_metres * conversion.pages_per_shelf_metre), BASIS_METRES)
    return SizedRow(row, math.ceil((row.ho_so or 0) * conversion.pages_per_ho_so), BASIS_HO_SO)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _amount(where: str, column: str, value: Any, kind: type) -> int | float | None:
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise BacklogError(f"{where}: {column} must be a number, not {value!r}")
    try:
        number = kind(value.strip()) if isinstance(value, str) else value
    except ValueError as exc:
        raise BacklogError(f"{where}: {column} must be a {'whole ' if kind is int else ''}number written with "
                           f"a dot for decimals, not {value!r}") from exc
    if not isinstance(number, (int, float)) or not math.isfinite(number) or (kind is int and number != int(number)):
        raise BacklogError(f"{where}: {column} must be a whole number, not {value!r}")
    if number < 0:
        raise BacklogError(f"{where}: {column} must not be negative, not {value!r}")
    return kind(number)


def _flag(where: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in TRUE_WORDS | FALSE_WORDS:
        return word in TRUE_WORDS
    raise BacklogError(f"{where}: scanned must be true or false, not {value!r}")


def _text(where: str, column: str, value: Any) -> str:
    if _blank(value):
        raise BacklogError(f"{where}: {column} is empty")
    return str(value).strip()


def parse_row(where: str, raw: Mapping[str, Any]) -> BacklogRow:
    """One backlog line (CSV strings or TOML values) as a :class:`BacklogRow`; raise :class:`BacklogError`."""
    missing = [column for column in COLUMNS if column not in raw]
    if missing:
        raise BacklogError(f"{where}: missing column(s) {', '.join(missing)}; a backlog needs "
                           f"{', '.join(COLUMNS)} (and may have {', '.join(OPTIONAL_COLUMNS)})")
    unknown = set(raw) - set(COLUMNS) - set(OPTIONAL_COLUMNS)
    if unknown:
        raise BacklogError(f"{where}: unknown column(s) {', '.join(sorted(map(str, unknown)))}")
    phase = _amount(where, "phase", raw["phase"], int)
    if not phase:
        raise BacklogError(f"{where}: phase must be 1 or more, not {raw['phase']!r}")
    retention = RETENTIONS.get(_text(where, "retention", raw["retention"]).lower())
    if retention is None:
        raise BacklogError(f"{where}: retention {raw['retention']!r} is not one of "
                           f"{', '.join(map(repr, RETENTIONS.values()))}")
    row = BacklogRow(
        agency=_text(where, "agency", raw["agency"]), holding=_text(where, "holding", raw["holding"]),
        phase=phase, retention=retention,
        ho_so=_amount(where, "ho_so", raw["ho_so"], int),
        shelf_metres=_amount(where, "shelf_metres", raw["shelf_metres"], float),
        pages=_amount(where, "pages", raw["pages"], int),
        scanned=_flag(where, raw["scanned"]), source=str(raw.get("source") or "").strip())
    if row.pages is None and row.shelf_metres is None and row.ho_so is None:
        raise BacklogError(f"{where}: give at least one of pages, shelf_metres or ho_so")
    return row


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [column for column in COLUMNS if column not in (reader.fieldnames or ())]
        if missing:
            raise BacklogError(f"{path}: missing column(s) {', '.join(missing)} in the header line; a backlog "
                               f"needs {', '.join(COLUMNS)}")
        return list(reader)


def read_backlog(path: Path) -> Backlog:
    """The backlog in ``path``: ``.csv``, or ``.toml`` with ``[[backlog]]`` tables."""
    try:
        if path.suffix.lower() == ".csv":
            raws = _csv_rows(path)
        else:
            tables = tomllib.loads(path.read_text(encoding="utf-8")).get("backlog", [])
            raws = [{**dict.fromkeys(NULLABLE_COLUMNS), **table} for table in tables]
    except (OSError, UnicodeDecodeError, csv.Error, tomllib.TOMLDecodeError) as exc:
        raise BacklogError(f"cannot read backlog {path}: {exc}") from exc
    if not raws:
        raise BacklogError(f"{path} holds no backlog rows (CSV lines or [[backlog]] tables)")
    rows = tuple(parse_row(f"{path} row {number}", raw) for number, raw in enumerate(raws, 1))
    return Backlog(rows, f"tệp {path}")
