"""The danh mục hồ sơ nộp lưu (transfer list) of a handover as an .xlsx workbook.

Sheet "Danh mục hồ sơ nộp lưu": one row per hồ sơ handed over, with the TT 05/2025 fields an archivist checks on
receipt and the package(s) that carry it (name, SHA-256, size). Sheet "Hồ sơ bị từ chối": every hồ sơ of the
selection that was refused and why, so nothing silently drops out of a transfer.
"""
from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from ..glossary import MUC_DO_TIEP_CAN, MUC_DO_TIN_CAY, THOI_HAN_BAO_QUAN

HEADERS = ("STT", "Mã hồ sơ", "Tiêu đề hồ sơ", "Thời gian bắt đầu", "Thời gian kết thúc", "Thời hạn bảo quản",
           "Mức độ tiếp cận", "Mức độ tin cậy", "Số lượng văn bản", "Số lượng trang", "Gói nộp lưu", "SHA-256 gói",
           "Dung lượng (byte)")

ROWS_SQL = """
    SELECT h.ma_ho_so, h.tieu_de, h.thoi_gian_bat_dau, h.thoi_gian_ket_thuc, h.thoi_han_bao_quan,
           h.muc_do_tiep_can, h.muc_do_tin_cay,
           (SELECT count(*) FROM van_ban v WHERE v.ho_so_id = h.id),
           coalesce(h.so_luong_trang, (SELECT count(*) FROM trang t WHERE t.ho_so_id = h.id)),
           string_agg(hp.package_id || '.zip', E'\n' ORDER BY hp.package_id),
           string_agg(hp.sha256, E'\n' ORDER BY hp.package_id),
           sum(hp.size_bytes)
    FROM handover_package hp JOIN ho_so h ON h.id = hp.ho_so_id
    WHERE hp.handover_id = %s
    GROUP BY h.id ORDER BY h.ma_ho_so"""


def write_transfer_list(cur, handover_id: int) -> tuple[bytes, int]:
    """(.xlsx bytes, number of packages listed) of one handover."""
    cur.execute("""SELECT h.name, h.created_at, h.package_type, h.selection, h.refused, h.agent
                   FROM handover h WHERE h.id = %s""", (handover_id,))
    name, created_at, package_type, selection, refused, agent = cur.fetchone()
    cur.execute(ROWS_SQL, (handover_id,))
    rows = cur.fetchall()
    book = Workbook()
    sheet = book.active
    sheet.title = "Danh mục hồ sơ nộp lưu"
    sheet.append(["DANH MỤC HỒ SƠ NỘP LƯU"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([f"Đợt nộp lưu: {name} — gói {package_type} — lập lúc "
                  f"{created_at.isoformat(timespec='seconds')} bởi {agent}"])
    sheet.append([f"Lựa chọn: {selection}"])
    sheet.append([])
    sheet.append(list(HEADERS))
    for cell in sheet[5]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    packages = 0
    for number, (ma, title, start, end, retention, access, reliability, documents, pages, names, digests,
                 size) in enumerate(rows, start=1):
        packages += names.count("\n") + 1
        sheet.append([number, ma, title, start, end, THOI_HAN_BAO_QUAN[retention], MUC_DO_TIEP_CAN[access],
                      MUC_DO_TIN_CAY[reliability], documents, pages, names, digests, int(size)])
    sheet.append([])
    sheet.append([f"Tổng số: {len(rows)} hồ sơ, {packages} gói; {len(refused)} hồ sơ bị từ chối "
                  "(xem trang \"Hồ sơ bị từ chối\")."])
    for column, width in zip("ABCDEFGHIJKLM", (6, 34, 50, 14, 14, 16, 20, 14, 10, 10, 44, 66, 16)):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "C6"
    refused_sheet = book.create_sheet("Hồ sơ bị từ chối")
    refused_sheet.append(["Mã hồ sơ", "Lý do"])
    for cell in refused_sheet[1]:
        cell.font = Font(bold=True)
    for ma, reasons in sorted(refused.items()):
        refused_sheet.append([ma, "\n".join(reasons)])
    refused_sheet.column_dimensions["A"].width = 34
    refused_sheet.column_dimensions["B"].width = 100
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), packages
