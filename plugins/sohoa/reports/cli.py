"""``sohoa report annual --year YYYY``: build the yearly result report on demand."""
from __future__ import annotations

import argparse
from pathlib import Path

from ..vntime import add_today


def _annual(args: argparse.Namespace) -> int:
    from ..config import settings
    from ..milestones.definitions import load_plan
    from ..catalogue.db import open_catalogue
    from . import annual

    conn = open_catalogue()
    try:
        paths = annual.build(conn, load_plan(), args.agency, args.year, args.today, args.out, settings().agency)
    finally:
        conn.close()
    for path in paths:
        print(f"written {path}")
    if args.upload:
        from ..storage import client

        for url in annual.publish(client(), args.agency, args.year, paths):
            print(f"stored  {url}")
    return 0


def add_parser(sub) -> None:
    parser = sub.add_parser("report", help="build reports (the yearly result report to Sở Nội vụ)",
                            description="Reports built from the catalogue and the plan figures.")
    kinds = parser.add_subparsers(dest="kind", required=True, metavar="KIND")
    p = kinds.add_parser(
        "annual", help="the yearly result report (.docx and .xlsx with charts)",
        description="Build the yearly result report of one agency (due to Sở Nội vụ before 05/12) as a "
                    "Vietnamese .docx and .xlsx with charts: the plan's own figures (seeded, labelled as such), "
                    "progress of each phase from the catalogue, forecast, and what is late. The files are "
                    "written to --out and, unless --no-upload, stored in the exports bucket under "
                    "bao-cao-nam/<year>/<agency>/, where the dashboard links to them.")
    p.add_argument("--year", type=int, required=True, help="the report's year, e.g. 2026")
    p.add_argument("--agency", default="SNGV-HP", help="the agency's code in the catalogue (default: SNGV-HP)")
    p.add_argument("--out", type=Path, default=Path("."), help="directory for the files (default: .)")
    p.add_argument("--no-upload", dest="upload", action="store_false", help="do not store in the exports bucket")
    add_today(p)
    p.set_defaults(func=_annual)
