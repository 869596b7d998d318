"""``sohoa search …`` and ``sohoa review …``: the archivist's command line."""
from __future__ import annotations

import argparse
import json

from ..catalogue.db import connect, transaction
from ..cliparse import identifier, year
from ..glossary import MUC_DO_TIEP_CAN, THOI_HAN_BAO_QUAN
from ..search import PUBLIC, Filters, search
from .review import EDITABLE_FIELDS, RESOLUTIONS, list_items, resolve


def _search(args: argparse.Namespace) -> int:
    filters = Filters(phong=args.phong, year=args.year, ten_loai=args.ten_loai,
                      thoi_han_bao_quan=args.thoi_han_bao_quan, muc_do_tiep_can=args.muc_do_tiep_can)
    conn = connect()
    try:
        with transaction(conn):
            result = search(conn, " ".join(args.query), levels=tuple(args.access), filters=filters, limit=args.limit)
    finally:
        conn.close()
    if args.json:
        print(json.dumps(result.as_json(), ensure_ascii=False, indent=1))
        return 0
    if result.corrections:
        print("Đã sửa lỗi gõ: " + ", ".join(f"{k} → {v}" for k, v in result.corrections.items()))
    groups = result.ho_so
    print(f"{len(result.hits)} trang trong {len(groups)} hồ sơ cho \"{result.query}\"")
    for n, group in enumerate(groups, start=1):
        print(f"{n:>3}. {group.ma_ho_so} — {group.tieu_de} [{MUC_DO_TIEP_CAN[group.muc_do_tiep_can]}]")
        for hit in group.hits:
            print(f"     trang {hit.trang} (điểm {hit.diem:.3f}): {hit.trich_doan}")
    return 0


def _review_list(args: argparse.Namespace) -> int:
    conn = connect()
    try:
        with transaction(conn) as cur:
            items = list_items(cur, status=None if args.all else "open", ma_ho_so=args.ho_so, limit=args.limit)
    finally:
        conn.close()
    print(f"{len(items)} mục")
    for item in items:
        where = f"{item.ma_ho_so}" + (f" trang {item.so_trang}" if item.so_trang else "")
        quality = "" if item.reading_quality is None else f"  (chất lượng đọc {item.reading_quality:.2f})"
        print(f"#{item.id:<6} {item.reason:<15} {item.object_type:<8} {where:<40} {item.status}{quality}")
        if args.detail:
            print("        " + json.dumps(item.detail, ensure_ascii=False)[:300])
    return 0


def _review_resolve(args: argparse.Namespace) -> int:
    corrections = dict(pair.split("=", 1) for pair in args.set or [])
    conn = connect()
    try:
        with transaction(conn) as cur:
            item = resolve(cur, args.item, reviewer=args.reviewer, resolution=args.resolution,
                           corrections=corrections)
    finally:
        conn.close()
    print(f"Mục #{item.id} ({item.ma_ho_so}): {item.status} bởi {args.reviewer}")
    return 0


def _review_retry(args: argparse.Namespace) -> int:
    from .retry import retry_pages

    conn = connect()
    try:
        with transaction(conn) as cur:
            pages = retry_pages(cur, args.trang, requested_by=args.reviewer)
    finally:
        conn.close()
    for page in pages:
        print(f"Trang #{page.trang_id} ({page.ma_ho_so} trang {page.so_trang}): {page.previous_status} → pending")
    batches = sorted({(p.vendor, p.batch_id) for p in pages if p.batch_id})
    for vendor, batch_id in batches:
        print(f"Chạy DAG sohoa_process cho lô này để nhận dạng lại: conf {{\"vendor\": \"{vendor}\", "
              f"\"batch_id\": \"{batch_id}\"}} (hoặc đợi lượt chạy kế tiếp).")
    return 0


def add_search_parser(sub) -> None:
    p = sub.add_parser("search", help="tìm toàn văn trong kho (có dấu hay không dấu)",
                       description="Tìm toàn văn trong kho: có dấu hay không dấu, chịu được lỗi gõ. Mọi từ phải "
                                   "có mặt; chỉ hiện hồ sơ thuộc các mức độ tiếp cận người tìm được xem (--access).",
                       epilog="Ví dụ:\n  sohoa search so hoa tai lieu --year 2025\n"
                              "  sohoa search \"quyết định cử cán bộ\" --phong G01 --json")
    p.add_argument("query", nargs="+", metavar="TỪ", help="các từ cần tìm (phải có đủ)")
    p.add_argument("--phong", type=identifier, metavar="MÃ_PHÔNG", help="chỉ phông này")
    p.add_argument("--year", type=year, metavar="NĂM", help="chỉ hồ sơ có thời gian bao trùm năm này")
    p.add_argument("--ten-loai", metavar="TÊN_LOẠI", help="chỉ hồ sơ có văn bản loại này, ví dụ 'Quyết định'")
    p.add_argument("--thoi-han-bao-quan", choices=sorted(THOI_HAN_BAO_QUAN), help="mã thời hạn bảo quản")
    p.add_argument("--muc-do-tiep-can", choices=sorted(MUC_DO_TIEP_CAN), help="chỉ mức độ tiếp cận này")
    p.add_argument("--access", nargs="+", default=[PUBLIC], choices=sorted(MUC_DO_TIEP_CAN), metavar="MỨC",
                   help="các mức độ tiếp cận người tìm được xem (mặc định: chỉ cong_khai)")
    p.add_argument("--limit", type=int, default=20, metavar="SỐ", help="nhiều nhất bấy nhiêu kết quả (mặc định 20)")
    p.add_argument("--json", action="store_true",
                   help="in kết quả dạng JSON, cùng khóa với API /search: hits[] (ma_ho_so, tieu_de, trang, diem, "
                        "trich_doan, muc_do_tiep_can) và ho_so[] (các trang khớp gom theo hồ sơ)")
    p.set_defaults(func=_search)


def add_review_parser(sub) -> None:
    p = sub.add_parser("review", help="hàng chờ duyệt: trang bị gắn cờ, trang OCR lỗi, siêu dữ liệu đề xuất",
                       description="Hàng chờ duyệt: trang bị gắn cờ, trang OCR lỗi, siêu dữ liệu đề xuất.",
                       epilog="Ví dụ:\n  sohoa review list --ho-so G01.01.2015.001\n"
                              "  sohoa review resolve 12 --reviewer lan --resolution corrected "
                              "--set trich_yeu='Về việc …'")
    verbs = p.add_subparsers(dest="verb", required=True, metavar="VIỆC", title="các việc")
    ls = verbs.add_parser("list", help="liệt kê các mục chờ duyệt, trang đọc kém nhất trước",
                          description="Liệt kê các mục chờ duyệt, trang có chất lượng đọc kém nhất lên đầu.",
                          epilog="Ví dụ:\n  sohoa review list\n  sohoa review list --ho-so G01.01.2015.001 --detail")
    ls.add_argument("--ho-so", type=identifier, metavar="MÃ_HỒ_SƠ", help="chỉ hồ sơ này")
    ls.add_argument("--all", action="store_true", help="gồm cả các mục đã xử lý")
    ls.add_argument("--detail", action="store_true", help="in chi tiết từng mục")
    ls.add_argument("--limit", type=int, default=100, metavar="SỐ", help="nhiều nhất bấy nhiêu mục (mặc định 100)")
    ls.set_defaults(func=_review_list)
    rs = verbs.add_parser("resolve", help="chấp nhận hoặc sửa một mục (văn bản trở thành chính thức)",
                          description="Chấp nhận hoặc sửa một mục của hàng chờ duyệt; việc sửa được ghi thành sự "
                                      "kiện mang tên người duyệt.",
                          epilog="Ví dụ:\n  sohoa review resolve 12 --reviewer lan --resolution corrected "
                                 "--set trich_yeu='Về việc …'")
    rs.add_argument("item", type=int, metavar="SỐ_MỤC", help="số của mục chờ duyệt")
    rs.add_argument("--reviewer", required=True, metavar="NGƯỜI_DUYỆT", help="người duyệt (ghi vào sự kiện)")
    rs.add_argument("--resolution", required=True, choices=RESOLUTIONS, help="kết quả duyệt")
    rs.add_argument("--set", action="append", metavar="TRƯỜNG=GIÁ_TRỊ",
                    help=f"một chỗ sửa; các trường: {', '.join(EDITABLE_FIELDS)}")
    rs.set_defaults(func=_review_resolve)
    rt = verbs.add_parser("retry", help="gửi lại nhận dạng (OCR) các trang lỗi hoặc đã dừng",
                          description="Gửi lại nhận dạng các trang OCR lỗi hoặc đã dừng sau nhiều lần lỗi: trang về "
                                      "trạng thái chờ, số lần thử tính lại từ đầu, lỗi cũ ghi vào sự kiện, mục duyệt "
                                      "'ocr_parked' đóng lại. Như nút «Chạy lại» của trang Lô số hóa.",
                          epilog="Ví dụ:\n  sohoa review retry 1834 1835 --reviewer lan")
    rt.add_argument("trang", type=int, nargs="+", metavar="SỐ_TRANG", help="số (id) của các trang trong CSDL")
    rt.add_argument("--reviewer", required=True, metavar="NGƯỜI_YÊU_CẦU", help="người yêu cầu (ghi vào sự kiện)")
    rt.set_defaults(func=_review_retry)


def add_parser(sub) -> None:
    add_search_parser(sub)
    add_review_parser(sub)
