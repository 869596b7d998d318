"""``sohoa fixity check``: re-read stored objects now and compare them with the catalogue."""
from __future__ import annotations

import argparse
import json
import uuid


def _check(args: argparse.Namespace) -> int:
    from .. import storage
    from ..catalogue.db import connect
    from . import FixityError
    from .alerts import failure_message
    from .check import run_fixity

    conn = connect()
    try:
        report = run_fixity(conn, storage.client(), limit=args.sample or None, prefix=args.prefix, jobs=args.jobs,
                            agent=args.agent, every_key=args.every_key)
    finally:
        conn.close()
    print(json.dumps(report.as_dict() | {"problems": len(report.problems)}, ensure_ascii=False))
    if report.problems:
        raise FixityError(failure_message(report, f"cli-{uuid.uuid4().hex[:8]}"))
    return 0


def add_parser(sub) -> None:
    parser = sub.add_parser("fixity", help="re-verify the SHA-256 of stored objects against the catalogue")
    actions = parser.add_subparsers(dest="fixity_command", required=True, metavar="ACTION")
    check = actions.add_parser("check", help="check all objects or a rotating sample; every check is an event")
    check.add_argument("--sample", type=int, default=0, help="objects to check, longest unchecked first (0: all)")
    check.add_argument("--prefix", help="only keys under this prefix (e.g. '<mã hồ sơ>/')")
    check.add_argument("--jobs", type=int, default=4, help="parallel readers (default 4)")
    check.add_argument("--agent", default="sohoa.fixity", help="recorded as the events' agent")
    check.add_argument("--every-key", action="store_true",
                       help="also list masters (under --prefix) for keys the catalogue does not know")
    check.set_defaults(func=_check)
