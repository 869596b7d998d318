"""The HTTP API: authentication, access levels, review rights, hostile input."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from sohoa.api import app

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def client(stack):
    return TestClient(app)


def _auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_search_without_a_token_is_refused(client, corpus):
    response = client.get("/search", params={"q": "so hoa"})
    assert response.status_code == 401
    assert client.get("/search", params={"q": "so hoa"}, headers=_auth("wrong")).status_code == 401


def test_a_reader_sees_only_public_records(client, corpus, stack):
    _, phong = corpus
    response = client.get("/search", params={"q": "tai lieu luu tru", "phong": phong},
                          headers=_auth(stack.api_reader_token))
    assert response.status_code == 200
    assert {h["muc_do_tiep_can"] for h in response.json()["hits"]} == {"cong_khai"}


def test_an_archivist_sees_every_level_with_snippets_and_pages(client, corpus, stack):
    _, phong = corpus
    body = client.get("/search", params={"q": "SỐ HÓA", "phong": phong},
                      headers=_auth(stack.api_archivist_token)).json()
    assert {h["muc_do_tiep_can"] for h in body["hits"]} == {"cong_khai", "co_dieu_kien", "mat"}
    assert all(h["trang"] == 3 and "«" in h["trich_doan"] for h in body["hits"])


def test_the_cli_json_and_the_api_answer_with_the_same_keys_and_values(client, corpus, stack, capsys):
    import json

    from sohoa.cli import main as sohoa_main

    _, phong = corpus
    body = client.get("/search", params={"q": "SỐ HÓA", "phong": phong},
                      headers=_auth(stack.api_archivist_token)).json()
    assert sohoa_main(["search", "SỐ", "HÓA", "--phong", phong, "--json",
                       "--access", "cong_khai", "co_dieu_kien", "mat"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert set(printed) == set(body) == {"query", "terms", "corrections", "hits", "ho_so"}
    assert set(printed["hits"][0]) == set(body["hits"][0]) == {
        "ma_ho_so", "tieu_de", "trang", "diem", "trich_doan", "muc_do_tiep_can"}
    assert printed["hits"] == body["hits"] and printed["ho_so"] == body["ho_so"]
    assert [g["ma_ho_so"] for g in body["ho_so"]] == [h["ma_ho_so"] for h in body["hits"]]  # one page per hồ sơ


def test_a_query_of_ten_thousand_characters_gets_a_clear_error(client, stack):
    response = client.get("/search", params={"q": "a" * 10_000}, headers=_auth(stack.api_reader_token))
    assert response.status_code == 422
    assert "quá dài" in response.json()["detail"]


def test_a_reader_cannot_review(client, stack):
    assert client.get("/review", headers=_auth(stack.api_reader_token)).status_code == 403
    response = client.post("/review/1", json={"resolution": "accepted"}, headers=_auth(stack.api_reader_token))
    assert response.status_code == 403 and "không có quyền" in response.json()["detail"]


def test_an_archivist_lists_the_queue_and_a_bad_resolution_is_a_conflict(client, stack):
    listing = client.get("/review", headers=_auth(stack.api_archivist_token))
    assert listing.status_code == 200 and isinstance(listing.json(), list)
    response = client.post("/review/999999999", json={"resolution": "accepted"},
                           headers=_auth(stack.api_archivist_token))
    assert response.status_code == 409 and "Không có mục duyệt" in response.json()["detail"]


def test_openapi_documents_every_endpoint(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/search", "/review", "/review/{item_id}", "/health"} <= set(paths)
