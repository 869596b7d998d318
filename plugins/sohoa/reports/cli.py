"""``sohoa report annual --year YYYY``: build the yearly result report on demand."""
from __future__ import annotations

import argparse
from pathlib import Path

from ..cliparse import UsageError, identifier, year
from ..vntime import add_today


def _checked(args: argparse.Namespace, plan) -> None:
    """Refuse an agency the plan does not know, and a year outside the plan's years up to ``--today``'s."""
    milestones = plan.for_agency(args.agency)
    if not milestones:
        raise UsageError(f"Không có cơ quan mã {args.agency!r} trong kế hoạch (config/milestones.toml); các mã có: "
                         f"{', '.join(sorted({m.agency for m in plan.milestones}))}")
    first = min((m.adopted or m.start or m.deadline).year for m in milestones)
    if not first <= args.year <= args.today.year:
        raise UsageError(f"Năm {args.year} không có báo cáo: kế hoạch của {args.agency} bắt đầu từ năm {first}, "
                         f"và chỉ lập được báo cáo đến năm hiện tại ({args.today.year})")


def _annual(args: argparse.Namespace) -> int:
    from ..config import settings
    from ..milestones.definitions import load_plan
    from ..catalogue.db import open_catalogue
    from . import annual

    plan = load_plan()
    _checked(args, plan)
    if not args.out.is_dir():
        raise UsageError(f"Không có thư mục {args.out} để ghi báo cáo; tạo thư mục trước hoặc chọn --out khác")
    conn = open_catalogue()
    try:
        paths = annual.build(conn, plan, args.agency, args.year, args.today, args.out, settings().agency)
    finally:
        conn.close()
    for path in paths:
        print(f"đã ghi    {path}")
    if args.upload:
        from ..storage import client

        for url in annual.publish(client(), args.agency, args.year, paths):
            print(f"đã lưu    {url}")
    return 0


def add_parser(sub) -> None:
    parser = sub.add_parser("report", help="lập báo cáo (báo cáo kết quả số hóa hằng năm gửi Sở Nội vụ)",
                            description="Các báo cáo lập từ CSDL và số liệu kế hoạch.",
                            epilog="Ví dụ:\n  sohoa report annual --year 2026")
    kinds = parser.add_subparsers(dest="kind", required=True, metavar="LOẠI", title="các loại báo cáo")
    p = kinds.add_parser(
        "annual", help="báo cáo kết quả số hóa năm (.docx và .xlsx có biểu đồ)",
        description="Lập báo cáo kết quả số hóa tài liệu lưu trữ năm của một cơ quan (gửi Sở Nội vụ trước 05/12) "
                    "theo thể thức Nghị định 30/2020/NĐ-CP (.docx, khổ A4) kèm bảng tính .xlsx có biểu đồ: số liệu "
                    "kế hoạch (ghi rõ là số liệu kế hoạch), tiến độ từng giai đoạn tính từ CSDL, trang bị từ chối "
                    "hoặc lỗi, dự báo và việc chậm tiến độ. Tệp được ghi vào --out và, trừ khi có --no-upload, "
                    "lưu vào kho xuất tại bao-cao-nam/<năm>/<cơ quan>/ để tải từ trang Tiến độ số hóa.",
        epilog="Ví dụ:\n"
               "  sohoa report annual --year 2026\n"
               "  sohoa report annual --year 2026 --agency SNGV-HP --out D:/bao-cao --no-upload")
    p.add_argument("--year", type=year, required=True, metavar="NĂM", help="năm báo cáo, ví dụ 2026")
    p.add_argument("--agency", type=identifier, default="SNGV-HP", metavar="MÃ_CƠ_QUAN",
                   help="mã cơ quan trong kế hoạch (mặc định: SNGV-HP)")
    p.add_argument("--out", type=Path, default=Path("."), metavar="THƯ_MỤC",
                   help="thư mục ghi tệp (mặc định: thư mục hiện tại)")
    p.add_argument("--no-upload", dest="upload", action="store_false", help="không lưu vào kho xuất")
    add_today(p)
    p.set_defaults(func=_annual)
