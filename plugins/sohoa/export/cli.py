"""``sohoa export catalogue``: a Parquet snapshot of the catalogue's metadata for the city's shared data."""
from __future__ import annotations

import argparse
import json


def _catalogue(args: argparse.Namespace) -> int:
    from .. import storage
    from ..catalogue.db import connect
    from .parquet import export_snapshot

    conn = connect()
    try:
        manifest = export_snapshot(conn, storage.client(), agency=args.agency, include_secret=args.include_secret)
    finally:
        conn.close()
    print(json.dumps({k: manifest[k] for k in ("schema_version", "snapshot", "prefix", "rows",
                                               "withheld_secret_ho_so")}, ensure_ascii=False, indent=1))
    return 0


def add_parser(sub) -> None:
    parser = sub.add_parser("export", help="exports for the city's shared data (Parquet catalogue snapshots)")
    kinds = parser.add_subparsers(dest="export_kind", required=True, metavar="KIND")
    snap = kinds.add_parser("catalogue", help="phông, hồ sơ, văn bản, trang metadata as Parquet, partitioned "
                                              "by agency and year, into exports/catalogue/snapshot=…/")
    snap.add_argument("--agency", help="only this agency (mã cơ quan); default every agency")
    snap.add_argument("--include-secret", action="store_true",
                      help="also hồ sơ whose access level is 'mật' (left out by default)")
    snap.set_defaults(func=_catalogue)
