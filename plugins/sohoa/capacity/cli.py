"""``sohoa plan`` (also ``scripts/capacity.py``): workers needed per phase and the cost estimate."""
from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from ..vntime import VN_TZ, today_arg
from .parameters import DEFAULT_PATH

# option dest -> the parameter it overrides ("section.key")
OVERRIDES = {
    "cpu_pages_per_s": "throughput.cpu_pages_per_s",
    "gpu_pages_per_s": "throughput.gpu_pages_per_s",
    "hours_per_day": "schedule.hours_per_day",
    "days_per_week": "schedule.days_per_week",
    "utilisation": "schedule.utilisation",
    "catch_up_months": "schedule.catch_up_months",
    "pages_per_shelf_metre": "conversion.pages_per_shelf_metre",
    "pages_per_ho_so": "conversion.pages_per_ho_so",
    "backup_copies": "storage.backup_copies",
}

DESCRIPTION = """\
Capacity and cost model of the digitisation plan (dự toán kinh phí). For each phase of config/milestones.toml
it takes the backlog still to do (per agency and retention class), counts the working hours from --today to the
phase's deadline, and prints the CPU workers (cores) or GPU workers needed to finish in time, when a given fleet
(--cpu-workers/--gpu-workers) would finish, and the cost of scanning, storage (with the backup copies) and
compute in VND. It writes a chart (PNG) and a workbook (.xlsx: "Tổng hợp", "Backlog", "Đơn giá") into --out.
A phase with pages left and no working day before its deadline is overdue ("QUÁ HẠN", with a warning): it is
planned over a catch-up window of --catch-up-months from --today (or the phase's start, if later).
Throughputs, conversions and unit prices come from config/capacity.toml, which says where each comes from;
the options below override them for one run. Formulas: docs/capacity.md. Exit status 2 on bad input (zero
throughput, a catch-up period below 1 month, a backlog with a missing column or a negative value)."""


def _whole(value: str) -> int:
    try:
        number = int(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from exc
    if number < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {value!r}")
    return number


def overrides(args: argparse.Namespace) -> dict[str, object]:
    """Parameter overrides from the options given: a throughput file first, then single options over it."""
    from .parameters import throughput_overrides

    found = throughput_overrides(args.throughput_from) if args.throughput_from else {}
    for dest, key in OVERRIDES.items():
        value = getattr(args, dest)
        if value is not None:
            found[key] = value
            if dest in ("cpu_pages_per_s", "gpu_pages_per_s"):
                found[key.replace("pages_per_s", "source")] = f"tham số dòng lệnh --{dest.replace('_', '-')}"
    return found


def _plan(args: argparse.Namespace) -> int:
    from ..config import settings
    from ..milestones.definitions import load_plan
    from .backlog import read_backlog
    from .model import Fleet, estimate, phase_windows
    from .outputs import overdue_notes, print_report, write_outputs
    from .parameters import parse_parameters, read_document

    params = parse_parameters(read_document(args.config), overrides(args))
    plan = load_plan()
    if args.from_catalogue:
        from ..catalogue.db import open_catalogue
        from .catalogue import backlog_from_catalogue

        conn = open_catalogue()
        try:
            backlog = backlog_from_catalogue(conn, plan)
        finally:
            conn.close()
    else:
        backlog = read_backlog(args.backlog or args.config)
    fleet = None
    if args.cpu_workers is not None or args.gpu_workers is not None:
        fleet = Fleet(args.cpu_workers or 0, args.gpu_workers or 0)
    est = estimate(backlog, phase_windows(plan), params, args.today, fleet)
    print_report(est)
    for warning in overdue_notes(est):
        print(f"sohoa: CẢNH BÁO: {warning}", file=sys.stderr)
    for path in write_outputs(est, args.out or settings().state_dir / "capacity"):
        print(f"written {path}")
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_argument_group("backlog (default: the [[backlog]] rows of --config)")
    only = source.add_mutually_exclusive_group()
    only.add_argument("--backlog", type=Path, metavar="FILE",
                      help="backlog file: CSV with columns agency, holding, phase, retention, ho_so, shelf_metres, "
                           "pages, scanned [, source], or TOML with [[backlog]] tables of the same keys")
    only.add_argument("--from-catalogue", action="store_true",
                      help="read the backlog from the catalogue (PostgreSQL of the settings): the plan's figures "
                           "minus what is registered, and registered hồ sơ not yet through OCR")
    parser.add_argument("--config", type=Path, default=DEFAULT_PATH, metavar="FILE",
                        help="parameters and default backlog (default: config/capacity.toml)")
    parser.add_argument("--today", type=today_arg, default=dt.datetime.now(VN_TZ).date(), metavar="YYYY-MM-DD",
                        help="first day of work counted (default: today in Việt Nam); e.g. 2025-07-15 for the "
                             "estimate the plan asked for by that day")
    parser.add_argument("--out", type=Path, metavar="DIR",
                        help="where to write the chart and the workbook (default: <state dir>/capacity, "
                             "i.e. .state/capacity)")
    fleet = parser.add_argument_group("fleet at hand (either one turns on the finish-date rows)")
    fleet.add_argument("--cpu-workers", type=_whole, metavar="N", help="CPU workers (cores) available")
    fleet.add_argument("--gpu-workers", type=_whole, metavar="M", help="GPU workers available")
    speed = parser.add_argument_group("throughput (overrides [throughput])")
    speed.add_argument("--cpu-pages-per-s", type=float, metavar="X",
                       help="OCR pages per second of one CPU core (default: [throughput] cpu_pages_per_s, "
                            "measured with Tesseract)")
    speed.add_argument("--gpu-pages-per-s", type=float, metavar="X",
                       help="OCR pages per second of one GPU worker (default: [throughput] gpu_pages_per_s, a "
                            "placeholder, NOT measured)")
    speed.add_argument("--throughput-from", type=Path, metavar="FILE",
                       help='JSON object of [throughput] keys, e.g. {"gpu_pages_per_s": 31.5}; the options above '
                            "win over it")
    hours = parser.add_argument_group("working time (overrides [schedule])")
    hours.add_argument("--hours-per-day", type=float, metavar="H", help="working hours a day, above 0, at most 24")
    hours.add_argument("--days-per-week", type=int, metavar="D",
                      help="working days a week, 1 to 7, counted from Monday")
    hours.add_argument("--utilisation", type=float, metavar="U",
                      help="share of working hours really spent processing, above 0, at most 1")
    hours.add_argument("--catch-up-months", type=int, metavar="N",
                       help="an overdue phase (pages left, no working day before its deadline) is planned over "
                            "this many calendar months from its first day counted, 1 to 120 (default: "
                            "[schedule] catch_up_months)")
    sizes = parser.add_argument_group("pages of rows without a page count (overrides [conversion])")
    sizes.add_argument("--pages-per-shelf-metre", type=float, metavar="P", help="pages per shelf-metre")
    sizes.add_argument("--pages-per-ho-so", type=float, metavar="P",
                       help="pages per hồ sơ, for rows with no shelf-metres")
    parser.add_argument("--backup-copies", type=int, metavar="K",
                        help="backup copies besides the primary (overrides [storage]; TT 05/2025 asks for at "
                             "least 2)")


def add_parser(sub) -> None:
    parser = sub.add_parser("plan", help="capacity and cost model: workers needed per phase, dự toán kinh phí",
                            description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser)
    parser.set_defaults(func=_plan)
