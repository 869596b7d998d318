"""Sending a parked page back to OCR (sohoa.processing.retry) through the real OCR path: intake, a crashing
engine, the retry, and the page parked again with its review item reopened."""
from __future__ import annotations

import pytest
from test_processing import AlwaysCrashEngine  # noqa: F401 (registers the engine "fake-always-crash")

from sohoa import storage
from sohoa.catalogue.db import connect, transaction
from sohoa.catalogue.events import events_of
from sohoa.processing.errors import OcrIncomplete
from sohoa.processing.ocr import MAX_ATTEMPTS, ocr_chunk
from sohoa.processing.plan import pending_chunks
from sohoa.processing.retry import retry_pages
from sohoa.processing.review import list_items

pytestmark = pytest.mark.stack


def _park(conn, s3, chunk: list[int]) -> None:
    for _ in range(1, MAX_ATTEMPTS):
        with pytest.raises(OcrIncomplete):
            ocr_chunk(conn, s3, chunk, engine="fake-always-crash")
    assert ocr_chunk(conn, s3, chunk, engine="fake-always-crash").parked == chunk


def test_a_retried_page_gets_every_attempt_again_and_parked_again_reopens_its_review_item(tmp_path, accepted_batch):
    ma_ho_so, batch_pk, _ = accepted_batch(tmp_path, 1)
    conn, s3 = connect(), storage.client()
    try:
        with transaction(conn) as cur:
            [chunk] = pending_chunks(cur, batch_pk=batch_pk)
        _park(conn, s3, chunk)
        with transaction(conn) as cur:
            assert pending_chunks(cur, batch_pk=batch_pk) == []  # parked: no run takes it by itself
            [retried] = retry_pages(cur, chunk, requested_by="web:lan")
            assert (retried.ma_ho_so, retried.previous_status) == (ma_ho_so, "parked")
            assert pending_chunks(cur, batch_pk=batch_pk) == [chunk]
            [item] = [i for i in list_items(cur, status=None, ma_ho_so=ma_ho_so) if i.reason == "ocr_parked"]
            assert item.status == "rescan"
            [event] = [e for e in events_of(cur, "trang", str(chunk[0])) if e["agent"] == "web:lan"]
            assert "recogniser crashed" in event["detail"]["previous_error"]
        _park(conn, s3, chunk)  # MAX_ATTEMPTS attempts again, not one
        with transaction(conn) as cur:
            [again] = [i for i in list_items(cur, status=None, ma_ho_so=ma_ho_so) if i.reason == "ocr_parked"]
            assert (again.id, again.status) == (item.id, "open")
    finally:
        conn.close()


def test_the_command_line_sends_pages_back_and_refuses_in_vietnamese(capsys, migrated):
    from workspace_data import make_workspace

    from sohoa.cli import main

    ws = make_workspace()
    assert main(["review", "retry", str(ws.pages["parked"]), str(ws.pages["failed"]), "--reviewer", "lan"]) == 0
    out = capsys.readouterr().out
    assert f"({ws.ma_public} trang 2): parked → pending" in out and f'"batch_id": "{ws.batch_id}"' in out
    assert main(["review", "retry", str(ws.pages["read"]), "--reviewer", "lan"]) == 2
    assert "đã nhận dạng xong, không cần chạy lại" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["review", "retry", "--help"])
    assert "Ví dụ:\n  sohoa review retry" in capsys.readouterr().out
