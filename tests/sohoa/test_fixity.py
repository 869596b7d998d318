"""Fixity against the real stack: every stored object re-read and compared; mismatches and losses found,
recorded as PREMIS events and reported; the rotating sample covers everything over successive runs."""
from __future__ import annotations

import pytest

from sohoa import storage
from sohoa.catalogue.db import connect, transaction
from sohoa.cli import main as sohoa_main
from sohoa.fixity.check import run_fixity
from sohoa.handover.samples import make_ho_so

pytestmark = pytest.mark.stack


@pytest.fixture()
def sample(stack):
    conn, s3 = connect(), storage.client()
    yield conn, s3, make_ho_so(conn, s3, pages=4, van_ban=2)
    conn.close()


def _events(conn, ma_ho_so: str) -> list[tuple]:
    with transaction(conn) as cur:
        cur.execute("""SELECT outcome, detail->>'status', detail->>'bucket', detail->>'key' FROM event
                       WHERE event_type = 'fixity check' AND detail->>'key' LIKE %s ORDER BY id""",
                    (f"{ma_ho_so}/%",))
        return cur.fetchall()


def test_every_stored_object_of_a_ho_so_is_reread_and_recorded(sample):
    conn, s3, ho_so = sample
    report = run_fixity(conn, s3, prefix=f"{ho_so.ma_ho_so}/")
    assert report.checked == 4 + 2 and report.problems == [] and report.bytes > 4 * 2048
    events = _events(conn, ho_so.ma_ho_so)
    assert len(events) == 6 and {e[:2] for e in events} == {("success", "ok")}
    assert {e[2] for e in events} == {"masters", "derivatives"}


def test_a_changed_and_a_lost_object_are_reported_and_recorded_as_failures(sample):
    conn, s3, ho_so = sample
    changed, lost = (f"{ho_so.ma_ho_so}/{ho_so.ma_ho_so}.{n:02d}.pdf" for n in (1, 2))
    storage.put_bytes(s3, "derivatives", changed, b"%PDF-1.7 bit rot")
    s3.delete_object(Bucket="derivatives", Key=lost)
    report = run_fixity(conn, s3, prefix=f"{ho_so.ma_ho_so}/")
    assert len(report.problems) == 2
    assert any(changed in p and "khác với cơ sở dữ liệu" in p for p in report.problems)
    assert any(lost in p and "mất" in p for p in report.problems)
    failures = [e for e in _events(conn, ho_so.ma_ho_so) if e[0] == "failure"]
    assert sorted((e[1], e[3]) for e in failures) == [("mismatch", changed), ("missing", lost)]
    assert sohoa_main(["fixity", "check", "--prefix", f"{ho_so.ma_ho_so}/"]) == 2


def test_the_rotating_sample_takes_the_objects_checked_longest_ago_first(sample):
    conn, s3, ho_so = sample
    seen = []
    for _ in range(3):
        run_fixity(conn, s3, prefix=f"{ho_so.ma_ho_so}/", limit=2)
        seen.append({e[3] for e in _events(conn, ho_so.ma_ho_so)[-2:]})
    assert len(seen[0] | seen[1] | seen[2]) == 6


def test_a_master_overwritten_or_hidden_by_a_delete_marker_is_reported_though_its_locked_version_is_intact(
        sample, s3_admin):
    conn, s3, ho_so = sample
    overwritten, hidden = (storage.master_key(ho_so.ma_ho_so, n, "jpg") for n in (1, 2))
    storage.put_bytes(s3_admin, "masters", overwritten, b"not the page that was accepted")
    s3_admin.delete_object(Bucket="masters", Key=hidden)  # no version id: a delete marker on top
    report = run_fixity(conn, s3, prefix=f"{ho_so.ma_ho_so}/")
    assert len(report.problems) == 2
    assert any(overwritten in p and "phiên bản hiện tại không phải bản đã lưu trữ" in p for p in report.problems)
    assert any(hidden in p and "dấu xóa" in p for p in report.problems)
    failures = sorted((e[1], e[3]) for e in _events(conn, ho_so.ma_ho_so) if e[0] == "failure")
    assert failures == [("overwritten", overwritten), ("overwritten", hidden)]


def test_a_key_written_into_masters_behind_the_catalogues_back_is_reported_when_every_key_is_listed(
        sample, s3_admin):
    conn, s3, ho_so = sample
    stranger = f"{ho_so.ma_ho_so}/9999.jpg"
    s3_admin.put_object(Bucket="masters", Key=stranger, Body=b"not a page anyone accepted")
    assert run_fixity(conn, s3, prefix=f"{ho_so.ma_ho_so}/").problems == []  # the catalogued objects only
    report = run_fixity(conn, s3, prefix=f"{ho_so.ma_ho_so}/", every_key=True)
    assert report.uncatalogued == 1
    assert report.problems == [f"s3://masters/{stranger}: đối tượng không có trong cơ sở dữ liệu (không rõ ai đã "
                               "ghi vào kho ảnh gốc)"]
    assert sohoa_main(["fixity", "check", "--prefix", f"{ho_so.ma_ho_so}/", "--every-key"]) == 2
