"""The page "Tìm kiếm hồ sơ": full-text search of the catalogue in the browser, inside Airflow's UI.

Mounted by the Airflow plugin at ``/sohoa/tim-kiem`` (see :mod:`sohoa.web`). One search box and the filters of
``sohoa search`` (phông, năm, tên loại, thời hạn bảo quản, mức độ tiếp cận); hits grouped by hồ sơ, each page
with its snippet, matches highlighted. The same :func:`sohoa.search.search` as the CLI and the API, so ranking,
typo correction and access levels agree. Every route needs an Airflow login; an Airflow ``admin`` or ``op``
(the archivists) searches every access level, any other user public records only (``cong_khai``). No script
and no style from outside the page: it works offline.
"""
from __future__ import annotations

import functools
import html
import time

from fastapi import Depends, FastAPI, Query
from fastapi.responses import HTMLResponse, Response

from ..errors import SearchError, SohoaError
from ..glossary import MUC_DO_TIEP_CAN, THOI_HAN_BAO_QUAN
from ..search import MAX_QUERY_CHARS, Filters, SearchResult, search
from .forms import environment, install_error_pages, levels_of, user_dependency

PAGE_LIMIT = 50  # pages shown per search


def marked(snippet: str) -> str:
    """A snippet as HTML: the text escaped, the matches «…» as <mark>."""
    return html.escape(snippet).replace("«", "<mark>").replace("»", "</mark>")


@functools.cache
def _environment():
    """The pages' Jinja environment with the ``marked`` filter, made once: a new one per request compiled the
    template again each time: 13 ms of a page's ~100 ms on this machine, against under 2 ms."""
    from markupsafe import Markup

    env = environment()
    env.filters["marked"] = lambda s: Markup(marked(s))
    return env


def render(query: str, filters: Filters, levels: tuple[str, ...], result: SearchResult | None, error: str | None,
           elapsed_ms: float | None) -> str:
    return _environment().get_template("search.html").render(
        query=query, filters=filters, levels=levels, result=result, error=error, elapsed_ms=elapsed_ms,
        thbq=THOI_HAN_BAO_QUAN, mdtc=MUC_DO_TIEP_CAN, max_chars=MAX_QUERY_CHARS, limit=PAGE_LIMIT)


def create_app() -> FastAPI:
    """The search page app; every route requires an Airflow user."""
    app = FastAPI(title="Tìm kiếm hồ sơ", docs_url=None, redoc_url=None, openapi_url=None)
    get_user = user_dependency()
    install_error_pages(app)

    @app.get("/", response_class=HTMLResponse)
    def page(user=Depends(get_user), q: str = Query("", max_length=MAX_QUERY_CHARS * 20), phong: str = "",
             year: str = "", ten_loai: str = "", thoi_han_bao_quan: str = "", muc_do_tiep_can: str = "") -> Response:
        from ..catalogue.db import open_catalogue, transaction

        levels = levels_of(user)
        error, result, elapsed = None, None, None
        filters = Filters(phong=phong.strip() or None, ten_loai=ten_loai.strip() or None,
                          thoi_han_bao_quan=thoi_han_bao_quan if thoi_han_bao_quan in THOI_HAN_BAO_QUAN else None,
                          muc_do_tiep_can=muc_do_tiep_can if muc_do_tiep_can in MUC_DO_TIEP_CAN else None)
        if year.strip():
            if not year.strip().isdigit():
                error = f"Năm phải là một số, ví dụ 2015, không phải «{year}»."
            else:
                filters = Filters(**{**filters.__dict__, "year": int(year)})
        if q.strip() and error is None:
            started = time.perf_counter()
            try:
                conn = open_catalogue()
                try:
                    with transaction(conn):
                        result = search(conn, q, levels=levels, filters=filters, limit=PAGE_LIMIT)
                finally:
                    conn.close()
            except SearchError as exc:
                error = str(exc)
            except SohoaError as exc:
                return HTMLResponse(f"<h1>Tìm kiếm hồ sơ</h1><p>Không tìm được lúc này: {html.escape(str(exc))}</p>",
                                    status_code=503)
            elapsed = (time.perf_counter() - started) * 1000
        return HTMLResponse(render(q, filters, levels, result, error, elapsed))

    return app
