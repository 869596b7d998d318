"""``sohoa handover build|validate``: hand a selection of hồ sơ over as E-ARK/TT 05 packages; check a package.

Handing over marks hồ sơ as handed over for good, so ``build`` needs a selection (phông, year, milestone or mã
hồ sơ), or ``--all --yes`` for every hồ sơ with a PDF; mã hồ sơ and milestones that do not exist are refused
before anything is built.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..cliparse import UsageError, add_all_yes, identifier, require_all_and_yes, year

UNKNOWN_HO_SO_SQL = "SELECT m FROM unnest(%(ma)s::text[]) AS m WHERE m NOT IN (SELECT ma_ho_so FROM ho_so)"


def _selection(args: argparse.Namespace, cur):
    """The Selection the arguments ask for, after refusing an empty one (without ``--all --yes``) and unknown
    mã hồ sơ or milestones."""
    from ..milestones.definitions import load_plan
    from .transfer import Selection, select_ho_so

    selection = Selection(phong=args.phong, year=args.year, milestone=args.milestone,
                          ma_ho_so=tuple(args.ma_ho_so), only_not_handed_over=args.only_new, everything=args.all)
    if args.milestone and args.milestone not in {m.id for m in load_plan().milestones}:
        raise UsageError(f"Không có mốc {args.milestone!r} trong config/milestones.toml; các mốc có: "
                         f"{', '.join(m.id for m in load_plan().milestones)}")
    if args.ma_ho_so:
        cur.execute(UNKNOWN_HO_SO_SQL, {"ma": list(args.ma_ho_so)})
        unknown = [row[0] for row in cur.fetchall()]
        if unknown:
            raise UsageError(f"Không có hồ sơ {', '.join(unknown)} trong CSDL; kiểm tra lại mã hồ sơ")
    require_all_and_yes(selection.narrowed, args, "bàn giao",
                        None if selection.narrowed else len(select_ho_so(cur, selection)))
    return selection


def _build(args: argparse.Namespace) -> int:
    from .. import storage
    from ..catalogue.db import connect, transaction
    from .transfer import hand_over

    conn = connect()
    try:
        with transaction(conn) as cur:
            selection = _selection(args, cur)
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

    if not args.package.exists():
        raise UsageError(f"Không tìm thấy gói {args.package}; kiểm tra lại đường dẫn")
    found = validate_zip(args.package) if args.package.suffix == ".zip" else problems(args.package)
    for line in found:
        print(line)
    print(f"{args.package.name}: {'hợp lệ' if not found else f'{len(found)} lỗi'}")
    return 1 if found else 0


def add_parser(sub) -> None:
    parser = sub.add_parser(
        "handover", help="bàn giao (nộp lưu): lập gói E-ARK/TT 05 và danh mục bàn giao",
        description="Lập gói SIP/AIP theo từng hồ sơ hoặc từng văn bản, kiểm tra với lược đồ METS, EAD, PREMIS "
                    "chính thức và quy tắc CSIP, lưu vào kho xuất (exports), ghi nhận việc bàn giao và lập danh "
                    "mục hồ sơ bàn giao.",
        epilog="Ví dụ:\n"
               "  sohoa handover build --phong G01 --year 2015 --only-new\n"
               "  sohoa handover validate nop-luu-20261120.zip")
    actions = parser.add_subparsers(dest="handover_command", required=True, metavar="VIỆC", title="các việc")
    build = actions.add_parser(
        "build", help="bàn giao các hồ sơ được chọn (phải thỏa mọi điều kiện)",
        description="Bàn giao các hồ sơ đã có PDF thỏa mọi điều kiện chọn. Hồ sơ đã bàn giao được đánh dấu và "
                    "không thể hoàn tác, nên phải nêu ít nhất một điều kiện (--phong, --year, --milestone, "
                    "--ma-ho-so); muốn bàn giao toàn bộ thì dùng --all --yes.",
        epilog="Ví dụ:\n"
               "  sohoa handover build --ma-ho-so G01.01.2015.001 --type SIP\n"
               "  sohoa handover build --milestone sngv-hp-gd1 --only-new\n"
               "  sohoa handover build --all --yes --only-new")
    build.add_argument("--phong", type=identifier, metavar="MÃ_PHÔNG", help="chỉ hồ sơ của phông này")
    build.add_argument("--year", type=year, metavar="NĂM", help="chỉ hồ sơ kết thúc trong năm này (ví dụ 2015)")
    build.add_argument("--milestone", metavar="MỐC",
                       help="chỉ hồ sơ thuộc phạm vi của mốc này (config/milestones.toml, ví dụ sngv-hp-gd1)")
    build.add_argument("--ma-ho-so", action="append", default=[], type=identifier, metavar="MÃ_HỒ_SƠ",
                       help="một hồ sơ (dùng nhiều lần cho nhiều hồ sơ)")
    build.add_argument("--only-new", action="store_true", help="chỉ hồ sơ chưa bàn giao")
    add_all_yes(build, "bàn giao")
    build.add_argument("--type", choices=("SIP", "AIP"), default="AIP", help="loại gói (mặc định AIP)")
    build.add_argument("--level", choices=("ho_so", "van_ban"), default="ho_so",
                       help="mỗi hồ sơ một gói (mặc định) hoặc mỗi văn bản một gói")
    build.add_argument("--agent", default="sohoa.handover", help="người/hệ thống bàn giao (ghi vào sự kiện)")
    build.add_argument("--rebuild", action="store_true", help="lập lại cả các gói đã lưu")
    build.set_defaults(func=_build)
    check = actions.add_parser(
        "validate", help="kiểm tra một gói (.zip hoặc thư mục đã giải nén)",
        description="Kiểm tra một gói bàn giao với lược đồ METS, EAD, PREMIS và quy tắc CSIP. Mã thoát 0: hợp lệ; "
                    "1: có lỗi (in từng lỗi).",
        epilog="Ví dụ:\n  sohoa handover validate nop-luu-20261120.zip")
    check.add_argument("package", type=Path, metavar="GÓI", help="tệp .zip hoặc thư mục gói")
    check.set_defaults(func=_validate)
