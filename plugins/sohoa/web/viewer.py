"""The page viewer "Xem trang": a page's image with its OCR lines drawn over it; archivists correct lines in place.

Mounted by the Airflow plugin at ``/sohoa/trang`` (see :mod:`sohoa.web`):

* ``GET /{ma_ho_so}/{so_trang}`` — the page: the master's downscaled rendition
  (:mod:`sohoa.processing.renditions`), the current text version's lines and words drawn over it in the master's
  pixels (the same boxes as the ALTO), the lines listed beside it. ``?dong=N`` selects line N; ``?q=…`` (what the
  search page links with) selects the line holding most of the query's words and marks them.
* ``GET /{ma_ho_so}/{so_trang}/anh.jpg`` — the rendition, as scanned (the ALTO's coordinates, which the review
  queue draws on); ``?xoay=90|180|270`` turned clockwise, as the viewer shows a page scanned turned (the turn OCR
  found, ``words.json``'s ``rotate``), its boxes turned alike.
* ``POST /{ma_ho_so}/{so_trang}/dong/{n}`` — a correction of line n, JSON ``{"text", "phien_ban"}`` →
  :func:`sohoa.processing.corrections.correct_line`, answered as soon as the version is saved and indexed; the
  văn bản's PDF/A is rebuilt after the answer (:func:`sohoa.processing.corrections.rebuild_pdf`).

Rights are the other pages' (:func:`sohoa.web.forms.levels_of`, :func:`sohoa.web.forms.is_archivist`): an
Airflow ``admin``/``op`` sees every access level and may correct; anyone else sees public records only and may
not correct. A page the user may not see answers 404 exactly as a missing one does,
its image too. A correction must come from this very origin (:func:`sohoa.web.forms.require_same_origin`) and
also carry the header ``X-Sohoa-Request`` with a JSON body: a cross-site form cannot send that, and a cross-site
script cannot add the header without a CORS preflight the server never grants. Its answers are JSON
(``{"loi": …}`` on refusal). The web layer is thin: everything else is in :mod:`sohoa.processing.corrections`.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path as FilePath
from typing import Annotated

from fastapi import BackgroundTasks, Depends, FastAPI, HTTPException, Path, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from ..errors import SohoaError
from ..glossary import MUC_DO_TIEP_CAN
from ..processing.renditions import TURNS, rendition
from ..vnformat import vn_moment
from ..vntext import fold
from .forms import install_error_pages, is_archivist, levels_of, require_same_origin, user_dependency, \
    user_name

log = logging.getLogger(__name__)
TEMPLATES = FilePath(__file__).with_name("templates")
STATIC = FilePath(__file__).with_name("static")
CSRF_HEADER = "X-Sohoa-Request"
MAX_BODY_BYTES = 64 * 1024  # a line is at most 1,000 characters (4 kB of UTF-8); anything bigger is refused unread
MaHoSo = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")]  # the catalogue's CHECK; a NUL
#                                                                                 or a path never reaches SQL
NOT_FOUND = "Không có trang này, hoặc bạn không được xem nó (hồ sơ mật hoặc có điều kiện cần quyền lưu trữ viên)."


@dataclass(frozen=True)
class ViewLine:
    """One line in the master's pixels: its box (x, y, w, h), its words' boxes and texts, whether it matches."""
    n: int
    text: str
    box: tuple[int, int, int, int]
    words: list[tuple[int, int, int, int, str, bool]]
    hit: bool


def upright(box: tuple[int, int, int, int], width: int, height: int, rotate: int) -> tuple[int, int, int, int]:
    """A box (x0, y0, x1, y1) of a ``width`` × ``height`` master, on the master turned ``rotate``° clockwise;
    returned as (x, y, w, h)."""
    x0, y0, x1, y1 = box
    if rotate == 90:
        x0, y0, x1, y1 = height - y1, x0, height - y0, x1
    elif rotate == 180:
        x0, y0, x1, y1 = width - x1, height - y1, width - x0, height - y0
    elif rotate == 270:
        x0, y0, x1, y1 = y0, width - x1, y1, width - x0
    return x0, y0, x1 - x0, y1 - y0


def view_lines(text, to_source, width: int, height: int, query: str = "", rotate: int = 0) -> list[ViewLine]:
    """The lines of a page's words mapped to the master's pixels, turned upright by ``rotate``; words of
    ``query`` (folded) marked."""
    wanted = set(fold(query).lower().split())

    def place(box) -> tuple[int, int, int, int]:
        b = box.mapped(to_source, width, height)
        return upright((b.x0, b.y0, b.x1, b.y1), width, height, rotate)

    lines = []
    for n, line in enumerate(text.lines, start=1):
        marks = [(*place(word.box), word.text,
                  bool(wanted) and fold(word.text).lower().strip(".,;:()«»\"'") in wanted) for word in line.words]
        lines.append(ViewLine(n, line.text, place(line.box), marks, any(m[5] for m in marks)))
    return lines


def turn_of(loaded) -> int:
    """The clockwise turn that shows a page upright, from its stored words (0 without words)."""
    return loaded[2] % 360 if loaded and loaded[2] % 360 in TURNS else 0


def chosen_line(lines: list[ViewLine], dong: int | None) -> int | None:
    """The line to select first: ``dong`` if it exists, else the line with most matched words, else none."""
    if dong is not None and 1 <= dong <= len(lines):
        return dong
    best = max(lines, key=lambda line: sum(w[5] for w in line.words), default=None)
    return best.n if best is not None and best.hit else None


def _json_error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"loi": message}, status_code=status)


def create_app() -> FastAPI:
    """The viewer app; every route requires an Airflow user."""
    import jinja2

    from .. import storage
    from ..catalogue.db import open_catalogue, transaction
    from ..processing import corrections
    from ..processing.errors import CorrectionConflict, CorrectionError

    app = FastAPI(title="Xem trang", docs_url=None, redoc_url=None, openapi_url=None)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
    get_user = user_dependency()

    install_error_pages(app)

    def page_row(ma_ho_so: str, so_trang: int, levels, *, history: bool = False):
        """The page (None if missing or not visible at ``levels``), and its text versions when ``history``."""
        conn = open_catalogue()
        try:
            with transaction(conn) as cur:
                row = corrections.find_page(cur, ma_ho_so, so_trang, levels)
                kept = corrections.versions(cur, row.trang_id) if row is not None and history else []
            return (row, kept) if history else row
        finally:
            conn.close()

    @app.get("/", include_in_schema=False)
    def index() -> Response:
        return RedirectResponse("/sohoa/tim-kiem/", status_code=303)

    @app.get("/{ma_ho_so}/{so_trang}", response_class=HTMLResponse)
    def page(ma_ho_so: MaHoSo, so_trang: int, background: BackgroundTasks, user=Depends(get_user),
             dong: int | None = None, q: str = "") -> Response:
        try:
            row, history = page_row(ma_ho_so, so_trang, levels_of(user), history=True)
            if row is None:
                return HTMLResponse(_not_found_html(), status_code=404)
            loaded = corrections.page_words(storage.client(), row)
        except SohoaError as exc:
            log.error("viewer: %s p.%s cannot be shown: %s", ma_ho_so, so_trang, exc)
            return HTMLResponse("<!doctype html><meta charset=utf-8><h1>Xem trang</h1><p>Không mở được trang lúc "
                                "này; hãy thử lại sau ít phút.</p>", status_code=503)
        width, height = row.width or 1, row.height or 1
        rotate = turn_of(loaded)
        lines = view_lines(loaded[0], loaded[1], width, height, q[:500], rotate) if loaded and row.width else []
        if rotate in (90, 270):
            width, height = height, width
        state = {"ma_ho_so": row.ma_ho_so, "so_trang": row.so_trang, "phien_ban": row.text_version,
                 "chon": chosen_line(lines, dong), "sua": is_archivist(user), "so_trang_cuoi": row.page_count}
        html = env.get_template("viewer.html").render(
            row=row, lines=lines, width=width, height=height, level=MUC_DO_TIEP_CAN[row.muc_do_tiep_can],
            has_text=loaded is not None, rotate=rotate, query=q[:500], editable=state["sua"], selected=state["chon"],
            history=[{**v, "when": vn_moment(v["created_at"])} for v in reversed(history)],
            state=json.dumps(state, ensure_ascii=False).replace("<", "\\u003c"))
        if row.so_trang < row.page_count:
            background.add_task(prepare_image, row.ma_ho_so, row.so_trang + 1, levels_of(user))
        return HTMLResponse(html)

    def prepare_image(ma_ho_so: str, so_trang: int, levels) -> None:
        """After the answer: the next page's rendition as the viewer will show it, made if missing, so "Trang sau"
        opens at the speed of a stored one."""
        try:
            row = page_row(ma_ho_so, so_trang, levels)
            if row is not None:
                s3 = storage.client()
                rendition(s3, row.ma_ho_so, row.so_trang, row.master_key, row.sha256, row.master_version_id,
                          turn_of(corrections.page_words(s3, row)))
        except SohoaError as exc:  # it will be made, or fail visibly, when the page is opened
            log.warning("viewer: rendition of %s p.%s not prepared: %s", ma_ho_so, so_trang, exc)

    @app.get("/{ma_ho_so}/{so_trang}/anh.jpg")
    def image(ma_ho_so: MaHoSo, so_trang: int, request: Request, user=Depends(get_user), xoay: int = 0) -> Response:
        if xoay not in TURNS:
            return Response("xoay phải là 0, 90, 180 hoặc 270 (độ, theo chiều kim đồng hồ).", status_code=400,
                            media_type="text/plain; charset=utf-8")
        try:
            row = page_row(ma_ho_so, so_trang, levels_of(user))
            if row is None:
                return Response(NOT_FOUND, status_code=404, media_type="text/plain; charset=utf-8")
            etag = f'"{row.sha256[:16]}-{xoay}"'
            if request.headers.get("if-none-match") == etag:
                return Response(status_code=304, headers={"ETag": etag})
            body, _ = rendition(storage.client(), row.ma_ho_so, row.so_trang, row.master_key, row.sha256,
                                row.master_version_id, xoay)
        except SohoaError as exc:
            log.error("viewer: image of %s p.%s cannot be made: %s", ma_ho_so, so_trang, exc)
            return Response("Không đọc được ảnh gốc của trang này; đã ghi lỗi cho quản trị.", status_code=503,
                            media_type="text/plain; charset=utf-8")
        return Response(body, media_type="image/jpeg",
                        headers={"Cache-Control": "private, max-age=86400", "ETag": etag})

    @app.post("/{ma_ho_so}/{so_trang}/dong/{dong}")
    async def correct(ma_ho_so: MaHoSo, so_trang: int, dong: int, request: Request, background: BackgroundTasks,
                      user=Depends(get_user)):
        try:
            require_same_origin(request)
        except HTTPException as exc:
            return _json_error(exc.status_code, exc.detail)
        if not request.headers.get(CSRF_HEADER) or \
                not request.headers.get("content-type", "").startswith("application/json"):
            return _json_error(403, "Yêu cầu sửa không đến từ trang Xem trang của hệ thống; không lưu.")
        if not is_archivist(user):
            return _json_error(403, "Chỉ lưu trữ viên (vai trò admin hoặc op trong Airflow) được sửa chữ.")
        too_big = _json_error(413, "Nội dung gửi lên quá lớn; một dòng tối đa 1.000 ký tự.")
        length = request.headers.get("content-length", "0")
        if not length.isdigit() or int(length) > MAX_BODY_BYTES:
            return too_big
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY_BYTES:
                return too_big
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        if not isinstance(data, dict) or type(data.get("phien_ban")) is not int or "text" not in data:
            return _json_error(400, "Yêu cầu sửa phải có chữ của dòng (text) và phiên bản đang sửa (phien_ban).")
        by = user_name(user)

        def save():
            conn = open_catalogue()
            try:
                return corrections.correct_line(conn, storage.client(), ma_ho_so, so_trang, dong, data["text"],
                                                base_version=data["phien_ban"], by=by, levels=levels_of(user))
            finally:
                conn.close()
        try:
            done = await run_in_threadpool(save)
        except CorrectionConflict as exc:
            return _json_error(409, str(exc))
        except CorrectionError as exc:
            return _json_error(400, str(exc))
        except SohoaError as exc:
            log.error("viewer: correction of %s p.%s line %s by %s failed: %s", ma_ho_so, so_trang, dong, by, exc)
            return _json_error(503, "Chưa lưu được lúc này; hãy thử lại sau ít phút.")
        if done.version != data["phien_ban"]:
            background.add_task(rebuild, ma_ho_so, so_trang, by)
        return {"dong": done.line, "chu": done.new, "phien_ban": done.version}

    def rebuild(ma_ho_so: str, so_trang: int, by: str) -> None:
        """After the answer: the văn bản's PDF/A (a failure is an event and a review item, see rebuild_pdf)."""
        try:
            conn = open_catalogue()
            try:
                corrections.rebuild_pdf(conn, storage.client(), ma_ho_so, so_trang, by=by)
            finally:
                conn.close()
        except SohoaError as exc:  # the catalogue unreachable: the next correction's rebuild will include this one
            log.error("viewer: PDF of %s p.%s not rebuilt after a correction by %s: %s", ma_ho_so, so_trang, by,
                      exc)

    return app


def _not_found_html() -> str:
    return (f'<!doctype html><html lang="vi"><meta charset="utf-8"><title>Không có trang</title>'
            f'<h1>Không có trang</h1><p>{NOT_FOUND}</p><p><a href="/sohoa/tim-kiem/">Về trang tìm kiếm</a></p></html>')
