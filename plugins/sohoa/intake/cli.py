"""``sohoa intake backfill-done-index``: the done index for batches judged before it existed."""
from __future__ import annotations

import argparse
import json


def _backfill(args: argparse.Namespace) -> int:
    from .. import storage
    from ..catalogue.db import connect
    from .process import backfill_done_index

    conn = connect()
    try:
        written = backfill_done_index(storage.client(), conn)
    finally:
        conn.close()
    print(json.dumps({"written": written}))
    return 0


def add_parser(sub) -> None:
    parser = sub.add_parser("intake", help="the inbox's indexes (platform)")
    actions = parser.add_subparsers(dest="intake_command", required=True, metavar="ACTION")
    actions.add_parser(
        "backfill-done-index",
        help="write inbox/<vendor>/_done/<batch_id>/verdict.json for every batch folder in the inbox that the "
             "catalogue has done (batches judged before the done index existed), so the sweep skips them; "
             "idempotent").set_defaults(func=_backfill)
