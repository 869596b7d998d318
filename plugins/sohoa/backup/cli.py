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
    from ..cliparse import UsageError

    if args.force and not args.yes:
        raise UsageError("--force ghi một phiên bản mới lên cả bản còn nguyên ở kho chính; thêm --yes để xác nhận")
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
    restore = sub.add_parser(
        "restore", help="khôi phục một đối tượng bị mất hoặc hỏng từ bản sao dự phòng",
        description="Khôi phục một đối tượng (ảnh gốc hoặc tệp dẫn xuất) của kho chính từ bản sao dự phòng đã kiểm "
                    "chứng, khi nó bị mất hoặc không còn khớp mã SHA-256 trong CSDL. Mỗi lần chỉ một đối tượng "
                    "(--bucket và --key). Đối tượng còn nguyên thì không làm gì; ghi đè bản còn nguyên phải có "
                    "--force --yes.",
        epilog="Ví dụ:\n  sohoa restore --bucket masters --key G01/01/2015/G01.01.2015.001/0001.jpg")
    restore.add_argument("--bucket", required=True, choices=BACKED_UP, metavar="KHO",
                         help=f"kho chứa đối tượng: {', '.join(BACKED_UP)}")
    restore.add_argument("--key", required=True, metavar="KHÓA", help="khóa (đường dẫn) của đối tượng trong kho")
    restore.add_argument("--force", action="store_true",
                         help="khôi phục cả khi bản ở kho chính còn nguyên (phải kèm --yes)")
    restore.add_argument("--yes", action="store_true", help="xác nhận ghi đè khi dùng --force")
    restore.add_argument("--agent", default="sohoa.backup", help="người/hệ thống khôi phục (ghi vào sự kiện)")
    restore.set_defaults(func=_restore)
