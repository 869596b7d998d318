"""What the workspace pages share: the rights of an Airflow user (who is an archivist, which access levels they
see), protection against cross-site requests, the login redirect and error pages, and the templates.

Cross-site forgery: Airflow's UI keeps its login in the ``_token`` cookie (``SameSite=Lax``), which a browser
sends with any request to this host — Lax keeps it off a cross-site form POST, but a page on a sibling host of
the same site, or an old browser, would still get it sent. So every POST must also come from this very origin:
its ``Origin`` header (every current browser sends one with a POST), or failing that its ``Referer``, must name
the host the request was made to (or Airflow's configured ``[api] base_url``). A request with neither is refused.
(The page viewer's JSON saves check the same and also need a custom header, :mod:`sohoa.web.viewer`.)
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from fastapi import HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..glossary import MUC_DO_TIEP_CAN
from ..search import PUBLIC

TEMPLATES = Path(__file__).with_name("templates")
ARCHIVIST_ROLES = ("admin", "op")  # Airflow roles whose users see every access level and may change things
CROSS_SITE = "Yêu cầu bị từ chối: biểu mẫu phải được gửi từ chính trang này (chống giả mạo yêu cầu)."
NOT_ARCHIVIST = "Tài khoản này chỉ được xem; cần quyền lưu trữ viên (vai trò admin hoặc op của Airflow)."


def is_archivist(user) -> bool:
    """An Airflow ``admin`` or ``op``: may retry pages and resolve review items, sees every access level."""
    return (getattr(user, "role", None) or "").lower() in ARCHIVIST_ROLES


def levels_of(user) -> tuple[str, ...]:
    """The access levels an Airflow user may see: all for an archivist, public records otherwise."""
    return tuple(MUC_DO_TIEP_CAN) if is_archivist(user) else (PUBLIC,)


def user_name(user) -> str:
    """The name recorded in events: ``web:<Airflow user name>``."""
    return f"web:{getattr(user, 'username', None) or user}"


def require_archivist(user) -> None:
    if not is_archivist(user):
        raise HTTPException(status_code=403, detail=NOT_ARCHIVIST)


def _host(url: str) -> str:
    return urlsplit(url).netloc.lower()


def require_same_origin(request: Request) -> None:
    """Refuse (403, Vietnamese) a POST that a browser says came from another site (``Sec-Fetch-Site``), or
    whose ``Origin`` — or, without one, ``Referer`` — names a host other than the one asked for (``Host``, or
    ``X-Forwarded-Host`` behind a proxy) and Airflow's ``[api] base_url``. Hosts are compared without the scheme:
    behind a proxy that ends TLS, the browser's ``https`` origin reaches us as plain ``http``."""
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        raise HTTPException(status_code=403, detail=CROSS_SITE)
    sent = _host(request.headers.get("origin") or request.headers.get("referer") or "")
    ours = {request.headers.get("host", "").lower(), request.headers.get("x-forwarded-host", "").lower()}
    try:
        from airflow.configuration import conf

        ours.add(_host(conf.get("api", "base_url", fallback="") or ""))
    except ImportError:  # served outside Airflow (tests of the app alone)
        pass
    if not sent or sent not in ours - {""}:
        raise HTTPException(status_code=403, detail=CROSS_SITE)


def install_error_pages(app) -> None:
    """A GET without a valid Airflow login (401, or 403 for an invalid token) goes to Airflow's login page and
    back; other HTTP errors are plain Vietnamese text; a malformed request (a page number that is not a number)
    is a 422 in Vietnamese instead of FastAPI's English JSON."""
    from fastapi.exceptions import RequestValidationError

    @app.exception_handler(StarletteHTTPException)
    async def to_login(request: Request, exc: StarletteHTTPException):
        if exc.status_code in (401, 403) and request.method == "GET":
            from airflow.api_fastapi.app import get_auth_manager

            return RedirectResponse(get_auth_manager().get_url_login(next_url=str(request.url)), status_code=303)
        return Response(str(exc.detail), status_code=exc.status_code, media_type="text/plain; charset=utf-8")

    @app.exception_handler(RequestValidationError)
    async def malformed(request: Request, exc: RequestValidationError):
        where = ", ".join(dict.fromkeys(str(error["loc"][1 if len(error["loc"]) > 1 else 0])
                                        for error in exc.errors()))  # the field's name, once
        return Response(f"Yêu cầu không hợp lệ ({where}): kiểm tra lại giá trị đã nhập hoặc mở lại trang.",
                        status_code=422, media_type="text/plain; charset=utf-8")


def environment():
    """The Jinja environment of the pages (autoescaping on)."""
    import jinja2

    from .. import vnformat

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
    env.globals.update(vn_number=vnformat.vn_number)
    env.filters["moment"] = lambda value: vnformat.vn_moment(value) if value else ""
    return env


def user_dependency():
    from airflow.api_fastapi.core_api.security import get_user

    return get_user
