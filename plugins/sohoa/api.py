"""The archive's HTTP API: search, review, page images and PDF/A files. OpenAPI docs at ``/docs`` and ``/redoc``
(offline); every call needs a bearer token.

Two roles: a *reader* sees public records only (``cong_khai``); an *archivist* sees every access level and
may resolve review items. Records marked ``mat`` or ``co_dieu_kien`` never reach a caller without that right —
the filter is in the SQL, not in this layer; a file the caller may not see answers 404 as one that does not
exist, so its existence is not given away. Served inside Airflow (plugin app under ``/sohoa/api``) or alone:
``uvicorn sohoa.api:app``.
"""
from __future__ import annotations

import datetime as dt
import hmac
import mimetypes
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Path, Query, status
from fastapi.responses import StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from . import storage
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


NOT_VISIBLE = "Không có tệp này, hoặc tài khoản không được xem hồ sơ này."
# The manifest schema's mã hồ sơ (docs/batch-contract.md); anything else names no hồ sơ and is a 422.
MA_HO_SO = Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$", description="mã hồ sơ")


def _visible_file(sql: str, params: dict) -> tuple:
    """The row ``sql`` finds for ``params`` (which carry the caller's ``levels``), a key first; 404 when it
    finds none."""
    conn = connect()
    try:
        with transaction(conn) as cur:
            cur.execute(sql, params)
            row = cur.fetchone()
    finally:
        conn.close()
    if not row or not row[0]:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_VISIBLE)
    return row


def _stream(bucket: str, key: str, version_id: str | None, media_type: str) -> StreamingResponse:
    extra = {"VersionId": version_id} if version_id else {}
    body = storage.client().get_object(Bucket=bucket, Key=key, **extra)["Body"]

    def chunks():
        try:
            yield from body.iter_chunks(storage.PART_SIZE)
        finally:
            body.close()
    return StreamingResponse(chunks(), media_type=media_type,
                             headers={"Content-Disposition": f'inline; filename="{key.rsplit("/", 1)[-1]}"'})


@app.get("/ho_so/{ma_ho_so}/trang/{so_trang}/anh", response_class=StreamingResponse,
         responses={200: {"content": {"image/jpeg": {}, "image/tiff": {}, "image/png": {}}}, 404: {}})
def page_image(who: Annotated[Caller, Depends(caller)], ma_ho_so: Annotated[str, MA_HO_SO],
               so_trang: Annotated[int, Path(ge=1, le=1_000_000)]) -> StreamingResponse:
    """The page's master image, the version the catalogue names; only of a hồ sơ the caller may see."""
    key, version = _visible_file(
        """SELECT t.master_key, t.master_version_id FROM trang t JOIN ho_so h ON h.id = t.ho_so_id
           WHERE h.ma_ho_so = %(ma)s AND t.so_trang = %(so_trang)s AND h.muc_do_tiep_can = ANY(%(levels)s)""",
        {"ma": ma_ho_so, "so_trang": so_trang, "levels": list(who.levels)})
    return _stream(storage.MASTERS, key, version, mimetypes.guess_type(key)[0] or "application/octet-stream")


@app.get("/ho_so/{ma_ho_so}/van_ban/{stt}/pdf", response_class=StreamingResponse,
         responses={200: {"content": {"application/pdf": {}}}, 404: {}})
def van_ban_pdf(who: Annotated[Caller, Depends(caller)], ma_ho_so: Annotated[str, MA_HO_SO],
                stt: Annotated[int, Path(ge=1, le=10_000)]) -> StreamingResponse:
    """The văn bản's two-layer PDF/A; only of a hồ sơ the caller may see."""
    key, bucket = _visible_file(
        """SELECT h.pdf_keys -> %(stt)s ->> 'key', coalesce(h.pdf_keys -> %(stt)s ->> 'bucket', %(derivatives)s)
           FROM ho_so h WHERE h.ma_ho_so = %(ma)s AND h.muc_do_tiep_can = ANY(%(levels)s)""",
        {"ma": ma_ho_so, "stt": str(stt), "levels": list(who.levels), "derivatives": storage.DERIVATIVES})
    return _stream(bucket, key, None, "application/pdf")
