"""The page "Tiến độ số hóa": where each agency stands against each phase of the plan, inside Airflow's UI.

Mounted by the Airflow plugin at ``/sohoa/tien-do`` (see :mod:`sohoa.web`). Every route needs an Airflow login
(the ``_token`` cookie Airflow's UI sets, or a bearer JWT); without one the page sends the browser to Airflow's
login page and back. The page is read-only: it evaluates the milestones as of today (Việt Nam time, or
``?today=YYYY-MM-DD``) with the same code as the DAG and the yearly report, so the three always agree.
Each agency also gets the count of OCR'd pages whose reading quality is below the review threshold
(``ocr_engine.evidence.REVIEW_SCORE``), from ``trang.reading_quality``, and of OCR'd pages with no score.
"""
from __future__ import annotations

import datetime as dt
import html
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from ..errors import SohoaError
from ..glossary import VERDICT
from ..vnformat import vn_moment
from .batch_page import list_batches
from .forms import install_error_pages, user_dependency

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).with_name("templates")
REPORT_PREFIX = "bao-cao-nam/"
REPORT_NAME = re.compile(r"^(?P<year>\d{4})/(?P<agency>[A-Za-z0-9-]+)/bao-cao-so-hoa-(?P=year)\.(?P<ext>docx|xlsx)$")
PIPELINE_DAGS = ("sohoa_intake", "sohoa_process", "sohoa_milestones", "sohoa_annual_report")
RECENT_BATCHES = 8  # newest vendor batches shown, each linking to its batch page (/sohoa/lo)

# OCR'd pages of one agency by reading quality. The threshold is compared as ``real``, the column's type, so a
# page scored exactly at the threshold is not below it here either (as in ocr_engine, which flags score < it).
READING_QUALITY_SQL = """
SELECT count(*) FILTER (WHERE t.reading_quality < %(threshold)s::real),
       count(t.reading_quality),
       count(*) FILTER (WHERE t.reading_quality IS NULL)
  FROM trang t JOIN ho_so hs ON hs.id = t.ho_so_id JOIN agency a ON a.id = hs.agency_id
 WHERE a.ma = %(agency)s AND t.ocr_status = 'done'
"""


# The pages behind those two counts, worst-read first.
READING_QUALITY_LIST_SQL = """
SELECT hs.ma_ho_so, t.so_trang, t.reading_quality, t.master_key
  FROM trang t JOIN ho_so hs ON hs.id = t.ho_so_id JOIN agency a ON a.id = hs.agency_id
 WHERE a.ma = %(agency)s AND t.ocr_status = 'done'
   AND CASE %(kind)s WHEN 'below' THEN t.reading_quality < %(threshold)s::real
                     WHEN 'unscored' THEN t.reading_quality IS NULL END
 ORDER BY t.reading_quality NULLS LAST, hs.ma_ho_so, t.so_trang
 LIMIT %(limit)s
"""
READING_QUALITY_KINDS = {"below": "Trang chất lượng đọc thấp", "unscored": "Trang đã OCR chưa có điểm"}


@dataclass(frozen=True)
class ReadingQuality:
    """One agency's OCR'd pages against the review threshold, counted from the catalogue."""

    threshold: float  # ocr_engine.evidence.REVIEW_SCORE: a kept reading below it is flagged for review
    below: int  # pages whose reading quality is below ``threshold``
    scored: int  # pages with a reading quality
    unscored: int  # pages OCR'd without one: read before the score existed, or with no words to judge


def _today(value: str | None) -> dt.date:
    from ..vntime import VN_TZ

    if value is None:
        return dt.datetime.now(VN_TZ).date()
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise HTTPException(status_code=400, detail=f"today phải có dạng YYYY-MM-DD, không phải {value!r}") from exc


def recent_runs(limit: int = 12) -> list[dict]:
    """The latest runs of sohoa's DAGs from Airflow's metadata database, newest first."""
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        rows = session.execute(
            select(DagRun.dag_id, DagRun.run_id, DagRun.state, DagRun.run_after)
            .where(DagRun.dag_id.in_(PIPELINE_DAGS)).order_by(DagRun.run_after.desc()).limit(limit)).all()
    return [{"dag_id": d, "run_id": r, "state": str(s), "run_after": a} for d, r, s, a in rows]


def report_links(s3) -> list[dict]:
    """The yearly reports stored in the exports bucket, newest year first."""
    from ..storage import EXPORTS

    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=EXPORTS, Prefix=REPORT_PREFIX)
    links = []
    for page in pages:
        for obj in page.get("Contents", []):
            match = REPORT_NAME.match(obj["Key"][len(REPORT_PREFIX):])
            if match:
                links.append({**match.groupdict(), "path": obj["Key"][len(REPORT_PREFIX):],
                              "stored": obj["LastModified"]})
    return sorted(links, key=lambda link: (link["year"], link["agency"], link["ext"]), reverse=True)


def reading_quality(conn, agency: str) -> ReadingQuality:
    """How many of ``agency``'s OCR'd pages read below the review threshold, and how many have no score.

    Raises :class:`sohoa.catalogue.db.CatalogueQueryError` when the catalogue cannot be read.
    """
    from ocr_engine.evidence import REVIEW_SCORE

    from ..catalogue.db import run_query

    (below, scored, unscored), = run_query(conn, f"'reading_quality' for agency {agency}", READING_QUALITY_SQL,
                                           {"agency": agency, "threshold": REVIEW_SCORE})
    conn.rollback()
    return ReadingQuality(REVIEW_SCORE, int(below), int(scored), int(unscored))


def render_page(conn, s3, plan, today: dt.date, agency_name: str, runs: list[dict]) -> str:
    """The whole page as HTML (charts inline as SVG)."""
    import jinja2
    from markupsafe import Markup

    from .. import vnformat
    from ..milestones.definitions import STAGES
    from ..milestones.forecast import CONDITION_LABELS
    from ..reports import annual, charts

    agencies = []
    for agency in sorted({m.agency for m in plan.milestones}):
        report = annual.collect(conn, plan, agency, today.year, today, agency_name)
        agencies.append({
            "report": report,
            "reading_quality": reading_quality(conn, agency),
            "milestones": [{
                "status": status,
                "rows": list(zip((None, "registered", *STAGES), annual.progress_rows(status))),
                "sentence": annual.outlook_sentence(status),
                "state": annual.state_of(status),
                "troubles": annual.trouble_rows(status),
                "days_left": (status.milestone.deadline - today).days,
                "burnup": Markup(_svg(charts.burnup(status, "svg"))),
                "pages_per_day": Markup(_svg(charts.pages_per_day(status, "svg"))),
            } for status in report.statuses],
            "inventory": annual.inventory_rows(report),
            "born_digital": annual.born_digital_rows(report),
            "rejected_submissions": annual.rejected_submission_rows(report),
            "rejected_submissions_sentence": annual.rejected_submissions_sentence(report),
            "paper_after_cutoff": annual.paper_after_cutoff_rows(report),
            "paper_after_cutoff_sentence": annual.paper_after_cutoff_sentence(report),
            "hp_net": annual.hp_net_rows(report) if report.hp_net else [],
            "hp_net_sentence": annual.hp_net_sentence(report.hp_net) if report.hp_net else "",
            "hp_net_chart": Markup(_svg(charts.per_year(report.hp_net_years, annual.HP_NET_RANGE, "svg",
                                                        annual.HP_NET_TITLE))) if report.hp_net_years else "",
        })
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
    with conn.cursor() as cur:
        batches = list_batches(cur, limit=RECENT_BATCHES)
    conn.rollback()
    return env.get_template("dashboard.html").render(
        today=today, agencies=agencies, runs=runs, reports=report_links(s3), vn_date=vnformat.vn_date,
        vn_number=vnformat.vn_number, condition_labels=CONDITION_LABELS, batches=batches, verdicts=VERDICT)


def _stage_title(stage: str) -> str | None:
    """"Hồ sơ: <stage label>" for a stage a count can be listed at, else None."""
    from ..milestones.definitions import STAGE_LABELS

    label = {"registered": "Đã đăng ký trong CSDL", **STAGE_LABELS}.get(stage)
    return f"Hồ sơ: {label}" if label else None


def _milestone(milestone_id: str):
    """The configured milestone ``milestone_id``; 404 (Vietnamese) when there is none."""
    from ..milestones.definitions import load_plan

    found = next((m for m in load_plan().milestones if m.id == milestone_id), None)
    if found is None:
        raise HTTPException(status_code=404, detail=f"Không có mốc {milestone_id!r} trong kế hoạch")
    return found


def render_list(title: str, header: list[str], rows: list[list[str]]) -> str:
    """A page listing the records behind one count: a title, a table, a link back to the dashboard."""
    import jinja2

    from ..milestones.listing import LIMIT

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
    return env.get_template("list.html").render(title=title, header=header, rows=rows, limit=LIMIT)


def _svg(data: bytes) -> str:
    """Matplotlib's SVG without its XML prologue, ready to inline."""
    text = data.decode("utf-8")
    return text[text.index("<svg"):]


def create_app() -> FastAPI:
    """The dashboard app; every route requires an Airflow user."""
    app = FastAPI(title="Tiến độ số hóa", docs_url=None, redoc_url=None, openapi_url=None)
    user = Depends(user_dependency())

    install_error_pages(app)

    @app.exception_handler(SohoaError)
    async def unavailable(request: Request, exc: SohoaError):
        log.error("dashboard %s failed: %s", request.url.path, exc)
        return HTMLResponse(f"<h1>Tiến độ số hóa</h1><p>Không lấy được số liệu: {html.escape(str(exc))}</p>",
                            status_code=503)

    @app.get("/", response_class=HTMLResponse, dependencies=[user])
    def page(today: str | None = None) -> HTMLResponse:
        from ..config import settings
        from ..milestones.definitions import load_plan
        from ..catalogue.db import open_catalogue
        from ..storage import client

        conn = open_catalogue()
        try:
            body = render_page(conn, client(), load_plan(), _today(today), settings().agency, recent_runs())
        finally:
            conn.close()
        return HTMLResponse(body)

    @app.get("/ho-so", response_class=HTMLResponse, dependencies=[user])
    def ho_so_list(milestone: str, stage: str) -> HTMLResponse:
        from ..catalogue.db import open_catalogue
        from ..milestones.listing import ho_so_at_stage

        found, title = _milestone(milestone), _stage_title(stage)
        if title is None:
            raise HTTPException(status_code=404, detail=f"Không có bước xử lý {stage!r}")
        conn = open_catalogue()
        try:
            rows = ho_so_at_stage(conn, found, stage)
        finally:
            conn.close()
        return HTMLResponse(render_list(f"{title} — {found.title}", ["Mã hồ sơ", "Số trang", "Thời điểm"],
                                        [[r.ma_ho_so, str(r.pages), vn_moment(r.reached_at) if r.reached_at else ""]
                                         for r in rows]))

    @app.get("/trang", response_class=HTMLResponse, dependencies=[user])
    def page_list(milestone: str, kind: str) -> HTMLResponse:
        from ..catalogue.db import open_catalogue
        from ..milestones.listing import PAGE_KINDS, pages_behind

        found = _milestone(milestone)
        if kind not in PAGE_KINDS:
            raise HTTPException(status_code=404, detail=f"Không có loại trang {kind!r}")
        conn = open_catalogue()
        try:
            rows = pages_behind(conn, found, kind)
        finally:
            conn.close()
        return HTMLResponse(render_list(f"{PAGE_KINDS[kind]} — {found.title}",
                                        ["Mã hồ sơ", "Trang", "Nguồn", "Lý do / trạng thái"],
                                        [[r.ma_ho_so, "" if r.so_trang is None else str(r.so_trang), r.source,
                                          "; ".join(r.why)] for r in rows]))

    @app.get("/trang-doc", response_class=HTMLResponse, dependencies=[user])
    def reading_quality_list(agency: str, kind: str) -> HTMLResponse:
        from ocr_engine.evidence import REVIEW_SCORE

        from ..catalogue.db import open_catalogue, run_query
        from ..milestones.listing import LIMIT

        if kind not in READING_QUALITY_KINDS:
            raise HTTPException(status_code=404, detail=f"Không có loại trang {kind!r}")
        conn = open_catalogue()
        try:
            rows = run_query(conn, f"'reading_quality_list' for agency {agency}", READING_QUALITY_LIST_SQL,
                             {"agency": agency, "kind": kind, "threshold": REVIEW_SCORE, "limit": LIMIT})
        finally:
            conn.close()
        return HTMLResponse(render_list(
            f"{READING_QUALITY_KINDS[kind]} — {agency}", ["Mã hồ sơ", "Trang", "Chất lượng đọc", "Ảnh gốc"],
            [[ma, str(so_trang), "" if score is None else f"{score:.2f}", key] for ma, so_trang, score, key in rows]))

    @app.get("/bao-cao/{path:path}", dependencies=[user])
    def report_file(path: str) -> Response:
        from ..reports.annual import DOCX_TYPE, XLSX_TYPE
        from ..storage import EXPORTS, client

        match = REPORT_NAME.match(path)
        if not match:
            raise HTTPException(status_code=404, detail=f"Không có báo cáo {path!r}")
        s3 = client()
        try:
            body = s3.get_object(Bucket=EXPORTS, Key=REPORT_PREFIX + path)["Body"].read()
        except s3.exceptions.NoSuchKey as exc:
            raise HTTPException(status_code=404, detail=f"Chưa có báo cáo {path!r}") from exc
        name = path.rsplit("/", 1)[1]
        return Response(body, media_type=DOCX_TYPE if match["ext"] == "docx" else XLSX_TYPE,
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    return app
