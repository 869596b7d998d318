"""The yearly report as a workbook: the same figures as the document, for the ones who work on them further.

Sheet names are Vietnamese with their diacritics; dates are dates (dd/mm/yyyy), counts are numbers (#,##0) and
metres #,##0.00, so they sort, sum and chart; the charts are Excel's own (openpyxl), drawn from the cells beside
them. Every sheet prints on A4 with its header row repeated, fitted to one page wide, long text wrapped, and
"Trang n/N" in the footer. One function per sheet, called in order by :func:`write_xlsx`.
"""
from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference, ScatterChart, Series
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from ..milestones.definitions import STAGE_LABELS, STAGES
from ..milestones.progress import MilestoneStatus
from ..vntime import VN_TZ
from .annual import (BORN_DIGITAL_SOURCES, BORN_DIGITAL_STATUSES, HP_NET_RANGE, HP_NET_TITLE, AnnualReport,
                     hp_net_sentence, outlook_sentence, paper_after_cutoff_sentence, rejected_submissions_sentence,
                     state_of, trouble_rows)

COUNT, METRES, DATE, MOMENT = "#,##0", "#,##0.00", "dd/mm/yyyy", "hh:mm dd/mm/yyyy"
HEADER_FILL = PatternFill("solid", fgColor="DDE3EA")
THIN = Side(style="thin", color="999999")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CHART_WIDTH_CM, CHART_HEIGHT_CM = 17, 8.5  # A4 portrait printable width at fit-to-width, still legible
# burn-up lines: colour, width (pt), dash — the colours of the PNG charts (reports.charts)
LINES = {"done": ("1F6FB2", 2.5, "solid"), "deadline": ("C0392B", 1.5, "solid"), "target": ("555555", 1.25, "dash"),
         "forecast": ("E08A00", 2.0, "sysDot"), "band": ("E08A00", 1.0, "dash")}


def _fit_rows(ws: Worksheet, widths: dict[str, float]) -> None:
    """Row heights for wrapped text (neither openpyxl nor every reader computes them): one line of 15 pt per
    column width's worth of characters in the row's longest cell."""
    for row in ws.iter_rows():
        lines = max((math.ceil(len(cell.value) / max(1.0, widths.get(cell.column_letter, 10) - 1))
                     for cell in row if isinstance(cell.value, str) and cell.alignment.wrap_text), default=1)
        merged = any(cell.coordinate in ws.merged_cells for cell in row)
        if lines > 1 and not merged:
            ws.row_dimensions[row[0].row].height = 15 * lines


def _setup(ws: Worksheet, widths: dict[str, float], *, landscape: bool = False) -> None:
    """Column widths and row heights, A4 print set-up: header row repeated, one page wide, footer with page
    numbers."""
    for column, width in widths.items():
        ws.column_dimensions[column].width = width
    _fit_rows(ws, widths)
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.6
    ws.print_title_rows = "1:1"
    ws.oddFooter.center.text = "Trang &P/&N"
    ws.freeze_panes = "A2"


def _header(ws: Worksheet, row: int, titles: list[str], column: int = 1) -> None:
    for offset, title in enumerate(titles):
        cell = ws.cell(row=row, column=column + offset, value=title)
        cell.font, cell.fill, cell.border = Font(bold=True), HEADER_FILL, BOX
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _row(ws: Worksheet, row: int, values: list, formats: list[str | None], column: int = 1) -> None:
    for offset, (value, fmt) in enumerate(zip(values, formats)):
        cell = ws.cell(row=row, column=column + offset, value=value)
        cell.border = BOX
        cell.alignment = Alignment(vertical="top", wrap_text=isinstance(value, str))
        if fmt:
            cell.number_format = fmt


def _inventory(wb: Workbook, report: AnnualReport) -> None:
    ws = wb.active
    ws.title = "Thực trạng (kế hoạch)"
    _header(ws, 1, ["Khối tài liệu", "Số mét", "Số hồ sơ", "Giai đoạn", "Ghi chú", "Nguồn"])
    for r, f in enumerate(report.inventory, 2):
        _row(ws, r, [f.label, f.shelf_metres, f.ho_so, f.period, f.note, f.source],
             [None, METRES, COUNT, None, None, None])
    _setup(ws, {"A": 38, "B": 10, "C": 11, "D": 14, "E": 40, "F": 30}, landscape=True)


def _hp_net(wb: Workbook, report: AnnualReport) -> None:
    if not report.hp_net:
        return
    ws = wb.create_sheet("HP-Net theo năm")
    _header(ws, 1, ["Năm", "Số hồ sơ", "Ghi chú"])
    by_year = {f.year: f.ho_so for f in report.hp_net_years}
    rows = [[y, by_year.get(y), "" if y in by_year else "không có số liệu"] for y in HP_NET_RANGE]
    rows += [["Cộng theo năm", report.hp_net.sum_of_years, ""],
             ["Tổng theo Kế hoạch", report.hp_net.reported_total, ""],
             ["Chênh lệch chưa đối soát", report.hp_net.unexplained, hp_net_sentence(report.hp_net)]]
    for r, values in enumerate(rows, 2):
        _row(ws, r, values, ["0" if isinstance(values[0], int) else None, COUNT, None])
    chart = BarChart()
    chart.title, chart.y_axis.title, chart.legend = HP_NET_TITLE, "Hồ sơ", None
    chart.add_data(Reference(ws, min_col=2, min_row=1, max_row=1 + len(HP_NET_RANGE)), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=1 + len(HP_NET_RANGE)))
    chart.y_axis.number_format = COUNT
    chart.width, chart.height = CHART_WIDTH_CM, CHART_HEIGHT_CM
    ws.add_chart(chart, f"A{len(rows) + 4}")
    _setup(ws, {"A": 26, "B": 12, "C": 70})


def _burnup_chart(ws: Worksheet, status: MilestoneStatus, first_row: int) -> tuple[ScatterChart, int]:
    """Excel's own burn-up, drawn from the series written from ``first_row`` down in columns A–B (done, the
    deadline, the target, the forecast and the ends of its band); returns the chart and the next free row."""
    m, o = status.milestone, status.outlook
    start = min([m.start or status.today, *(d for d, _ in status.burnup), status.today])
    done = [(start, 0), *status.burnup, (status.today, status.burnup[-1][1] if status.burnup else 0)]
    planned = status.planned_ho_so
    top = max(planned or 0, done[-1][1], 1)
    ends = [m.deadline, status.today, *(d for d in (o.expected, o.earliest, o.latest) if d and not o.done)]
    series: list[tuple[str, str, list[tuple[dt.date, float]]]] = [
        ("Đã hoàn thành (hồ sơ)", "done", done), ("Hạn", "deadline", [(m.deadline, 0), (m.deadline, top)])]
    if planned is not None:
        series.append(("Chỉ tiêu", "target", [(start, planned), (max(ends), planned)]))
        if o.expected and not o.done:
            series.append(("Dự báo", "forecast", [(status.today, done[-1][1]), (o.expected, planned)]))
        for label, day in (("Dự báo sớm nhất (90 %)", o.earliest), ("Dự báo muộn nhất (90 %)", o.latest)):
            if day and not o.done:
                series.append((label, "band", [(day, 0), (day, planned)]))
    chart = ScatterChart()
    chart.title = f"Tiến độ giai đoạn {m.phase} (hồ sơ)"
    chart.style, chart.width, chart.height = 13, CHART_WIDTH_CM, CHART_HEIGHT_CM
    chart.x_axis.title, chart.y_axis.title = "Ngày", "Hồ sơ"
    chart.x_axis.number_format, chart.y_axis.number_format = "mm/yyyy", COUNT
    chart.x_axis.delete = chart.y_axis.delete = False
    chart.legend.position = "b"
    row = first_row
    for title, look, points in series:
        _header(ws, row, [f"Biểu đồ — {title}: ngày", "Hồ sơ"])
        for offset, (day, value) in enumerate(points, 1):
            _row(ws, row + offset, [day, value], [DATE, COUNT])
        xs = Reference(ws, min_col=1, min_row=row + 1, max_row=row + len(points))
        ys = Reference(ws, min_col=2, min_row=row + 1, max_row=row + len(points))
        line = Series(ys, xs, title=title)
        line.marker.symbol, line.smooth = "none", False
        colour, width_pt, dash = LINES[look]
        line.graphicalProperties.line.solidFill = colour
        line.graphicalProperties.line.width = int(width_pt * 12700)
        line.graphicalProperties.line.prstDash = dash
        chart.series.append(line)
        row += len(points) + 1
    return chart, row


def _phase(wb: Workbook, report: AnnualReport, status: MilestoneStatus) -> None:
    ws = wb.create_sheet(f"Giai đoạn {status.milestone.phase}")
    _header(ws, 1, ["Chỉ tiêu", "Hồ sơ", "Trang", "Số mét"])
    rows = [["Kế hoạch (số liệu kế hoạch)", status.plan.ho_so if status.plan else None, None,
             status.plan.shelf_metres if status.plan else None],
            ["Chỉ tiêu của giai đoạn", status.planned_ho_so, None, None],
            ["Đã đăng ký trong CSDL", status.registered.ho_so, status.registered.pages,
             status.registered.shelf_metres]]
    rows += [[STAGE_LABELS[st], status.stages[st].ho_so, status.stages[st].pages, status.stages[st].shelf_metres]
             for st in STAGES]
    rows += [[label, None, n, None] for _, label, n in trouble_rows(status)]
    for r, values in enumerate(rows, 2):
        _row(ws, r, values, [None, COUNT, COUNT, METRES])
    r = len(rows) + 3
    facts = [("Hạn hoàn thành", status.milestone.deadline, DATE),
             ("Dự báo hoàn thành", status.outlook.expected if status.planned_ho_so is not None else None, DATE),
             ("Tốc độ gần đây (hồ sơ/ngày)", round(status.outlook.rate_per_day, 2), "#,##0.00"),
             ("Tình trạng", state_of(status), None), ("Nhận định", outlook_sentence(status), None)]
    for offset, (label, value, fmt) in enumerate(facts):
        _row(ws, r + offset, [label, "không xác định" if value is None and fmt == DATE else value], [None, fmt])
        ws.merge_cells(start_row=r + offset, start_column=2, end_row=r + offset, end_column=4)
        if isinstance(value, str):  # merged over B–D (44 characters wide): its own height
            ws.row_dimensions[r + offset].height = 15 * math.ceil(len(value) / 40)
    r += len(facts) + 1
    _header(ws, r, ["Ngày chốt (cuối tháng)", "Hồ sơ đã hoàn thành", "Trang"])
    for offset, (day, ho_so, pages) in enumerate(report.month_ends[status.milestone.id], 1):
        _row(ws, r + offset, [day, ho_so, pages], [DATE, COUNT, COUNT])
    chart, after = _burnup_chart(ws, status, r + len(report.month_ends[status.milestone.id]) + 2)
    ws.row_breaks.append(Break(id=after))  # the chart prints whole, on a page of its own
    ws.add_chart(chart, f"A{after + 1}")
    _setup(ws, {"A": 34, "B": 16, "C": 14, "D": 14})


def _pages_by_month(wb: Workbook, report: AnnualReport) -> None:
    ws = wb.create_sheet("Trang theo tháng")
    _header(ws, 1, ["Tháng", "Số trang tiếp nhận"])
    for m in range(1, 13):
        _row(ws, m + 1, [dt.date(report.year, m, 1), report.pages_by_month.get(m, 0)], ["mm/yyyy", COUNT])
    chart = BarChart()
    chart.title, chart.y_axis.title, chart.legend = f"Số trang tiếp nhận theo tháng năm {report.year}", "Trang", None
    chart.add_data(Reference(ws, min_col=2, min_row=1, max_row=13), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=13))
    chart.x_axis.number_format, chart.y_axis.number_format = "mm/yyyy", COUNT
    chart.x_axis.delete = chart.y_axis.delete = False
    chart.width, chart.height = CHART_WIDTH_CM, CHART_HEIGHT_CM
    ws.add_chart(chart, "A16")
    _setup(ws, {"A": 14, "B": 20})


def _ho_so_by_year(wb: Workbook, report: AnnualReport) -> None:
    ws = wb.create_sheet("Hồ sơ theo năm")
    _header(ws, 1, ["Năm hình thành", "Số hồ sơ", "Số mét"])
    for r, (year, n, metres) in enumerate(report.ho_so_by_year, 2):
        _row(ws, r, [year if year else "Không rõ năm", n, metres], ["0", COUNT, METRES])
    _setup(ws, {"A": 18, "B": 12, "C": 12})


def _caption(ws: Worksheet, row: int, text: str) -> None:
    """A bold line of text above a table, left to run over the empty cells beside it."""
    ws.cell(row=row, column=1, value=text).font = Font(bold=True)


def _born_digital(wb: Workbook, report: AnnualReport) -> None:
    """Hồ sơ gốc điện tử per source and status; below them the refused submissions and the hồ sơ formed from
    01/7/2025 that came as paper scans, each under the sentence the document states (it says when there are none).
    """
    ws = wb.create_sheet("Hồ sơ gốc điện tử")
    _header(ws, 1, ["Nguồn", "Tình trạng", "Hồ sơ", "Văn bản", "Trang"])
    for r, c in enumerate(report.born_digital, 2):
        _row(ws, r, [BORN_DIGITAL_SOURCES.get(c.source, c.source), BORN_DIGITAL_STATUSES.get(c.status, c.status),
                     c.ho_so, c.van_ban, c.pages], [None, None, COUNT, COUNT, COUNT])
    row = max(len(report.born_digital), 1) + 3  # a blank row under the table (or under its 'none' line)
    if not report.born_digital:
        _caption(ws, 2, "Chưa có hồ sơ gốc điện tử nào của đơn vị trong CSDL.")
    _caption(ws, row, rejected_submissions_sentence(report))
    if report.rejected_submissions:
        _header(ws, row + 1, ["Mã lần nộp", "Mã hồ sơ", "Thời điểm", "Lý do từ chối"])
        for r, refused in enumerate(report.rejected_submissions, row + 2):
            _row(ws, r, [refused["submission_id"], refused["ma_ho_so"] or "không khai",
                         refused["received_at"].astimezone(VN_TZ).replace(tzinfo=None),
                         "; ".join(refused["reasons"]) or "không ghi lý do"], [None, None, MOMENT, None])
        row += len(report.rejected_submissions) + 1
    row += 2
    _caption(ws, row, paper_after_cutoff_sentence(report))
    if report.paper_after_cutoff:
        _header(ws, row + 1, ["Mã hồ sơ", "Ngày hình thành", "Số trang scan", "Tiêu đề"])
        for r, finding in enumerate(report.paper_after_cutoff, row + 2):
            _row(ws, r, [finding.ma_ho_so, finding.formed, finding.pages, finding.tieu_de], [None, DATE, COUNT, None])
    _setup(ws, {"A": 24, "B": 22, "C": 16, "D": 50, "E": 10})


def write_xlsx(report: AnnualReport, path: Path) -> Path:
    """Render the report's figures as a workbook at ``path``: the plan's inventory, HP-Net, one sheet per phase
    (with its burn-up), pages per month, hồ sơ per year, hồ sơ gốc điện tử (with refused submissions and paper
    scans formed from 01/7/2025)."""
    wb = Workbook()
    _inventory(wb, report)
    _hp_net(wb, report)
    for status in report.statuses:
        _phase(wb, report, status)
    _pages_by_month(wb, report)
    _ho_so_by_year(wb, report)
    _born_digital(wb, report)
    wb.properties.title = f"Báo cáo kết quả số hóa tài liệu lưu trữ năm {report.year}"
    wb.properties.creator = report.agency_name
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path
