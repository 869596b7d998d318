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
                  f"done {s['done_ho_so']}/{s['planned_ho_so'] if s['planned_ho_so'] is not None else '(no target)'}"
                  f" hồ sơ  rate {s['rate_per_day']}/day  "
                  f"forecast {s['forecast']}  alerts: {', '.join(s['conditions']) or 'none'}")
    finally:
        conn.close()
    return 0


def add_parser(sub) -> None:
    parser = sub.add_parser("milestones", help="các mốc (giai đoạn) của kế hoạch: tiến độ, dự báo",
                            description="Các mốc (giai đoạn) của kế hoạch số hóa, khai báo trong "
                                        "config/milestones.toml.",
                            epilog="Ví dụ:\n  sohoa milestones status\n  sohoa milestones status --today 2026-11-20")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VIỆC", title="các việc")
    p_status = verbs.add_parser("status", help="in tình hình từng mốc (chỉ đọc)",
                                description="In tình hình từng mốc: số hồ sơ đã xong trên kế hoạch, tốc độ, dự "
                                            "báo ngày hoàn thành và các cảnh báo. Chỉ đọc CSDL.",
                                epilog="Ví dụ:\n  sohoa milestones status --today 2026-11-20")
    add_today(p_status)
    p_status.set_defaults(func=_status)
