"""Parquet catalogue snapshots against the real stack: partitioned by agency and year, schema-versioned, the
manifest's checksums true, secret hồ sơ withheld unless asked for."""
from __future__ import annotations

import json

import pyarrow.dataset as pads
import pyarrow.parquet as pq
import pytest

from sohoa import storage
from sohoa.catalogue.db import connect, transaction
from sohoa.cli import main as sohoa_main
from sohoa.export.parquet import SCHEMA_VERSION, export_snapshot
from sohoa.handover.samples import make_ho_so

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def agency(stack):
    """One agency with three hồ sơ: 2015 (3 pages, 2 văn bản), 2016 (2 pages), and a 'mật' one of 2016."""
    conn, s3 = connect(), storage.client()
    first = make_ho_so(conn, s3, pages=3, van_ban=2, year=2015)
    with transaction(conn) as cur:
        cur.execute("SELECT agency_id FROM phong WHERE ma_phong = %s", (first.ma_phong,))
        agency_id = cur.fetchone()[0]
    make_ho_so(conn, s3, pages=2, van_ban=1, year=2016, phong=(agency_id, first.ma_phong))
    secret = make_ho_so(conn, s3, pages=1, van_ban=1, year=2016, phong=(agency_id, first.ma_phong))
    with transaction(conn) as cur:
        cur.execute("UPDATE ho_so SET muc_do_tiep_can = 'mat' WHERE id = %s", (secret.ho_so_id,))
    yield conn, s3, first.agency_ma, secret.ma_ho_so
    conn.close()


def _download(s3, manifest, tmp_path):
    for entry in manifest["files"]:
        path = tmp_path / entry["key"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(s3.get_object(Bucket="exports", Key=entry["key"])["Body"].read())
        assert storage.sha256_of([path.read_bytes()]) == (entry["sha256"], entry["size"])
    return tmp_path / manifest["prefix"].split("/", 1)[1]


def test_a_snapshot_is_partitioned_by_agency_and_year_and_carries_its_schema_version(agency, tmp_path):
    conn, s3, agency_ma, secret = agency
    manifest = export_snapshot(conn, s3, agency=agency_ma)
    assert manifest["rows"] == {"phong": 1, "ho_so": 2, "van_ban": 3, "trang": 5}
    assert manifest["withheld_secret_ho_so"] == 1 and manifest["schema_version"] == SCHEMA_VERSION
    root = _download(s3, manifest, tmp_path)
    assert {p.relative_to(root).parent.as_posix() for p in root.rglob("*.parquet")} == {
        f"phong/agency={agency_ma}",
        *(f"{t}/agency={agency_ma}/year={y}" for t in ("ho_so", "van_ban", "trang") for y in (2015, 2016))}
    for path in root.rglob("*.parquet"):
        assert pq.read_schema(path).metadata[b"sohoa.schema_version"] == SCHEMA_VERSION.encode()
    ho_so = pads.dataset(root / "ho_so", format="parquet", partitioning="hive").to_table().to_pylist()
    assert sorted(r["year"] for r in ho_so) == [2015, 2016] and secret not in {r["ma_ho_so"] for r in ho_so}
    assert all(r["agency"] == agency_ma and r["muc_do_tiep_can"] == "cong_khai" for r in ho_so)
    key = manifest["prefix"].split("/", 1)[1] + "_manifest.json"
    stored = json.loads(s3.get_object(Bucket="exports", Key=key)["Body"].read())
    assert stored["rows"] == manifest["rows"]


def test_secret_ho_so_are_exported_only_when_asked(agency, capsys):
    conn, s3, agency_ma, secret = agency
    assert export_snapshot(conn, s3, agency=agency_ma, include_secret=True)["rows"]["ho_so"] == 3
    assert sohoa_main(["export", "catalogue", "--agency", agency_ma]) == 0
    assert '"ho_so": 2' in capsys.readouterr().out
