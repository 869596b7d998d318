"""The API's page images and PDF/A files: tokens and access levels, enforced in the query (issue 19, item 3)."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from sohoa import storage
from sohoa.api import NOT_VISIBLE, app
from sohoa.catalogue.db import connect, transaction
from sohoa.handover.samples import make_ho_so

pytestmark = pytest.mark.stack
LEVELS = ("cong_khai", "co_dieu_kien", "mat")


@pytest.fixture(scope="module")
def client(stack):
    return TestClient(app)


@pytest.fixture(scope="module")
def files(stack):
    """One sample hồ sơ per access level (2 pages, 1 văn bản's PDF each): {level: (mã hồ sơ, page 1's bytes,
    the PDF's bytes)}."""
    conn, s3 = connect(), storage.client()
    found = {}
    try:
        for level in LEVELS:
            sample = make_ho_so(conn, s3, pages=2, van_ban=1, page_bytes=512, jobs=2)
            with transaction(conn) as cur:
                cur.execute("UPDATE ho_so SET muc_do_tiep_can = %s WHERE id = %s", (level, sample.ho_so_id))
                cur.execute("SELECT pdf_keys->'1'->>'key' FROM ho_so WHERE id = %s", (sample.ho_so_id,))
                pdf_key = cur.fetchone()[0]
            page = s3.get_object(Bucket=storage.MASTERS, Key=storage.master_key(sample.ma_ho_so, 1, "jpg"))
            pdf = s3.get_object(Bucket=storage.DERIVATIVES, Key=pdf_key)
            found[level] = (sample.ma_ho_so, page["Body"].read(), pdf["Body"].read())
    finally:
        conn.close()
    return found


def _auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def _urls(ma_ho_so: str) -> tuple[str, str]:
    return f"/ho_so/{ma_ho_so}/trang/1/anh", f"/ho_so/{ma_ho_so}/van_ban/1/pdf"


def test_page_images_and_pdfs_refuse_no_token_and_a_wrong_one(client, files):
    for url in _urls(files["cong_khai"][0]):
        assert client.get(url).status_code == 401
        assert client.get(url, headers=_auth("wrong")).status_code == 401
        assert client.get(url, headers={"Authorization": "Basic YWRtaW46YWRtaW4="}).status_code == 401


def test_a_reader_gets_public_page_images_and_pdfs_and_nothing_of_restricted_or_secret_records(client, files,
                                                                                                stack):
    reader = _auth(stack.api_reader_token)
    ma, page, pdf = files["cong_khai"]
    image_url, pdf_url = _urls(ma)
    image = client.get(image_url, headers=reader)
    assert (image.status_code, image.headers["content-type"], image.content) == (200, "image/jpeg", page)
    document = client.get(pdf_url, headers=reader)
    assert (document.status_code, document.headers["content-type"], document.content) == (200, "application/pdf",
                                                                                          pdf)
    for level in ("co_dieu_kien", "mat"):
        for url in _urls(files[level][0]):
            refused = client.get(url, headers=reader)
            assert refused.status_code == 404 and refused.json()["detail"] == NOT_VISIBLE, (level, url)
    missing = client.get(f"/ho_so/{ma}/trang/99/anh", headers=reader)
    assert missing.status_code == 404 and missing.json()["detail"] == NOT_VISIBLE  # the same answer as refused


def test_an_archivist_gets_every_levels_page_images_and_pdfs(client, files, stack):
    archivist = _auth(stack.api_archivist_token)
    for level, (ma, page, pdf) in files.items():
        image_url, pdf_url = _urls(ma)
        assert client.get(image_url, headers=archivist).content == page, level
        assert client.get(pdf_url, headers=archivist).content == pdf, level


def test_hostile_file_addresses_are_refused_without_reaching_the_store(client, files, stack):
    reader = _auth(stack.api_reader_token)
    ma = files["cong_khai"][0]
    for url in (f"/ho_so/{ma}/trang/0/anh", f"/ho_so/{ma}/trang/-1/anh", f"/ho_so/{ma}/trang/1e9/anh",
                f"/ho_so/{ma}/van_ban/0/pdf", f"/ho_so/{ma}/van_ban/abc/pdf", f"/ho_so/{'x' * 500}/trang/1/anh",
                f"/ho_so/{ma}%00/trang/1/anh", f"/ho_so/{ma}'--/van_ban/1/pdf"):
        assert client.get(url, headers=reader).status_code == 422, url  # was a 500 for the NUL
    for url in ("/ho_so/../../etc/trang/1/anh", "/ho_so/..%2Fetc/trang/1/anh"):
        assert client.get(url, headers=reader).status_code == 404, url  # no such route
