"""Processing: OCR attempts and errors per page, the search index, the review queue, proposed metadata.

Revision ID: 0200_processing
Revises: 0100_milestones
Create Date: 2026-11-24

``trang_text`` holds each page's NFC text and its diacritics-folded, lower-case form (folded in Python by
``sohoa.vntext.fold``, which keeps offsets, so snippets are cut from the original). ``trang_search`` holds only
the tsvector of the folded text, with the GIN index: narrow rows keep a common word's matches cheap to rank.
``search_vocabulary`` lists every indexed word with the number of pages holding it and a trigram index: typo
correction, and pruning of near-universal words from the index scan.
"""
from alembic import op

revision = "0200_processing"
down_revision = "0100_milestones"
branch_labels = None
depends_on = None

UPGRADE = r"""
ALTER TABLE trang
    ADD COLUMN ocr_attempts   integer NOT NULL DEFAULT 0 CHECK (ocr_attempts >= 0),
    ADD COLUMN ocr_error      text,
    ADD COLUMN ocr_updated_at timestamptz,
    ADD COLUMN ocr_seconds    real CHECK (ocr_seconds >= 0);
CREATE INDEX trang_ocr_status ON trang (ocr_status, ho_so_id);

ALTER TABLE van_ban
    ADD COLUMN proposed     jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN finalised_by text,
    ADD COLUMN finalised_at timestamptz;
-- văn bản already final (metadata given by the vendor's manifest) were finalised before reviews existed
UPDATE van_ban SET finalised_by = 'sohoa (before migration 0200)', finalised_at = now() WHERE status = 'final';
ALTER TABLE van_ban ADD CONSTRAINT van_ban_final_has_reviewer CHECK (status = 'proposed' OR finalised_by IS NOT NULL);

ALTER TABLE ho_so
    ADD COLUMN pdf_keys jsonb NOT NULL DEFAULT '{}';

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE trang_text (
    trang_id  bigint PRIMARY KEY REFERENCES trang (id) ON DELETE CASCADE,
    text      text NOT NULL,
    folded    text NOT NULL
);
CREATE TABLE trang_search (
    trang_id  bigint PRIMARY KEY REFERENCES trang (id) ON DELETE CASCADE,
    tsv       tsvector NOT NULL
);
CREATE INDEX trang_search_tsv ON trang_search USING gin (tsv);

CREATE TABLE search_vocabulary (
    word  text PRIMARY KEY,
    pages bigint NOT NULL DEFAULT 0 CHECK (pages >= 0)  -- pages containing the word (document frequency)
);
CREATE INDEX search_vocabulary_trgm ON search_vocabulary USING gin (word gin_trgm_ops);

-- What an archivist must look at: flagged pages, parked OCR failures, proposed văn bản metadata, hồ sơ whose
-- PDF/A could not be built.
CREATE TABLE review_item (
    id           bigserial PRIMARY KEY,
    object_type  text NOT NULL CHECK (object_type IN ('trang', 'van_ban', 'ho_so')),
    object_id    bigint NOT NULL,
    reason       text NOT NULL CHECK (reason IN ('qc_flag', 'low_confidence', 'ocr_parked', 'metadata',
                                                 'pdf_failed')),
    detail       jsonb NOT NULL DEFAULT '{}',
    status       text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'accepted', 'corrected', 'rescan')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    resolved_by  text,
    resolved_at  timestamptz,
    UNIQUE (object_type, object_id, reason),
    CHECK ((status = 'open') = (resolved_by IS NULL))
);
CREATE INDEX review_item_open ON review_item (created_at) WHERE status = 'open';
"""

DOWNGRADE = r"""
DROP TABLE review_item, search_vocabulary, trang_search, trang_text;
ALTER TABLE ho_so DROP COLUMN pdf_keys;
ALTER TABLE van_ban DROP CONSTRAINT van_ban_final_has_reviewer, DROP COLUMN proposed, DROP COLUMN finalised_by,
    DROP COLUMN finalised_at;
DROP INDEX trang_ocr_status;
ALTER TABLE trang DROP COLUMN ocr_attempts, DROP COLUMN ocr_error, DROP COLUMN ocr_updated_at,
    DROP COLUMN ocr_seconds;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
