"""The archive's HTTP API: search and review. OpenAPI docs at ``/docs`` and ``/redoc`` (offline); every call needs a bearer token.

Two roles: a *reader* sees public records only (``cong_khai``); an *archivist* sees every access level and
may resolve review items. Records marked ``mat`` or ``co_dieu_kien`` never reach a caller without that right —
the filter is in the SQL, not in this layer. Served inside Airflow (plugin app under ``/sohoa/api``) or alone:
``uvicorn sohoa.api:app``.
"""
from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Query, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from .catalogue.db import connect, transaction
from .config import settings
from .errors import SearchError
from .glossary import MUC_DO_TIEP_CAN
from .processing.errors import ReviewError
from .processing.review import EDITABLE_FIELDS, RESOLUTIONS, list_items, resolve
from .search import MAX_QUERY_CHARS, PUBLIC, Filters, search
from .web.apidocs import serve_docs_offline


@dataclass(frozen=True)
class Caller:
    name: str
    levels: tuple[str, ...]
    can_review: bool


_bearer = HTTPBearer(auto_error=False)


def caller(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Caller:
    """The caller behind a bearer token; 401 without a valid one."""
    cfg = settings()
    token = credentials.credentials if credentials else ""
    if token and hmac.compare_digest(token, cfg.api_archivist_token):
        return Caller("archivist", tuple(MUC_DO_TIEP_CAN), True)
    if token and hmac.compare_digest(token, cfg.api_reader_token):
        return Caller("reader", (PUBLIC,), False)
    raise HTTPException(status.HTTP_401_UNAUTHORIZED, "Cần mã truy cập hợp lệ (Authorization: Bearer …).",
                        headers={"WWW-Authenticate": "Bearer"})


class HitOut(BaseModel):
    """One page; the same keys as ``sohoa search --json`` (both come from ``SearchResult.as_json``)."""

    ma_ho_so: str
    tieu_de: str
    trang: int = Field(description="page number within the hồ sơ")
    diem: float = Field(description="score: +2 every word as typed with its diacritics, +1 words side by side, "
                                    "+ density in [0, 1)")
    trich_doan: str = Field(description="snippet centred on the match, matches in «»")
    muc_do_tiep_can: str


class HoSoOut(BaseModel):
    ma_ho_so: str
    tieu_de: str
    muc_do_tiep_can: str
    diem: float = Field(description="the best page's score")
    hits: list[HitOut]


class SearchOut(BaseModel):
    query: str
    terms: list[str]
    corrections: dict[str, str]
    hits: list[HitOut] = Field(description="pages, best first")
    ho_so: list[HoSoOut] = Field(description="the same pages grouped by hồ sơ, in the order of their best page")


class ReviewItemOut(BaseModel):
    id: int
    object_type: str
    object_id: int
    reason: str
    status: str
    ma_ho_so: str
    so_trang: int | None
    created_at: dt.datetime
    detail: dict
    reading_quality: float | None = Field(
        default=None, description="the page's OCR reading quality, 0..1 (lower reads worse; the list shows "
                                  "the lowest first); null for văn bản and hồ sơ items and unscored pages")


class ResolveIn(BaseModel):
    resolution: str = Field(description=f"one of {', '.join(RESOLUTIONS)}")
    corrections: dict[str, str] = Field(default_factory=dict, description=f"fields: {', '.join(EDITABLE_FIELDS)}")


app = FastAPI(title="sohoa — tìm kiếm và duyệt hồ sơ", version="1.0", docs_url=None, redoc_url=None,
              description="Search the digitised archive (with or without diacritics) and review proposed metadata.")
serve_docs_offline(app)  # /docs and /redoc with local scripts: the CDN ones stay blank offline


@app.get("/health")
def health() -> dict:
    return {"status": "ok"}


@app.get("/search", response_model=SearchOut)
def search_endpoint(
    who: Annotated[Caller, Depends(caller)],
    q: Annotated[str, Query(max_length=MAX_QUERY_CHARS * 20, description="words to find")],
    phong: str | None = None, year: int | None = None, ten_loai: str | None = None,
    thoi_han_bao_quan: str | None = None, muc_do_tiep_can: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> SearchOut:
    filters = Filters(phong=phong, year=year, ten_loai=ten_loai, thoi_han_bao_quan=thoi_han_bao_quan,
                      muc_do_tiep_can=muc_do_tiep_can)
    conn = connect()
    try:
        with transaction(conn):
            result = search(conn, q, levels=who.levels, filters=filters, limit=limit)
    except SearchError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
    finally:
        conn.close()
    return SearchOut(**result.as_json())


def _reviewer(who: Annotated[Caller, Depends(caller)]) -> Caller:
    if not who.can_review:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "Tài khoản này không có quyền duyệt hồ sơ.")
    return who


@app.get("/review", response_model=list[ReviewItemOut])
def review_list(who: Annotated[Caller, Depends(_reviewer)], ho_so: str | None = None,
                limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[ReviewItemOut]:
    conn = connect()
    try:
        with transaction(conn) as cur:
            items = list_items(cur, ma_ho_so=ho_so, limit=limit)
    finally:
        conn.close()
    return [ReviewItemOut(**vars(i)) for i in items]


@app.post("/review/{item_id}", response_model=ReviewItemOut)
def review_resolve(item_id: int, body: ResolveIn, who: Annotated[Caller, Depends(_reviewer)]) -> ReviewItemOut:
    conn = connect()
    try:
        with transaction(conn) as cur:
            item = resolve(cur, item_id, reviewer=f"api:{who.name}", resolution=body.resolution,
                           corrections=body.corrections)
    except ReviewError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    finally:
        conn.close()
    return ReviewItemOut(**vars(item))
