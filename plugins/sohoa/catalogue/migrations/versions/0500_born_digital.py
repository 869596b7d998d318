"""Born-digital records: electronic hồ sơ submitted (nộp lưu) by agencies, their signed files and renditions.

Revision ID: 0500_born_digital
Revises: 0400_reading_quality
Create Date: 2026-12-07

``born_digital_submission``: one delivery ``inbox/nop-luu/<agency>/<submission_id>/`` with its verdict and the
report sent back; (agency, submission_id) is unique, so a delivery is judged once and a re-run returns the
stored verdict. ``fingerprint`` (SHA-256 over the sorted SHA-256 of its files) finds the same files delivered
again under another id. ``born_digital_file``: every file kept of an accepted submission — the signed original
(``role`` ``original``, the preservation master, bit-exact in ``masters`` under object lock) or an attachment —
with its signature verification as stored evidence and the PDF/A-2b access copy made from it
(``rendition_*``, in ``derivatives``; NULL when the original is itself PDF/A). The event table gains no new
object type: signature verification is a ``validation`` event of the văn bản.
"""
from alembic import op

revision = "0500_born_digital"
down_revision = "0400_reading_quality"
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE TABLE born_digital_submission (
    id            bigserial PRIMARY KEY,
    agency_ma     text NOT NULL,
    submission_id text NOT NULL CHECK (submission_id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$'),
    ma_ho_so      text,
    verdict       text NOT NULL CHECK (verdict IN ('accepted', 'rejected')),
    fingerprint   char(64) CHECK (fingerprint ~ '^[0-9a-f]{64}$'),
    metadata      jsonb,
    report        jsonb NOT NULL,
    received_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (agency_ma, submission_id)
);
CREATE INDEX born_digital_submission_fingerprint ON born_digital_submission (fingerprint)
    WHERE verdict = 'accepted';

CREATE TABLE born_digital_file (
    id                 bigserial PRIMARY KEY,
    submission_id      bigint NOT NULL REFERENCES born_digital_submission (id),
    ho_so_id           bigint NOT NULL REFERENCES ho_so (id),
    van_ban_id         bigint REFERENCES van_ban (id),
    role               text NOT NULL CHECK (role IN ('original', 'attachment')),
    name               text NOT NULL,
    sha256             char(64) NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size_bytes         bigint NOT NULL CHECK (size_bytes > 0),
    master_key         text NOT NULL UNIQUE,
    master_version_id  text,
    pdf_version        text,
    pdfa               text,
    pages              integer CHECK (pages >= 0),
    signatures         jsonb NOT NULL DEFAULT '[]',
    flags              jsonb NOT NULL DEFAULT '[]',
    rendition_key      text,
    rendition_sha256   char(64) CHECK (rendition_sha256 ~ '^[0-9a-f]{64}$'),
    ocr_pages          integer[] NOT NULL DEFAULT '{}',
    CHECK (role = 'attachment' OR van_ban_id IS NOT NULL),
    CHECK ((rendition_key IS NULL) = (rendition_sha256 IS NULL))
);
CREATE INDEX born_digital_file_ho_so ON born_digital_file (ho_so_id);
"""

DOWNGRADE = r"""
DROP TABLE born_digital_file, born_digital_submission;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
