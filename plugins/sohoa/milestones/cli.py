"""``sohoa milestones status``: where each milestone stands."""
from __future__ import annotations

import argparse

from ..vntime import add_today


def _status(args: argparse.Namespace) -> int:
    from ..catalogue.db import open_catalogue
    from .daily import evaluate_plan, summary
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


def add_parser(sub) -> None:
    parser = sub.add_parser("milestones", help="milestones of the plan: progress, forecast",
                            description="Milestones of the digitisation plan (config/milestones.toml).")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    p_status = verbs.add_parser("status", help="print where each milestone stands (read-only)")
    add_today(p_status)
    p_status.set_defaults(func=_status)
