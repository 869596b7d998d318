"""``sohoa handover build|validate``: hand a selection of hồ sơ over as E-ARK/TT 05 packages; check a package."""
from __future__ import annotations

import argparse
import json
from pathlib import Path


def _build(args: argparse.Namespace) -> int:
    from .. import storage
    from ..catalogue.db import connect
    from .transfer import Selection, hand_over

    selection = Selection(phong=args.phong, year=args.year, milestone=args.milestone, ma_ho_so=tuple(args.ma_ho_so),
                          only_not_handed_over=args.only_new)
    conn = connect()
    try:
        summary = hand_over(conn, storage.client(), selection, package_type=args.type, level=args.level,
                            agent=args.agent, rebuild=args.rebuild)
    finally:
        conn.close()
    print(json.dumps(summary, ensure_ascii=False, indent=1, default=str))
    if summary["refused"]:
        print(f"{len(summary['refused'])} hồ sơ bị từ chối — xem danh mục: {summary['transfer_list']}")
        return 1
    return 0


def _validate(args: argparse.Namespace) -> int:
    from .validate import problems, validate_zip

    found = validate_zip(args.package) if args.package.suffix == ".zip" else problems(args.package)
    for line in found:
        print(line)
    print(f"{args.package.name}: {'hợp lệ' if not found else f'{len(found)} lỗi'}")
    return 1 if found else 0


def add_parser(sub) -> None:
    parser = sub.add_parser("handover", help="handover packages (E-ARK CSIP, TT 05/2025) and transfer lists",
                            description="Build SIP/AIP packages per hồ sơ or per văn bản, validate them against "
                                        "the official METS, EAD and PREMIS XSDs and the CSIP rules, store them in "
                                        "the exports bucket, record the handover and write the transfer list.")
    actions = parser.add_subparsers(dest="handover_command", required=True, metavar="ACTION")
    build = actions.add_parser("build", help="hand over a selection (all criteria must hold)")
    build.add_argument("--phong", help="mã phông")
    build.add_argument("--year", type=int, help="year the hồ sơ ends (thời gian kết thúc)")
    build.add_argument("--milestone", help="milestone id (config/milestones.toml): its scope and agency")
    build.add_argument("--ma-ho-so", action="append", default=[], help="one hồ sơ (repeatable)")
    build.add_argument("--only-new", action="store_true", help="only hồ sơ not handed over yet")
    build.add_argument("--type", choices=("SIP", "AIP"), default="AIP", help="package type (default AIP)")
    build.add_argument("--level", choices=("ho_so", "van_ban"), default="ho_so",
                       help="one package per hồ sơ (default) or per văn bản")
    build.add_argument("--agent", default="sohoa.handover", help="who hands over (recorded in the events)")
    build.add_argument("--rebuild", action="store_true", help="rebuild packages already stored")
    build.set_defaults(func=_build)
    check = actions.add_parser("validate", help="check a package (.zip or unpacked folder)")
    check.add_argument("package", type=Path)
    check.set_defaults(func=_validate)
