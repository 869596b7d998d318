"""The model's parameters, read from ``config/capacity.toml`` (whose comments say where each figure comes from).

:func:`parse_parameters` validates every value up front and raises :class:`CapacityConfigError` naming the key;
nothing downstream re-checks them. Command-line overrides are applied to the document before validation, so
they pass the same checks.
"""
from __future__ import annotations

import copy
import datetime as dt
import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from ..config import REPO_ROOT
from .errors import CapacityConfigError

DEFAULT_PATH = REPO_ROOT / "config" / "capacity.toml"
MB_PER_GB = 1000  # storage is priced per decimal GB


@dataclass(frozen=True)
class Throughput:
    """OCR pages per second of one worker, and what the rest of the pipeline adds to each page."""

    cpu_pages_per_s: float  # OCR on one CPU core
    gpu_pages_per_s: float  # OCR on one GPU worker
    pipeline_overhead: float  # processing besides OCR (ALTO, PDF/A, uploads, catalogue), a fraction of OCR time
    intake_pages_per_s: float  # intake validation on one CPU core
    cpu_source: str
    gpu_source: str
    source: str

    def per_worker(self, ocr_pages_per_s: float) -> float:
        """End-to-end pages/s of one worker that validates, OCRs and processes each page in turn."""
        return 1 / ((1 + self.pipeline_overhead) / ocr_pages_per_s + 1 / self.intake_pages_per_s)

    @property
    def cpu(self) -> float:
        return self.per_worker(self.cpu_pages_per_s)

    @property
    def gpu(self) -> float:
        return self.per_worker(self.gpu_pages_per_s)


@dataclass(frozen=True)
class Schedule:
    """When workers run: working days are the first ``days_per_week`` weekdays from Monday."""

    hours_per_day: float
    days_per_week: int
    utilisation: float  # share of working hours spent processing pages
    catch_up_months: int  # an overdue phase is planned from its first day counted to this many months later
    source: str


@dataclass(frozen=True)
class Conversion:
    """Pages of a backlog line that gives no page count: from its shelf-metres, else from its hồ sơ."""

    pages_per_shelf_metre: float
    pages_per_ho_so: float
    source: str


@dataclass(frozen=True)
class Storage:
    """What one page occupies, how many copies are kept and until when storage is paid for."""

    master_mb_per_page: float
    derivative_mb_per_page: float
    backup_copies: int
    until: dt.date
    source: str

    @property
    def copies(self) -> int:
        return 1 + self.backup_copies

    def gb(self, pages: int) -> float:
        """Size of ``pages`` pages (masters and derivatives), one copy, in GB."""
        return pages * (self.master_mb_per_page + self.derivative_mb_per_page) / MB_PER_GB


@dataclass(frozen=True)
class Prices:
    """Unit prices in VND."""

    scan_per_page: float
    storage_per_gb_month: float
    cpu_worker_hour: float
    gpu_worker_hour: float
    source: str


@dataclass(frozen=True)
class Parameters:
    throughput: Throughput
    schedule: Schedule
    conversion: Conversion
    storage: Storage
    prices: Prices


def _number(where: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise CapacityConfigError(f"{where} must be a number, not {value!r}")
    return float(value)


def _positive(where: str, value: Any) -> float:
    number = _number(where, value)
    if number <= 0:
        raise CapacityConfigError(f"{where} must be greater than 0, not {value!r}")
    return number


def _non_negative(where: str, value: Any) -> float:
    number = _number(where, value)
    if number < 0:
        raise CapacityConfigError(f"{where} must not be negative, not {value!r}")
    return number


def _fraction(where: str, value: Any) -> float:
    number = _positive(where, value)
    if number > 1:
        raise CapacityConfigError(f"{where} must be at most 1 (a share of the working hours), not {value!r}")
    return number


def _hours(where: str, value: Any) -> float:
    number = _positive(where, value)
    if number > 24:
        raise CapacityConfigError(f"{where} must be at most 24, not {value!r}")
    return number


def _count(low: int, high: int | None) -> Callable[[str, Any], int]:
    def check(where: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < low or (high and value > high):
            bounds = f"from {low} to {high}" if high else f"at least {low}"
            raise CapacityConfigError(f"{where} must be a whole number {bounds}, not {value!r}")
        return value
    return check


def _date(where: str, value: Any) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    raise CapacityConfigError(f"{where} must be a date written as YYYY-MM-DD, not {value!r}")


def _text(where: str, value: Any) -> str:
    if not isinstance(value, str):
        raise CapacityConfigError(f"{where} must be text, not {value!r}")
    return value


SECTIONS: dict[str, tuple[type, dict[str, Callable[[str, Any], Any]]]] = {
    "throughput": (Throughput, {"cpu_pages_per_s": _positive, "gpu_pages_per_s": _positive,
                                "pipeline_overhead": _non_negative, "intake_pages_per_s": _positive,
                                "cpu_source": _text, "gpu_source": _text, "source": _text}),
    "schedule": (Schedule, {"hours_per_day": _hours, "days_per_week": _count(1, 7), "utilisation": _fraction,
                            "catch_up_months": _count(1, 120), "source": _text}),
    "conversion": (Conversion, {"pages_per_shelf_metre": _positive, "pages_per_ho_so": _positive,
                                "source": _text}),
    "storage": (Storage, {"master_mb_per_page": _non_negative, "derivative_mb_per_page": _non_negative,
                          "backup_copies": _count(0, None), "until": _date, "source": _text}),
    "prices": (Prices, {"scan_per_page": _non_negative, "storage_per_gb_month": _non_negative,
                        "cpu_worker_hour": _non_negative, "gpu_worker_hour": _non_negative, "source": _text}),
}


def parse_parameters(doc: Mapping[str, Any], overrides: Mapping[str, Any] | None = None) -> Parameters:
    """The parameter sections of a configuration document (as parsed TOML), after applying ``overrides``
    (``"section.key" -> value``); raise :class:`CapacityConfigError` naming the first bad key."""
    doc = copy.deepcopy(dict(doc))
    for dotted, value in (overrides or {}).items():
        section, key = dotted.split(".")
        doc.setdefault(section, {})[key] = value
    parsed = {}
    for section, (cls, checks) in SECTIONS.items():
        raw = doc.get(section)
        if not isinstance(raw, dict):
            raise CapacityConfigError(f"[{section}] is missing from the capacity configuration")
        unknown = set(raw) - set(checks)
        if unknown:
            raise CapacityConfigError(f"[{section}]: unknown keys {sorted(unknown)}; known: {sorted(checks)}")
        missing = set(checks) - set(raw)
        if missing:
            raise CapacityConfigError(f"[{section}]: missing keys {sorted(missing)}")
        parsed[section] = cls(**{key: check(f"[{section}] {key}", raw[key]) for key, check in checks.items()})
    return Parameters(**parsed)


def read_document(path: Path) -> dict[str, Any]:
    """The TOML document at ``path``; an unreadable or malformed file is a :class:`CapacityConfigError`."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CapacityConfigError(f"cannot read capacity configuration {path}: {exc}") from exc


def throughput_overrides(path: Path) -> dict[str, Any]:
    """Overrides from a JSON object of ``[throughput]`` keys (e.g. ``{"gpu_pages_per_s": 31.5}``); each
    throughput figure it gives is credited to the file unless it names its own ``*_source``."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CapacityConfigError(f"cannot read throughput file {path}: {exc}") from exc
    if not isinstance(raw, dict):
        raise CapacityConfigError(f"throughput file {path} must hold a JSON object of [throughput] keys")
    credited = {f"{kind}_source": f"tệp {path}" for kind in ("cpu", "gpu") if f"{kind}_pages_per_s" in raw}
    return {f"throughput.{key}": value for key, value in {**credited, **raw}.items()}
