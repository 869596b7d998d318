"""The page "Tìm kiếm hồ sơ": one box and the CLI's filters, hits grouped by hồ sơ, rights from the Airflow role.

Driven through FastAPI's test client with Airflow's user dependency answered by a stand-in user; the login
redirect itself is the dashboard's (tests/sohoa/test_dashboard.py drives it in Chromium).
"""
from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from sohoa.search import Filters
from sohoa.web.search_page import create_app, marked, render
from web_client import client_as

pytestmark = pytest.mark.stack


def _client(role: str) -> TestClient:
    return client_as(create_app, role)


def _groups(page: str) -> list[tuple[str, list[str]]]:
    """(mã hồ sơ, [page numbers]) per hồ sơ section, in page order."""
    return [(code, re.findall(r'<a class="page" [^>]*>Trang (\d+)</a>', body))
            for code, body in re.findall(r'<section class="ho-so">\s*<h2>(\S+) — .*?</h2>(.*?)</section>', page, re.S)]


def test_a_search_shows_hits_grouped_by_ho_so_best_first_with_matches_marked(corpus):
    _, phong = corpus
    page = _client("admin").get("/", params={"q": "số hóa", "phong": phong}).text
    groups = _groups(page)
    assert [code for code, _ in groups] and all(pages == ["3"] for _, pages in groups)
    assert len(groups) == 3  # an archivist sees all three access levels
    assert "<mark>số</mark> <mark>hóa</mark>" in page
    assert "3 trang trong 3 hồ sơ" in page


def test_a_viewer_sees_public_records_only_whatever_the_filter_asks(corpus):
    _, phong = corpus
    client = _client("viewer")
    page = client.get("/", params={"q": "tai lieu luu tru", "phong": phong}).text
    assert len(_groups(page)) == 1 and "Công khai" in page and "Mật</span>" not in page
    secret = client.get("/", params={"q": "tai lieu luu tru", "phong": phong, "muc_do_tiep_can": "mat"}).text
    assert _groups(secret) == []


def test_each_hit_opens_the_page_viewer_with_the_query_to_find_its_line(corpus):
    _, phong = corpus
    page = _client("admin").get("/", params={"q": "số hóa", "phong": phong}).text
    links = re.findall(r'<a class="page" href="([^"]+)"', page)
    assert len(links) == 3
    assert all(re.fullmatch(rf"/sohoa/trang/{phong}\.01\.2025\.0\d/3\?q=s%E1%BB%91%20h%C3%B3a", link) for link in links)


def test_the_filters_of_the_cli_narrow_the_hits(corpus):
    _, phong = corpus
    client = _client("admin")
    assert len(_groups(client.get("/", params={"q": "so hoa", "phong": phong, "year": "2025"}).text)) == 3
    assert _groups(client.get("/", params={"q": "so hoa", "phong": phong, "year": "2019"}).text) == []
    assert _groups(client.get("/", params={"q": "so hoa", "phong": phong, "thoi_han_bao_quan": "10"}).text) == []


def test_bad_input_is_answered_in_vietnamese_and_html_in_the_query_is_escaped(corpus):
    client = _client("admin")
    assert "Năm phải là một số" in client.get("/", params={"q": "so hoa", "year": "20x5"}).text
    assert "quá dài" in client.get("/", params={"q": "a" * 600}).text
    page = client.get("/", params={"q": "<script>alert(1)</script>"}).text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


def test_the_page_loads_nothing_from_another_host():
    html = render("", Filters(), ("cong_khai",), None, None, None)  # the empty page, before any search
    assert not re.search(r"""(?:src|href|action)\s*=\s*["'](?:https?:)?//""", html)
    assert "<script" not in html and 'lang="vi"' in html and 'name="q"' in html


def test_a_snippet_is_escaped_before_its_matches_are_marked():
    assert marked("«a» <b>") == "<mark>a</mark> &lt;b&gt;"
