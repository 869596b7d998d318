"""What the model shows: one summary (per phase and for the whole plan), the backlog rows and notes, printed as
tables, drawn as a chart (PNG) and written as a workbook (.xlsx). Every output reads the same lines built here.

Labels are Vietnamese; numbers in the terminal use Vietnamese separators (1.234.567; 28,07); the workbook holds
numbers as numbers, formatted by Excel in the reader's locale.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..vnformat import vn_date, vn_number
from .backlog import BASIS_COUNTED
from .model import Estimate, PhaseEstimate

DATE, COUNT, METRES, HOURS, GB, VND, TEXT = "date", "count", "metres", "hours", "gb", "vnd", "text"
DECIMALS = {COUNT: 0, METRES: 2, HOURS: 1, GB: 1, VND: 0}
EXCEL_FORMATS = {DATE: "DD/MM/YYYY", COUNT: "#,##0", METRES: "#,##0.00", HOURS: "#,##0.0", GB: "#,##0.0",
                 VND: "#,##0"}
WHOLE_PLAN = "Cả kế hoạch"

PARAMETER_LABELS = {
    "throughput": ("Năng lực xử lý", {
        "cpu_pages_per_s": ("OCR trên một lõi CPU", "trang/giây"),
        "gpu_pages_per_s": ("OCR trên một worker GPU", "trang/giây"),
        "pipeline_overhead": ("Xử lý ngoài OCR", "phần thời gian OCR"),
        "intake_pages_per_s": ("Kiểm tra tiếp nhận trên một lõi CPU", "trang/giây")}),
    "schedule": ("Thời gian làm việc", {
        "hours_per_day": ("Giờ làm việc mỗi ngày", "giờ"),
        "days_per_week": ("Ngày làm việc mỗi tuần", "ngày"),
        "utilisation": ("Hiệu suất (phần giờ làm việc thực sự xử lý)", ""),
        "catch_up_months": ("Thời gian bù cho giai đoạn quá hạn", "tháng")}),
    "conversion": ("Quy đổi số trang", {
        "pages_per_shelf_metre": ("Số trang mỗi mét giá", "trang/mét"),
        "pages_per_ho_so": ("Số trang mỗi hồ sơ (khi không có mét giá)", "trang/hồ sơ")}),
    "storage": ("Lưu trữ", {
        "master_mb_per_page": ("Bản gốc (master) mỗi trang", "MB"),
        "derivative_mb_per_page": ("Bản dẫn xuất (PDF/A, ALTO) mỗi trang", "MB"),
        "backup_copies": ("Số bản sao lưu (ngoài bản chính)", "bản"),
        "until": ("Trả phí lưu trữ đến ngày", "")}),
    "prices": ("Đơn giá", {
        "scan_per_page": ("Quét một trang", "VND/trang"),
        "storage_per_gb_month": ("Lưu trữ 1 GB trong 1 tháng (mỗi bản)", "VND/GB-tháng"),
        "cpu_worker_hour": ("Một worker CPU (lõi) trong 1 giờ", "VND/giờ"),
        "gpu_worker_hour": ("Một worker GPU trong 1 giờ", "VND/giờ")}),
}
SOURCE_LABELS = {"cpu_source": "Nguồn (CPU)", "gpu_source": "Nguồn (GPU)", "source": "Nguồn"}
BACKLOG_HEADER = ("Cơ quan", "Khối tài liệu", "Giai đoạn", "Thời hạn bảo quản", "Số hồ sơ", "Mét giá", "Số trang",
                  "Cách tính số trang", "Đã quét", "Nguồn")


@dataclass(frozen=True)
class Line:
    """One indicator: its value in each phase and for the whole plan (None: not applicable)."""

    label: str
    kind: str
    values: tuple[Any, ...]
    whole: Any = None


def _yes_no(flag: bool) -> str:
    return "có" if flag else "không"


def deadline_text(phase: PhaseEstimate, separator: str = " — ") -> str:
    """``hạn 30/11/2026``, or for an overdue phase ``QUÁ HẠN 30/11/2026 — kế hoạch bù đến 05/06/2027``."""
    if not phase.overdue:
        return f"hạn {vn_date(phase.deadline)}"
    return f"QUÁ HẠN {vn_date(phase.window.deadline)}{separator}kế hoạch bù đến {vn_date(phase.deadline)}"


def overdue_notes(est: Estimate) -> list[str]:
    """One sentence per overdue phase: its catch-up window and the setting that sets it."""
    months = est.params.schedule.catch_up_months
    return [f"{x.window.title} {deadline_text(x)}: {vn_number(x.pages)} trang còn lại được tính trong {months} "
            f"tháng bù, từ {vn_date(x.start)} ([schedule] catch_up_months, --catch-up-months)."
            for x in est.phases if x.overdue]


def summary_lines(est: Estimate) -> list[Line]:
    """The indicators of the summary table, phase by phase; money in VND."""
    p, storage = est.phases, est.params.storage

    def line(label: str, kind: str, values: list, whole: Any = None) -> Line:
        return Line(label, kind, tuple(values), whole)

    def summed(label: str, kind: str, values: list) -> Line:
        return line(label, kind, values, sum(values))

    overdue = ([line("Tình trạng hạn", TEXT, [deadline_text(x) if x.overdue else "còn hạn" for x in p])]
               if any(x.overdue for x in p) else [])
    lines = [
        line("Hạn", DATE, [x.window.deadline for x in p]),
        *overdue,
        line("Bắt đầu tính từ", DATE, [x.start for x in p]),
        summed("Ngày làm việc còn lại", COUNT, [x.working_days for x in p]),
        summed("Giờ xử lý thực tế", HOURS, [x.productive_hours for x in p]),
        summed("Số hồ sơ", COUNT, [x.ho_so for x in p]),
        summed("Mét giá", METRES, [x.shelf_metres for x in p]),
        summed("Số trang", COUNT, [x.pages for x in p]),
        summed("  trong đó ước tính", COUNT, [x.estimated_pages for x in p]),
        summed("Trang cần quét", COUNT, [x.scan_pages for x in p]),
        line("Số worker CPU cần", COUNT, [x.cpu_workers for x in p], max((x.cpu_workers for x in p), default=0)),
        line("Số worker GPU cần", COUNT, [x.gpu_workers for x in p], max((x.gpu_workers for x in p), default=0)),
        summed("Giờ worker nếu chỉ dùng CPU", HOURS, [x.cpu_worker_hours for x in p]),
        summed("Giờ worker nếu chỉ dùng GPU", HOURS, [x.gpu_worker_hours for x in p]),
    ]
    if est.fleet:
        runs = [x.fleet for x in p]
        lines += [line("Đội hiện có xong ngày", DATE, [r.finish for r in runs],
                       max((r.finish for r in runs if r.finish), default=None)),
                  line("Kịp hạn", TEXT, [_yes_no(x.fleet.meets_deadline) + (" (hạn bù)" if x.overdue else "")
                                         for x in p],
                       _yes_no(all(r.meets_deadline for r in runs)))]
    compute = (f"đội {est.fleet.cpu_workers} CPU + {est.fleet.gpu_workers} GPU" if est.fleet
               else "chỉ dùng CPU")
    lines += [
        summed("Dung lượng lưu trữ (GB, một bản)", GB, [x.storage_gb for x in p]),
        summed("Chi phí quét (VND)", VND, [x.costs.scanning for x in p]),
        summed(f"Chi phí lưu trữ (VND, {storage.copies} bản đến {vn_date(storage.until)})", VND,
               [x.costs.storage for x in p]),
        summed(f"Chi phí tính toán (VND, {compute})", VND, [x.costs.compute for x in p]),
        summed("Chi phí (VND)", VND, [x.costs.total for x in p]),
        summed("Tham khảo: tính toán nếu chỉ dùng GPU (VND)", VND, [x.costs.gpu_compute for x in p]),
        line("Lưu trữ mỗi năm khi đã đủ khối lượng (VND)", VND, [None] * len(p), est.yearly_storage_cost),
    ]
    return lines


def backlog_lines(est: Estimate) -> list[tuple]:
    """One tuple per backlog row, in the order of :data:`BACKLOG_HEADER`."""
    return [(s.row.agency, s.row.holding, s.row.phase, s.row.retention, s.row.ho_so, s.row.shelf_metres, s.pages,
             s.basis, _yes_no(s.row.scanned), s.row.source) for phase in est.phases for s in phase.rows]


def notes(est: Estimate) -> list[str]:
    """What the reader must know to trust the numbers: sources, conversions, assumptions."""
    tp, sc, cv, st = est.params.throughput, est.params.schedule, est.params.conversion, est.params.storage
    estimated = sum(x.estimated_pages for x in est.phases)
    lines = [f"Số liệu tồn đọng: {est.backlog.origin}.", *est.backlog.notes]
    if estimated:
        lines.append(f"{vn_number(estimated)} trang là số ước tính: dòng không có số trang được quy đổi "
                     f"{vn_number(cv.pages_per_shelf_metre)} trang/mét giá, hoặc {vn_number(cv.pages_per_ho_so)} "
                     f"trang/hồ sơ khi không có mét giá (--pages-per-shelf-metre, --pages-per-ho-so).")
    for kind, ocr, rate, source in (("CPU (một lõi)", tp.cpu_pages_per_s, tp.cpu, tp.cpu_source),
                                    ("GPU", tp.gpu_pages_per_s, tp.gpu, tp.gpu_source)):
        lines.append(f"Một worker {kind}: OCR {vn_number(ocr, 2)} trang/giây, cộng "
                     f"{vn_number(tp.pipeline_overhead * 100)} % xử lý và kiểm tra tiếp nhận "
                     f"{vn_number(tp.intake_pages_per_s)} trang/giây/lõi = {vn_number(rate, 3)} trang/giây. {source}.")
    lines += [
        f"Thời gian: {vn_number(sc.hours_per_day)} giờ/ngày, {sc.days_per_week} ngày/tuần, hiệu suất "
        f"{vn_number(sc.utilisation * 100)} %; mỗi giai đoạn tính từ ngày bắt đầu của nó (hoặc hôm nay, nếu muộn "
        f"hơn) đến hạn. Cột «{WHOLE_PLAN}» của số worker là số lớn nhất: các giai đoạn làm nối tiếp nhau.",
        *overdue_notes(est),
        f"Lưu trữ: ({vn_number(st.master_mb_per_page, 1)} + {vn_number(st.derivative_mb_per_page, 1)}) MB/trang × "
        f"{st.copies} bản (bản chính và {st.backup_copies} bản sao lưu), tính từ giữa mỗi giai đoạn đến "
        f"{vn_date(st.until)}.",
        f"Đơn giá: {est.params.prices.source}.",
    ]
    if est.fleet:
        lines.append(f"Đội hiện có: {est.fleet.cpu_workers} worker CPU và {est.fleet.gpu_workers} worker GPU, làm "
                     f"lần lượt từng giai đoạn; chi phí tính toán là giờ chạy của cả đội.")
    return lines


def show(value: Any, kind: str) -> str:
    """``value`` as text for the terminal: Vietnamese dates and separators; None as empty."""
    if value is None:
        return ""
    if kind == DATE:
        return "sau năm 9999" if value == dt.date.max else vn_date(value)
    if kind == TEXT:
        return str(value)
    return vn_number(value, DECIMALS[kind])


def print_report(est: Estimate, console=None) -> None:
    """Print the summary, the backlog rows and the notes (rich tables)."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    summary = Table(title=f"Năng lực và dự toán kinh phí số hóa — tính đến {vn_date(est.today)}", title_style="bold")
    summary.add_column("Chỉ tiêu")
    for phase in est.phases:
        summary.add_column(phase.window.title, justify="right")
    summary.add_column(WHOLE_PLAN, justify="right", no_wrap=True)
    for line in summary_lines(est):
        summary.add_row(line.label, *(show(v, line.kind) for v in line.values), show(line.whole, line.kind),
                        style="bold" if line.label == "Chi phí (VND)" else None)
    console.print(summary)
    rows = Table(title="Khối lượng tồn đọng (* số trang ước tính; đủ cột trong sheet Backlog)", title_style="bold")
    rows.add_column("GĐ", no_wrap=True)
    rows.add_column("Thời hạn BQ", max_width=9)
    rows.add_column("Cơ quan — khối tài liệu", min_width=18)
    for title in ("Hồ sơ", "Mét giá", "Số trang", "Cần quét"):
        rows.add_column(title, justify="right", no_wrap=True)
    for phase in est.phases:
        for s in phase.rows:
            rows.add_row(str(s.row.phase), s.row.retention, f"{s.row.agency} — {s.row.holding}",
                         show(s.row.ho_so, COUNT), show(s.row.shelf_metres, METRES),
                         show(s.pages, COUNT) + ("" if s.basis == BASIS_COUNTED else "*"), show(s.scan_pages, COUNT))
    console.print(rows)
    for note in notes(est):
        console.print(f"• {note}", highlight=False, markup=False)


def chart_png(est: Estimate) -> bytes:
    """One panel per phase (each on its own scale): pages to do, and what the workers needed — and the fleet, if
    given — can do by the deadline."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.ticker import FuncFormatter

    cpu_rate = est.params.throughput.cpu * 3600
    fig, axes = plt.subplots(1, len(est.phases), figsize=(3.8 * len(est.phases) + 0.5, 4),
                             squeeze=False, layout="constrained")
    for ax, phase in zip(axes[0], est.phases):
        bars = [("Cần xử lý", phase.pages, "#555555"),
                (f"{phase.cpu_workers} worker CPU\ncần, đến hạn", phase.cpu_workers * cpu_rate * phase.productive_hours,
                 "#1f6fb2")]
        if est.fleet:
            bars.append(("Đội hiện có,\nđến hạn",
                         est.fleet.pages_per_s(est.params) * 3600 * phase.productive_hours, "#e08a00"))
        drawn = ax.bar([name for name, _, _ in bars], [value for _, value, _ in bars],
                       color=[colour for _, _, colour in bars])
        ax.bar_label(drawn, labels=[vn_number(value) for _, value, _ in bars], fontsize=8, padding=2)
        ax.set_title(f"{phase.window.title} — " + deadline_text(phase, "\n"), fontsize=10,
                     color="#b00020" if phase.overdue else "black")
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: vn_number(v)))
        ax.tick_params(axis="x", labelsize=8)
        ax.margins(y=0.15)
    axes[0][0].set_ylabel("Trang")
    fig.suptitle(f"Khối lượng và năng lực đến hạn (tính đến {vn_date(est.today)})")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=130, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def parameter_lines(est: Estimate) -> list[tuple[str, str, Any, str]]:
    """(group, parameter, value, unit) for every model parameter, then each group's source."""
    out = []
    for section, (group, labels) in PARAMETER_LABELS.items():
        values = getattr(est.params, section)
        for field in dataclasses.fields(values):
            if field.name in labels:
                label, unit = labels[field.name]
                out.append((group, label, getattr(values, field.name), unit))
        if section == "throughput":
            out += [(group, "Một worker CPU, trọn quy trình", round(values.cpu, 4), "trang/giây"),
                    (group, "Một worker GPU, trọn quy trình", round(values.gpu, 4), "trang/giây")]
        out += [(group, SOURCE_LABELS[f.name], getattr(values, f.name), "")
                for f in dataclasses.fields(values) if f.name in SOURCE_LABELS]
    return out


def write_xlsx(est: Estimate, chart: bytes, path: Path) -> Path:
    """The workbook: sheets "Tổng hợp" (summary, notes, chart), "Backlog" and "Đơn giá" (parameters)."""
    from openpyxl import Workbook
    from openpyxl.drawing.image import Image
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    ws.title = "Tổng hợp"
    ws.append([f"Dự toán kinh phí số hóa — tính đến {vn_date(est.today)}"])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append(["Chỉ tiêu", *(x.window.title for x in est.phases), WHOLE_PLAN])
    for line in summary_lines(est):
        ws.append([line.label, *line.values, line.whole])
        if line.kind in EXCEL_FORMATS:
            for cell in ws[ws.max_row][1:]:
                cell.number_format = EXCEL_FORMATS[line.kind]
    ws.append([])
    ws.append(["Ghi chú"])
    for note in notes(est):
        ws.append([note])
    ws.add_image(Image(io.BytesIO(chart)), f"A{ws.max_row + 2}")

    backlog = wb.create_sheet("Backlog")
    backlog.append(list(BACKLOG_HEADER))
    for values in backlog_lines(est):
        backlog.append(list(values))

    prices = wb.create_sheet("Đơn giá")
    prices.append(["Nhóm", "Tham số", "Giá trị", "Đơn vị"])
    for row in parameter_lines(est):
        prices.append(list(row))
        if isinstance(row[2], dt.date):
            prices.cell(prices.max_row, 3).number_format = EXCEL_FORMATS[DATE]

    for sheet, header_row, widths in ((ws, 2, {"A": 50}), (backlog, 1, {"B": 50, "J": 60}),
                                      (prices, 1, {"A": 20, "B": 44, "C": 60})):
        for cell in sheet[header_row]:
            cell.font = Font(bold=True)
        for column in sheet.columns:
            letter = column[0].column_letter
            sheet.column_dimensions[letter].width = widths.get(letter, 18)
    for (cell,) in prices.iter_rows(min_col=3, max_col=3):
        cell.alignment = Alignment(wrap_text=True, horizontal="left")
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def write_outputs(est: Estimate, out_dir: Path) -> list[Path]:
    """Write ``nang-luc-<day>.png`` and ``du-toan-kinh-phi-<day>.xlsx`` into ``out_dir``; return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    chart = chart_png(est)
    png = out_dir / f"nang-luc-{est.today.isoformat()}.png"
    png.write_bytes(chart)
    return [png, write_xlsx(est, chart, out_dir / f"du-toan-kinh-phi-{est.today.isoformat()}.xlsx")]
