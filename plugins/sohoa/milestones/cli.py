"""``sohoa milestones status|seed-demo``: where each milestone stands; seed the agency's plan figures."""
from __future__ import annotations

import argparse
import datetime as dt

from ..vntime import VN_TZ


def today_arg(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from exc


def add_today(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--today", type=today_arg, default=dt.datetime.now(VN_TZ).date(),
                        help="the day to judge from, YYYY-MM-DD (default: today in Việt Nam)")


def _status(args: argparse.Namespace) -> int:
    from .daily import evaluate_plan, summary
    from .query import open_catalogue
    from .definitions import load_plan

    conn = open_catalogue()
    try:
        for status in evaluate_plan(conn, load_plan(), args.today):
            s = summary(status)
            print(f"{s['milestone']:<14} {s['agency']:<10} phase {s['phase']}  due {s['deadline']}  "
                  f"done {s['done_ho_so']}/{s['planned_ho_so']} hồ sơ  rate {s['rate_per_day']}/day  "
                  f"forecast {s['forecast']}  alerts: {', '.join(s['conditions']) or 'none'}")
    finally:
        conn.close()
    return 0


def _seed_demo(args: argparse.Namespace) -> int:
    from .. import demo_seed
    from ..catalogue.migrate import upgrade
    from .definitions import load_plan
    from .query import open_catalogue

    upgrade()
    conn = open_catalogue()
    try:
        changed = demo_seed.seed(conn, load_plan(), args.today)
    finally:
        conn.close()
    print(f"plan figures of {demo_seed.AGENCY}: {changed} row(s) written ({len(demo_seed.FIGURES)} in the plan; "
          f"0 means already seeded)")
    return 0


def add_parser(sub) -> None:
    parser = sub.add_parser("milestones", help="milestones of the plan: progress, forecast; seed plan figures",
                            description="Milestones of the digitisation plan (config/milestones.toml).")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    p_status = verbs.add_parser("status", help="print where each milestone stands (read-only)")
    add_today(p_status)
    p_status.set_defaults(func=_status)
    p_seed = verbs.add_parser("seed-demo", help="seed the agency's own plan figures (idempotent)",
                              description="Write Sở Ngoại vụ's inventory figures from its plan as plan figures "
                                          "(not processed records) and register the configured milestones.")
    add_today(p_seed)
    p_seed.set_defaults(func=_seed_demo)
