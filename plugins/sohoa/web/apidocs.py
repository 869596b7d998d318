"""Swagger UI and ReDoc for sohoa's FastAPI apps, served from the project's own environment: no CDN.

FastAPI's default ``/docs`` and ``/redoc`` pages load their scripts from a CDN that an office network (and the
scanning farm) cannot reach, so they stay blank. :func:`serve_docs_offline` serves the same pages with the
scripts, styles and favicon of the ``fastapi-offline`` wheel (MIT; Swagger UI and ReDoc builds in
``fastapi_offline/static``), mounted under ``/docs-static``. Paths are relative to the app's mount point (its
ASGI ``root_path``), so they work alone (``uvicorn sohoa.api:app``) and inside Airflow under ``/sohoa/api``.
"""
from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC_PREFIX = "/docs-static"
ASSETS = ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js", "favicon.png")


def assets_dir() -> str:
    """The folder holding :data:`ASSETS` (inside the installed ``fastapi_offline`` package)."""
    return str(files("fastapi_offline") / "static")


def serve_docs_offline(app: FastAPI) -> None:
    """Add ``/docs`` (Swagger UI), ``/docs/oauth2-redirect`` and ``/redoc`` to ``app``, every asset local.

    ``app`` must have been created with ``docs_url=None, redoc_url=None`` (FastAPI's CDN pages off).
    """
    app.mount(STATIC_PREFIX, StaticFiles(directory=assets_dir()), name="docs-static")

    def base(request: Request) -> str:
        return request.scope.get("root_path", "").rstrip("/")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        root = base(request)
        return get_swagger_ui_html(
            openapi_url=root + app.openapi_url, title=f"{app.title} — Swagger UI",
            oauth2_redirect_url=root + "/docs/oauth2-redirect",
            swagger_js_url=f"{root}{STATIC_PREFIX}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{STATIC_PREFIX}/swagger-ui.css",
            swagger_favicon_url=f"{root}{STATIC_PREFIX}/favicon.png")

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    def redoc(request: Request) -> HTMLResponse:
        root = base(request)
        return get_redoc_html(openapi_url=root + app.openapi_url, title=f"{app.title} — ReDoc",
                              redoc_js_url=f"{root}{STATIC_PREFIX}/redoc.standalone.js",
                              redoc_favicon_url=f"{root}{STATIC_PREFIX}/favicon.png", with_google_fonts=False)
