"""The API's Swagger UI and ReDoc pages work offline: every script, style and icon comes from the app itself."""
from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from sohoa.api import app

MOUNT = "/sohoa/api"  # where Airflow's API server mounts the app (sohoa.web.UI_APPS)


@pytest.fixture(scope="module")
def mounted():
    return TestClient(app, root_path=MOUNT)


@pytest.mark.parametrize("page, script", [("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc.standalone.js")])
def test_the_docs_page_loads_every_asset_from_the_app_and_none_from_a_cdn(mounted, page, script):
    response = mounted.get(MOUNT + page)
    assert response.status_code == 200
    links = re.findall(r"""(?:src|href|url)\s*[=:(]\s*['"]([^'"]+)['"]""", response.text)
    assert f"{MOUNT}/docs-static/{script}" in links
    assert not re.search(r"https?://", response.text), "a page that names a remote host is blank offline"
    assert f"{MOUNT}/openapi.json" in response.text
    for link in links:
        if link.startswith(f"{MOUNT}/docs-static/"):
            asset = mounted.get(link)
            assert asset.status_code == 200 and len(asset.content) > 1000, link


def test_the_openapi_document_the_pages_read_is_served(mounted):
    spec = mounted.get(MOUNT + "/openapi.json").json()
    assert "/search" in spec["paths"] and "HoSoOut" in spec["components"]["schemas"]
