"""``inbox/nop-luu/`` belongs to the agencies' electronic hồ sơ: no vendor may be registered under that name, the
vendor tool refuses it, and vendor intake neither finds nor takes a batch there."""
from __future__ import annotations

import uuid

import pydantic
import pytest

from sohoa import storage
from sohoa.cli import main
from sohoa.config import Settings
from sohoa.intake.manifest import COMPLETE, pending_key
from sohoa.intake.process import IntakeError, complete_batches, run_intake


def test_a_vendor_named_nop_luu_cannot_be_registered(monkeypatch):
    monkeypatch.setenv("SOHOA_VENDORS", '["vendor-a", "nop-luu"]')
    with pytest.raises(pydantic.ValidationError) as refused:
        Settings()
    assert "'nop-luu' là tên dành riêng cho hồ sơ điện tử cơ quan nộp lưu" in str(refused.value)
    assert "hãy đặt tên khác cho nhà thầu này trong SOHOA_VENDORS" in str(refused.value)
    monkeypatch.setenv("SOHOA_VENDORS", '["vendor-a", "nop-luu-2"]')
    assert Settings().vendors == ["vendor-a", "nop-luu-2"]


def test_the_vendor_tool_refuses_nop_luu_in_vietnamese(capsys, tmp_path):
    for argv in (["vendor", "status", "lo-01", "--vendor", "nop-luu"],
                 ["vendor", "upload", str(tmp_path), "--vendor", "nop-luu"]):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code
        err = capsys.readouterr().err
        assert code == 2 and "'nop-luu' là thư mục nộp lưu hồ sơ điện tử của các cơ quan, không phải tên nhà thầu" \
            in err, argv


@pytest.fixture()
def marked_under_nop_luu(migrated):
    """A folder ``inbox/nop-luu/<id>/`` marked complete and listed in a pending index, as a vendor's would be."""
    s3 = storage.client()
    batch_id = f"lo-{uuid.uuid4().hex[:8]}"
    keys = [storage.batch_prefix(storage.BORN_DIGITAL_INBOX, batch_id) + COMPLETE,
            pending_key(storage.BORN_DIGITAL_INBOX, batch_id)]
    for key in keys:
        storage.put_bytes(s3, storage.INBOX, key, b"")
    yield s3, batch_id, keys
    for key in keys:
        s3.delete_object(Bucket=storage.INBOX, Key=key)


def test_vendor_intake_neither_finds_nor_takes_a_batch_under_nop_luu(marked_under_nop_luu, conn):
    s3, batch_id, keys = marked_under_nop_luu
    found = complete_batches(s3, sweep=True)
    assert not [b for b in found if b["vendor"] == storage.BORN_DIGITAL_INBOX]
    with pytest.raises(IntakeError, match="holds agencies' born-digital submissions"):
        run_intake(s3, conn, storage.BORN_DIGITAL_INBOX, batch_id)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM batch WHERE vendor = %s AND batch_id = %s",
                    (storage.BORN_DIGITAL_INBOX, batch_id))
        assert cur.fetchone()[0] == 0
    assert all(storage.stored_sha256(s3, storage.INBOX, key) is not None for key in keys)  # nothing unmarked
