"""The yearly report as a Word document in the form of Nghị định 30/2020/NĐ-CP (see :mod:`.nd30`).

Reading order: header block, "BÁO CÁO" and its trích yếu, the opening sentence, sections I–IX, the closing
sentence ending "./.", nơi nhận and the signing block. Sections I–VI state figures (the plan's own, labelled, and
the catalogue's; hồ sơ gốc điện tử apart from digitisation, with refused submissions and hồ sơ formed from
01/7/2025 that came as paper scans); VII–IX draw the assessment, next year's tasks and
the requests from those same figures, so nothing in them is typed by hand. One function per section, in
:data:`SECTIONS`.
"""
from __future__ import annotations

import math
from pathlib import Path

from ..milestones.progress import MilestoneStatus
from ..vnformat import vn_date, vn_number
from ..vntime import VN_TZ
from .annual import (ELECTRONIC_FROM_LABEL, HP_NET_TITLE, AnnualReport, born_digital_rows, hp_net_rows,
                     hp_net_sentence, inventory_rows, month_end_rows, outlook_sentence, paper_after_cutoff_rows,
                     paper_after_cutoff_sentence, progress_rows, rejected_submission_rows, rejected_submissions_sentence, state_of, trouble_rows)
from .nd30 import Nd30Document

TYPE_CODE, TYPE_NAME = "BC", "Báo cáo"
ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")


def summary(report: AnnualReport) -> str:
    """The trích yếu."""
    return f"Kết quả số hóa tài liệu lưu trữ năm {report.year}"


def _opening(d: Nd30Document, report: AnnualReport) -> None:
    d.paragraph(f"Thực hiện Kế hoạch số 154/KH-UBND ngày 18/6/2025 của Ủy ban nhân dân thành phố Hải Phòng về tăng "
                f"cường công tác số hóa tài liệu lưu trữ, {report.agency_name} báo cáo kết quả số hóa tài liệu lưu "
                f"trữ năm {report.year} (số liệu đến ngày {vn_date(report.today)}) như sau:")


def _inventory(d: Nd30Document, report: AnnualReport, images: dict[str, bytes], number: str) -> None:
    d.heading(f"{number}. THỰC TRẠNG TÀI LIỆU LƯU TRỮ (SỐ LIỆU KẾ HOẠCH)")
    d.paragraph("Các số liệu dưới đây là số liệu do đơn vị nêu trong Kế hoạch, được nhập sẵn vào hệ thống; chúng "
                "không phải là kết quả xử lý của hệ thống.")
    if report.inventory:
        d.table(["Khối tài liệu", "Số mét", "Số hồ sơ", "Giai đoạn", "Ghi chú"], inventory_rows(report),
                widths=[5.0, 1.8, 2.0, 2.4, 5.3], numeric=frozenset({1, 2}))
    else:
        d.paragraph("Chưa nhập số liệu kế hoạch cho đơn vị này.")
    if report.hp_net:
        d.paragraph("Hồ sơ lưu trữ điện tử trên HP-Net theo năm:")
        d.table(["Năm", "Số hồ sơ", "Ghi chú"], hp_net_rows(report), widths=[2.0, 2.5, 12.0], numeric=frozenset({1}))
        d.paragraph(hp_net_sentence(report.hp_net))
        if "hp-net" in images:
            d.picture(images["hp-net"], caption=f"Biểu đồ: {HP_NET_TITLE}")


def _progress(d: Nd30Document, report: AnnualReport, images: dict[str, bytes], number: str) -> None:
    d.heading(f"{number}. KẾT QUẢ SỐ HÓA THEO TỪNG GIAI ĐOẠN (SỐ LIỆU TỪ CSDL)")
    for n, status in enumerate(report.statuses, 1):
        d.heading(f"{n}. {status.milestone.title}", level=2)
        d.table(["Chỉ tiêu", "Hồ sơ", "Trang", "Số mét"], progress_rows(status), widths=[7.5, 3.0, 3.0, 3.0],
                numeric=frozenset({1, 2, 3}))
        d.paragraph(outlook_sentence(status))
        d.paragraph("; ".join(f"{label}: {vn_number(n_pages)}" for _, label, n_pages in trouble_rows(status)) + ".")
        name = f"burnup-{status.milestone.id}"
        if name in images:
            d.picture(images[name], caption=f"Biểu đồ: tiến độ giai đoạn {status.milestone.phase}")
        if report.month_ends[status.milestone.id]:
            d.paragraph("Số liệu hệ thống ghi nhận cuối mỗi tháng:")
            d.table(["Ngày chốt", "Hồ sơ đã hoàn thành", "Trang"], month_end_rows(report, status),
                    widths=[4.0, 5.0, 4.0], numeric=frozenset({1, 2}))


def _intake(d: Nd30Document, report: AnnualReport, images: dict[str, bytes], number: str) -> None:
    d.heading(f"{number}. SỐ TRANG TIẾP NHẬN THEO THÁNG NĂM {report.year}")
    total = sum(report.pages_by_month.values())
    d.paragraph(f"Trong năm {report.year} đã tiếp nhận {vn_number(total)} trang đạt yêu cầu; trang bị từ chối khi "
                f"tiếp nhận (mọi giai đoạn): {vn_number(report.rejected_pages)}.")
    if "pages-by-month" in images:
        d.picture(images["pages-by-month"], caption=f"Biểu đồ: số trang tiếp nhận theo tháng năm {report.year}")


def _registered(d: Nd30Document, report: AnnualReport, images: dict[str, bytes], number: str) -> None:
    d.heading(f"{number}. HỒ SƠ ĐÃ ĐĂNG KÝ THEO NĂM HÌNH THÀNH")
    if report.ho_so_by_year:
        d.table(["Năm", "Số hồ sơ", "Số mét"],
                [[str(y) if y else "Không rõ năm", vn_number(n), vn_number(m, 2)] for y, n, m in report.ho_so_by_year],
                widths=[4.0, 4.0, 4.0], numeric=frozenset({1, 2}))
    else:
        d.paragraph("Chưa có hồ sơ nào của đơn vị trong CSDL.")


def _born_digital(d: Nd30Document, report: AnnualReport, images: dict[str, bytes], number: str) -> None:
    d.heading(f"{number}. HỒ SƠ ĐIỆN TỬ (GỐC ĐIỆN TỬ)")
    if report.born_digital:
        d.paragraph("Hồ sơ gốc điện tử không phải số hóa nên không tính vào tiến độ các giai đoạn số hóa ở mục trên:")
        d.table(["Nguồn", "Tình trạng", "Hồ sơ", "Văn bản", "Trang"], born_digital_rows(report),
                widths=[4.5, 3.5, 2.8, 2.8, 2.8], numeric=frozenset({2, 3, 4}))
    else:
        d.paragraph("Chưa có hồ sơ gốc điện tử nào của đơn vị trong CSDL.")
    d.paragraph(rejected_submissions_sentence(report))
    if report.rejected_submissions:
        d.table(["Mã lần nộp", "Mã hồ sơ", "Thời điểm", "Lý do từ chối"], rejected_submission_rows(report),
                widths=[3.0, 3.2, 2.8, 7.4])
    d.paragraph(paper_after_cutoff_sentence(report))
    if report.paper_after_cutoff:
        d.table(["Mã hồ sơ", "Tiêu đề", "Ngày hình thành", "Số trang scan"], paper_after_cutoff_rows(report),
                widths=[3.4, 8.0, 2.8, 2.2], numeric=frozenset({3}))


def _late(d: Nd30Document, report: AnnualReport, images: dict[str, bytes], number: str) -> None:
    d.heading(f"{number}. VIỆC CHẬM TIẾN ĐỘ")
    late = [s for s in report.statuses if s.conditions]
    for status in late:
        d.paragraph(f"- Giai đoạn {status.milestone.phase}: {outlook_sentence(status)}")
    for dag_id, run_id, deadline_at in report.deadline_misses:
        when = f" {deadline_at.astimezone(VN_TZ):%H:%M %d/%m/%Y}" if deadline_at else ""
        d.paragraph(f"- Lượt chạy {dag_id} / {run_id} không xong trước hạn{when}.")
    if not late and not report.deadline_misses:
        d.paragraph("Không có việc chậm tiến độ.")


def _assessment(d: Nd30Document, report: AnnualReport, images: dict[str, bytes], number: str) -> None:
    d.heading(f"{number}. ĐÁNH GIÁ CHUNG")
    for status in report.statuses:
        d.paragraph(f"- Giai đoạn {status.milestone.phase}: {state_of(status)}; đã hoàn thành "
                    f"{vn_number(status.done.ho_so)} hồ sơ ({vn_number(status.done.pages)} trang) trong "
                    f"{vn_number(status.registered.ho_so)} hồ sơ đã đăng ký thuộc giai đoạn.")
    parked = sum(s.pages.ocr_parked for s in report.statuses)
    d.paragraph(f"- Chất lượng: {vn_number(report.rejected_pages)} trang bị từ chối khi tiếp nhận (nhà thầu phải quét "
                f"lại), {vn_number(parked)} trang nhận dạng (OCR) không thành công sau nhiều lần chạy, cần xử lý.")


def required_rate(status: MilestoneStatus) -> float | None:
    """Hồ sơ per day still needed to meet the deadline from today; None without a target or past the deadline."""
    days = (status.milestone.deadline - status.today).days
    if status.planned_ho_so is None or days <= 0:
        return None
    return max(0, status.planned_ho_so - status.done.ho_so) / days


def _next_year(d: Nd30Document, report: AnnualReport, images: dict[str, bytes], number: str) -> None:
    d.heading(f"{number}. NHIỆM VỤ NĂM {report.year + 1}")
    for status in report.statuses:
        m = status.milestone
        if status.outlook.done:
            d.paragraph(f"- Giai đoạn {m.phase}: đã hoàn thành; bàn giao và bảo quản hồ sơ đã số hóa.")
        elif status.planned_ho_so is None:
            d.paragraph(f"- Giai đoạn {m.phase} (hạn {vn_date(m.deadline)}): xác định chỉ tiêu số hồ sơ phải số hóa "
                        f"({status.missing_target.lower()}).")
        else:
            left = status.planned_ho_so - status.done.ho_so
            rate = required_rate(status)
            need = (f"cần đạt bình quân {vn_number(math.ceil(rate * 100) / 100, 2)} hồ sơ/ngày để kịp hạn"
                    if rate is not None else "đã quá hạn, cần hoàn thành sớm nhất")
            d.paragraph(f"- Giai đoạn {m.phase} (hạn {vn_date(m.deadline)}): còn {vn_number(left)} hồ sơ; {need} "
                        f"(tốc độ gần đây {vn_number(status.outlook.rate_per_day, 2)} hồ sơ/ngày).")


def requests(report: AnnualReport) -> list[str]:
    """The requests the figures call for: a late phase, a phase without a target, unreconciled plan figures,
    hồ sơ formed from 01/7/2025 that came as paper scans, pages parked in OCR."""
    found = []
    for status in report.statuses:
        rate = required_rate(status)
        if status.conditions and rate is not None and rate > status.outlook.rate_per_day:
            found.append(f"Bổ sung nhân lực, thiết bị cho giai đoạn {status.milestone.phase} để nâng tốc độ từ "
                         f"{vn_number(status.outlook.rate_per_day, 2)} lên {vn_number(math.ceil(rate * 100) / 100, 2)} "
                         "hồ sơ/ngày.")
        if status.planned_ho_so is None:
            found.append(f"Đề nghị giao chỉ tiêu số hồ sơ cho giai đoạn {status.milestone.phase} "
                         f"(hạn {vn_date(status.milestone.deadline)}) để theo dõi được tiến độ.")
    if report.hp_net and report.hp_net.unexplained:
        found.append(f"Đối soát {vn_number(report.hp_net.unexplained)} hồ sơ HP-Net chênh lệch giữa số liệu tổng và "
                     "số liệu theo năm trước khi chuyển sang hệ thống lưu trữ lịch sử của thành phố.")
    if report.paper_after_cutoff:
        found.append(f"Đề nghị các đơn vị lập và nộp lưu dưới dạng hồ sơ điện tử "
                     f"{vn_number(len(report.paper_after_cutoff))} hồ sơ hình thành từ {ELECTRONIC_FROM_LABEL} "
                     "hiện chỉ có bản scan từ giấy (Kế hoạch, mục II.1.b.4).")
    parked = sum(s.pages.ocr_parked for s in report.statuses)
    if parked:
        found.append(f"Bố trí cán bộ xử lý {vn_number(parked)} trang nhận dạng không thành công (hàng chờ duyệt).")
    return found


def _requests(d: Nd30Document, report: AnnualReport, images: dict[str, bytes], number: str) -> None:
    d.heading(f"{number}. KIẾN NGHỊ, ĐỀ XUẤT")
    for line in requests(report) or ["Không có kiến nghị."]:
        d.paragraph(f"- {line}" if line != "Không có kiến nghị." else line)


SECTIONS = (_inventory, _progress, _intake, _registered, _born_digital, _late, _assessment, _next_year,
            _requests)


def write_docx(report: AnnualReport, images: dict[str, bytes], path: Path) -> Path:
    """Render the report at ``path``: header, title, opening, sections I–IX, closing, signing block."""
    d = Nd30Document(report.issuer)
    d.header(TYPE_CODE, report.today)
    d.title(TYPE_NAME, summary(report))
    _opening(d, report)
    for number, section in zip(ROMAN, SECTIONS):
        section(d, report, images, number)
    d.paragraph(f"Trên đây là báo cáo kết quả số hóa tài liệu lưu trữ năm {report.year} của {report.agency_name}./.")
    d.signature()
    return d.save(path, title=f"{TYPE_NAME} {summary(report).lower()}", author=report.agency_name)
