"""Text versions: a page's text as corrected by archivists, each correction a new version, the old ones kept.

Revision ID: 0600_text_versions
Revises: 0800_search_ranking
Create Date: 2026-12-07

``trang.text_version`` is the version the page's current text (``ocr_text``, ``derivative_keys``, the search
index) is at: 1 is the OCR's reading. A correction (``sohoa.processing.corrections``) stores the new words, ALTO
and text under version-numbered keys in ``derivatives`` and adds a ``trang_text_version`` row; it moves
``text_version`` from N to N + 1 only if the page is still at N, so of two archivists correcting from the same
version the later one is refused instead of overwriting the first. The OCR's version gets its row when the
page is first corrected (its derivatives stay where OCR wrote them), so existing pages need no backfill.
The revision id is below 0800's, as numbered when the work began; it is chained after it.
"""
from alembic import op

revision = "0600_text_versions"
down_revision = "0800_search_ranking"
branch_labels = None
depends_on = None

UPGRADE = r"""
ALTER TABLE trang ADD COLUMN text_version integer NOT NULL DEFAULT 1 CHECK (text_version >= 1);

CREATE TABLE trang_text_version (
    id              bigserial PRIMARY KEY,
    trang_id        bigint NOT NULL REFERENCES trang (id) ON DELETE CASCADE,
    version         integer NOT NULL CHECK (version >= 1),
    text            text NOT NULL,
    derivative_keys jsonb NOT NULL DEFAULT '{}',  -- {"words.json"|"alto.xml"|"txt": {"key", "sha256"}}
    created_by      text NOT NULL,                -- the archivist's Airflow login, or the OCR engine for version 1
    created_at      timestamptz NOT NULL DEFAULT now(),
    detail          jsonb NOT NULL DEFAULT '{}',  -- what changed: {"line", "old", "new"}
    UNIQUE (trang_id, version)
);
"""

DOWNGRADE = r"""
DROP TABLE trang_text_version;
ALTER TABLE trang DROP COLUMN text_version;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
