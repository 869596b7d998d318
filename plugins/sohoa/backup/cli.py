"""``sohoa backup start|replicate`` and ``sohoa restore``: the second copy of masters and derivatives."""
from __future__ import annotations

import argparse
import json

from ..storage import BACKED_UP


def _start(args: argparse.Namespace) -> int:
    from .replica import ensure_running

    print(f"backup S3 running at {ensure_running().s3_endpoint}")
    return 0


def _replicate(args: argparse.Namespace) -> int:
    from .. import storage
    from ..catalogue.db import connect
    from .replica import replica_client, replica_settings
    from .replicate import replicate

    conn = connect()
    try:
        report = replicate(conn, storage.client(), replica_client(), endpoint=replica_settings().s3_endpoint,
                           prefix=args.prefix, buckets=tuple(args.bucket or BACKED_UP), jobs=args.jobs)
    finally:
        conn.close()
    print(json.dumps(report.as_dict()))
    return 0


def _restore(args: argparse.Namespace) -> int:
    from .. import storage
    from ..catalogue.db import connect
    from .replica import replica_client, replica_settings
    from .replicate import restore

    conn = connect()
    try:
        result = restore(conn, storage.client(), replica_client(), args.bucket, args.key,
                         endpoint=replica_settings().s3_endpoint, force=args.force, agent=args.agent)
    finally:
        conn.close()
    print(json.dumps(result, ensure_ascii=False))
    return 0


def add_parser(sub) -> None:
    backup = sub.add_parser("backup", help="the backup copy of masters and derivatives on a second S3")
    actions = backup.add_subparsers(dest="backup_command", required=True, metavar="ACTION")
    actions.add_parser("start", help="start the local backup S3 (second SeaweedFS)").set_defaults(func=_start)
    rep = actions.add_parser("replicate", help="copy and verify every catalogued object not yet backed up")
    rep.add_argument("--prefix", help="only keys under this prefix")
    rep.add_argument("--bucket", action="append", choices=BACKED_UP, help="bucket (repeatable; default both)")
    rep.add_argument("--jobs", type=int, default=4)
    rep.set_defaults(func=_replicate)
    restore = sub.add_parser("restore", help="rebuild a lost or damaged object from its backup copy")
    restore.add_argument("--bucket", required=True, choices=BACKED_UP)
    restore.add_argument("--key", required=True)
    restore.add_argument("--force", action="store_true", help="restore even if the primary copy is intact")
    restore.add_argument("--agent", default="sohoa.backup", help="recorded as the event's agent")
    restore.set_defaults(func=_restore)
