"""The yearly result report to Sở Nội vụ (due before 05/12): Vietnamese .docx and .xlsx with charts.

It reports what the plan itself reports — shelf-metres, hồ sơ, periods, counts per year — and then what was
really digitised, reviewed and handed over according to the catalogue, what is late, and the forecast. Plan
figures (seeded) and processed records are kept in separate, labelled sections; gaps in the plan's own figures
(HP-Net: 2024 missing, years summing to 1,511 of 3,035) are stated, not smoothed over.

:func:`collect` reads the catalogue; :mod:`.annual_docx` (a document in the form of NĐ 30/2020) and
:mod:`.annual_xlsx` (a workbook with native charts) render it; :func:`build` does both; :func:`publish` stores the
files in the ``exports`` bucket under :func:`export_key`. The sentences and table rows both renderings share are
here.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from ..milestones.daily import evaluate_plan
from ..milestones.definitions import STAGE_LABELS, STAGES, Plan
from ..milestones.forecast import CONDITION_LABELS
from ..milestones.inventory import (HP_NET_BY_YEAR, HP_NET_TOTAL, PlanFigure, YearlyReconciliation, plan_figures,
                                   reconcile)
from ..milestones.listing import PAGE_KINDS
from ..milestones.progress import MilestoneStatus, agency_rejected_pages
from ..born_digital import figures as born_digital_figures
from ..born_digital.figures import ELECTRONIC_FROM, BornDigitalCount, PaperAfterCutoff
from ..catalogue.db import run_query
from ..vnformat import vn_date, vn_moment, vn_number
from . import charts
from .errors import ReportError
from .nd30 import Issuer

HP_NET_RANGE = range(2019, 2026)  # the years the plan's HP-Net figures cover (2019 – 6/2025)
HP_NET_TITLE = "Hồ sơ HP-Net theo năm (số liệu kế hoạch)"
# 01/7/2025, as the plan writes it
ELECTRONIC_FROM_LABEL = f"{ELECTRONIC_FROM.day:02d}/{ELECTRONIC_FROM.month}/{ELECTRONIC_FROM.year}"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

AGENCY_NAME_SQL = "SELECT ten FROM agency WHERE ma = %(agency)s"
PAGES_BY_MONTH_SQL = """
SELECT extract(month FROM t.created_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::int AS month, count(*)
  FROM trang t JOIN ho_so hs ON hs.id = t.ho_so_id JOIN agency a ON a.id = hs.agency_id
 WHERE a.ma = %(agency)s AND extract(year FROM t.created_at AT TIME ZONE 'Asia/Ho_Chi_Minh') = %(year)s
 GROUP BY 1 ORDER BY 1
"""
HO_SO_BY_FORMATION_YEAR_SQL = """
SELECT extract(year FROM hs.thoi_gian_bat_dau)::int AS nam, count(*), coalesce(sum(hs.shelf_metres), 0)
  FROM ho_so hs JOIN agency a ON a.id = hs.agency_id
 WHERE a.ma = %(agency)s
 GROUP BY 1 ORDER BY 1 NULLS LAST
"""
# The last daily snapshot (written by the milestones DAG) of each month: what the system reported as it went.
MONTH_END_SNAPSHOTS_SQL = """
SELECT DISTINCT ON (date_trunc('month', day)) day, ho_so, pages
  FROM milestone_progress
 WHERE milestone_id = %(milestone)s AND stage = %(stage)s AND extract(year FROM day) = %(year)s
 ORDER BY date_trunc('month', day), day DESC
"""
DEADLINE_MISSES_IN_YEAR_SQL = """
SELECT dag_id, run_id, deadline_at FROM pipeline_deadline_miss
 WHERE extract(year FROM detected_at AT TIME ZONE 'Asia/Ho_Chi_Minh') = %(year)s ORDER BY detected_at
"""


@dataclass(frozen=True)
class AnnualReport:
    agency: str
    agency_name: str
    year: int
    today: dt.date
    due: dt.date
    figures: list[PlanFigure]
    hp_net: YearlyReconciliation | None
    statuses: list[MilestoneStatus]
    pages_by_month: dict[int, int]
    ho_so_by_year: list[tuple[int | None, int, float]]
    deadline_misses: list[tuple[str, str, dt.datetime | None]]
    month_ends: dict[str, list[tuple[dt.date, int, int]]]  # milestone id -> (day, hồ sơ done, pages) per month
    rejected_pages: int  # refused at intake, all of the agency's (in a phase or not)
    issuer: Issuer
    born_digital: list[BornDigitalCount]  # hồ sơ gốc điện tử by source and status: in no digitisation phase
    rejected_submissions: list[dict]  # nộp lưu submissions refused, newest first, with their first reasons
    paper_after_cutoff: list[PaperAfterCutoff]  # hồ sơ formed from 01/7/2025 that came as scanned paper
    undated_scans: int  # hồ sơ with scanned pages and no formation date: not judged against 01/7/2025

    @property
    def inventory(self) -> list[PlanFigure]:
        return [f for f in self.figures if f.holding != HP_NET_BY_YEAR]

    @property
    def hp_net_years(self) -> list[PlanFigure]:
        return [f for f in self.figures if f.holding == HP_NET_BY_YEAR]


def collect(conn, plan: Plan, agency: str, year: int, today: dt.date, agency_name: str) -> AnnualReport:
    """Everything the report shows for ``agency`` in ``year``, as of ``today``.

    ``agency_name`` is used when the catalogue has no row for the agency yet (nothing registered).
    """
    milestones = plan.for_agency(agency)
    if not milestones:
        raise ReportError(f"no milestone is configured for agency {agency!r}; known agencies: "
                          f"{sorted({m.agency for m in plan.milestones})}")
    params = {"agency": agency, "year": year}
    named = run_query(conn, f"'agency_name' for agency {agency}", AGENCY_NAME_SQL, params)
    figures = plan_figures(conn, agency)
    totals = {f.line: f for f in figures}
    by_year = [f for f in figures if f.holding == HP_NET_BY_YEAR]
    statuses = evaluate_plan(conn, plan, today, agency)
    report = AnnualReport(
        agency=agency, agency_name=named[0][0] if named else agency_name, year=year, today=today,
        due=dt.date(year, *plan.report.due_month_day), figures=figures,
        hp_net=(reconcile(totals[HP_NET_TOTAL], by_year, HP_NET_RANGE[0], HP_NET_RANGE[-1])
                if HP_NET_TOTAL in totals else None),
        statuses=statuses,
        pages_by_month=dict(run_query(conn, f"'pages_by_month' for agency {agency}", PAGES_BY_MONTH_SQL, params)),
        ho_so_by_year=[(y, int(n), float(m)) for y, n, m in run_query(
            conn, f"'ho_so_by_year' for agency {agency}", HO_SO_BY_FORMATION_YEAR_SQL, params)],
        deadline_misses=run_query(conn, f"'deadline_misses' in {year}", DEADLINE_MISSES_IN_YEAR_SQL, params),
        month_ends={s.milestone.id: run_query(
            conn, f"'month_ends' for milestone {s.milestone.id!r}", MONTH_END_SNAPSHOTS_SQL,
            {"milestone": s.milestone.id, "stage": s.milestone.done_stage, "year": year}) for s in statuses},
        rejected_pages=agency_rejected_pages(conn, agency),
        issuer=issuer_of(plan, agency, named[0][0] if named else agency_name),
        born_digital=born_digital_figures.born_digital_counts(conn, agency),
        rejected_submissions=born_digital_figures.rejected_submissions(conn, agency),
        paper_after_cutoff=born_digital_figures.paper_after_cutoff(conn, agency),
        undated_scans=born_digital_figures.undated_scans(conn, agency),
    )
    conn.rollback()
    return report


def issuer_of(plan: Plan, agency: str, agency_name: str) -> Issuer:
    """Who issues ``agency``'s report: its ``[report.issuer.<agency>]`` table, or its name alone (in capitals)."""
    raw = dict(plan.report.issuers.get(agency, {}))
    if not raw:
        return Issuer(name=agency_name.upper())
    try:
        return Issuer(**{**raw, "recipients": tuple(raw.get("recipients", ()))})
    except TypeError as exc:
        raise ReportError(f"[report.issuer.{agency}] in config/milestones.toml: {exc}") from exc


def _metres(value: float | None) -> str:
    return "—" if value is None else vn_number(value, 2)


def _count(value: int | None) -> str:
    return "không có số liệu" if value is None else vn_number(value)


def state_of(status: MilestoneStatus) -> str:
    """One plain sentence: done, on track, without a target, or which conditions hold."""
    if status.outlook.done:
        return "Đã hoàn thành"
    found = [CONDITION_LABELS[c] for c in sorted(status.conditions)]
    if status.planned_ho_so is None:
        return "; ".join(["Chưa có chỉ tiêu, chưa đánh giá được tiến độ", *found])
    return "; ".join(found) or "Đúng tiến độ"


def trouble_rows(status: MilestoneStatus) -> list[tuple[str, str, int]]:
    """(kind, label, pages) of the phase's pages that did not go through; ``kind`` names the list behind it."""
    return [(kind, label, getattr(status.pages, kind)) for kind, label in PAGE_KINDS.items()]


def inventory_rows(report: AnnualReport) -> list[list[str]]:
    return [[f.label, _metres(f.shelf_metres), _count(f.ho_so), f.period, f.note] for f in report.inventory]


def hp_net_rows(report: AnnualReport) -> list[list[str]]:
    by_year = {f.year: f for f in report.hp_net_years}
    rows = []
    for year in HP_NET_RANGE:
        figure = by_year.get(year)
        rows.append([str(year), _count(figure.ho_so if figure else None),
                     (figure.note if figure else "Kế hoạch không nêu số liệu năm này")])
    return rows


def hp_net_sentence(rec: YearlyReconciliation) -> str:
    missing = ", ".join(map(str, rec.missing_years)) or "không"
    return (f"Kế hoạch báo cáo tổng {vn_number(rec.reported_total)} hồ sơ trên HP-Net, nhưng số liệu theo năm "
            f"cộng lại chỉ {vn_number(rec.sum_of_years)} hồ sơ; chênh lệch {vn_number(rec.unexplained)} hồ sơ "
            f"chưa được đối soát. Năm không có số liệu: {missing}.")


BORN_DIGITAL_SOURCES = {"nop_luu": "Nộp lưu điện tử", "hpnet": "Nhập từ HP-Net", "khac": "Khác"}
BORN_DIGITAL_STATUSES = {"catalogued": "Đã biên mục", "reviewed": "Đã rà soát", "handed_over": "Đã bàn giao"}


def born_digital_rows(report: AnnualReport) -> list[list[str]]:
    """Hồ sơ gốc điện tử per source and status: hồ sơ, văn bản, pages (as born_digital.figures counts them)."""
    return [[BORN_DIGITAL_SOURCES.get(c.source, c.source), BORN_DIGITAL_STATUSES.get(c.status, c.status),
             vn_number(c.ho_so), vn_number(c.van_ban), vn_number(c.pages)] for c in report.born_digital]


def rejected_submissions_sentence(report: AnnualReport) -> str:
    """How many nộp lưu submissions were refused, or that none was."""
    if not report.rejected_submissions:
        return "Không có lần nộp lưu hồ sơ điện tử nào bị từ chối."
    return (f"Lần nộp lưu hồ sơ điện tử bị từ chối: {vn_number(len(report.rejected_submissions))} (cơ quan sửa "
            "và nộp lại trong một lần nộp mới):")


def rejected_submission_rows(report: AnnualReport) -> list[list[str]]:
    """Mã lần nộp, mã hồ sơ (or that none was declared), when, its first reasons."""
    return [[r["submission_id"], r["ma_ho_so"] or "không khai", vn_moment(r["received_at"]),
             "; ".join(r["reasons"]) or "không ghi lý do"] for r in report.rejected_submissions]


def paper_after_cutoff_sentence(report: AnnualReport) -> str:
    """How many hồ sơ formed from 01/7/2025 came as paper scans, and how many scanned ones could not be judged."""
    found = len(report.paper_after_cutoff)
    head = (f"Hồ sơ hình thành từ {ELECTRONIC_FROM_LABEL} nhưng nộp dưới dạng bản scan từ giấy: {vn_number(found)} "
            "(theo Kế hoạch, mục II.1.b.4, các hồ sơ này phải là hồ sơ điện tử)." if found else
            f"Không có hồ sơ nào hình thành từ {ELECTRONIC_FROM_LABEL} được nộp dưới dạng bản scan từ giấy.")
    if report.undated_scans:
        head += (f" {vn_number(report.undated_scans)} hồ sơ có bản scan chưa ghi thời gian hình thành nên chưa "
                 "kiểm tra được.")
    return head


def paper_after_cutoff_rows(report: AnnualReport) -> list[list[str]]:
    """Mã hồ sơ, tiêu đề, the day it was formed, its scanned pages."""
    return [[f.ma_ho_so, f.tieu_de, vn_date(f.formed), vn_number(f.pages)] for f in report.paper_after_cutoff]


def progress_rows(status: MilestoneStatus) -> list[list[str]]:
    plan_ho_so = status.plan.ho_so if status.plan else None
    rows = [["Kế hoạch (số liệu kế hoạch)", _count(plan_ho_so), "—",
             _metres(status.plan.shelf_metres if status.plan else None)],
            ["Đã đăng ký trong CSDL (thuộc phạm vi)", vn_number(status.registered.ho_so),
             vn_number(status.registered.pages), _metres(status.registered.shelf_metres)]]
    for stage in STAGES:
        m = status.stages[stage]
        rows.append([STAGE_LABELS[stage], vn_number(m.ho_so), vn_number(m.pages), _metres(m.shelf_metres)])
    return rows


def month_end_rows(report: AnnualReport, status: MilestoneStatus) -> list[list[str]]:
    return [[vn_date(day), vn_number(ho_so), vn_number(pages)] for day, ho_so, pages in
            report.month_ends[status.milestone.id]]


def outlook_sentence(status: MilestoneStatus) -> str:
    m, o = status.milestone, status.outlook
    planned = status.planned_ho_so
    share = f" ({vn_number(100 * status.done.ho_so / planned, 1)} %)" if planned else ""
    if planned is None:
        records = ("Chưa có hồ sơ nào thuộc giai đoạn này trong CSDL" if not status.has_records else
                   f"Đã hoàn thành {vn_number(status.done.ho_so)} trong {vn_number(status.registered.ho_so)} hồ sơ "
                   "đã đăng ký thuộc giai đoạn này")
        head = f"{status.missing_target}. {records}."
    elif not status.has_records:
        head = f"Chưa có hồ sơ nào thuộc giai đoạn này trong CSDL; chỉ tiêu {vn_number(planned)} hồ sơ."
    else:
        head = f"Đã hoàn thành {vn_number(status.done.ho_so)}/{vn_number(planned)} hồ sơ{share}."
    if o.done:
        tail = ""
    elif planned is None:
        tail = " Không dự báo ngày hoàn thành khi chưa có chỉ tiêu."
    elif o.expected is None:
        tail = " Chưa có tiến độ gần đây nên không dự báo được ngày hoàn thành."
    else:
        tail = (f" Tốc độ {vn_number(o.rate_per_day, 2)} hồ sơ/ngày; dự báo hoàn thành {vn_date(o.expected)} "
                f"(khoảng {vn_date(o.earliest)} – {vn_date(o.latest)}).")
    return f"Hạn {vn_date(m.deadline)}. {head}{tail} Tình trạng: {state_of(status)}."


def chart_images(report: AnnualReport) -> dict[str, bytes]:
    """PNG charts by name: one burn-up per milestone, the HP-Net years, pages per month."""
    images = {f"burnup-{s.milestone.id}": charts.burnup(s) for s in report.statuses}
    if report.hp_net_years:
        images["hp-net"] = charts.per_year(report.hp_net_years, HP_NET_RANGE, title=HP_NET_TITLE)
    images["pages-by-month"] = charts.per_month(report.pages_by_month, report.year)
    return images


def export_key(agency: str, year: int, suffix: str) -> str:
    """Where a report lives in the exports bucket: ``bao-cao-nam/<year>/<agency>/bao-cao-so-hoa-<year>.<ext>``."""
    return f"bao-cao-nam/{year}/{agency}/bao-cao-so-hoa-{year}.{suffix}"


def build(conn, plan: Plan, agency: str, year: int, today: dt.date, out_dir: Path, agency_name: str
          ) -> list[Path]:
    """Collect and write ``.docx`` and ``.xlsx`` into ``out_dir``; return their paths."""
    from .annual_docx import write_docx
    from .annual_xlsx import write_xlsx

    report = collect(conn, plan, agency, year, today, agency_name)
    return [write_docx(report, chart_images(report), out_dir / f"bao-cao-so-hoa-{year}-{agency}.docx"),
            write_xlsx(report, out_dir / f"bao-cao-so-hoa-{year}-{agency}.xlsx")]


def publish(s3, agency: str, year: int, paths: list[Path]) -> list[str]:
    """Store the built files in the exports bucket (overwriting last build's); return ``s3://`` URLs."""
    import botocore.exceptions

    from ..storage import EXPORTS, put_bytes

    urls = []
    for path in paths:
        suffix = path.suffix.lstrip(".")
        key = export_key(agency, year, suffix)
        try:
            put_bytes(s3, EXPORTS, key, path.read_bytes(), content_type=DOCX_TYPE if suffix == "docx" else XLSX_TYPE)
        except (OSError, botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
            raise ReportError(f"could not store {path} as s3://{EXPORTS}/{key}: {exc}") from exc
        urls.append(f"s3://{EXPORTS}/{key}")
    return urls
