"""Reading quality: each OCR'd page's reading-quality score and the way of reading that won.

Revision ID: 0400_reading_quality
Revises: 0300_handover
Create Date: 2026-12-07

``trang.reading_quality`` is the kept reading's score from ``ocr_engine.quality`` (0..1, no ground truth
needed: valid Vietnamese syllables combined with the engine's confidence); NULL for a page not read yet, a
blank page, or one read before this revision without a score. ``trang.ocr_path`` names the reading that was
kept ("sohoa", "plain", "turn90", …; see ``ocr_engine.evidence``). Both are copies of what ``qc_metrics``
holds, as columns so the review queue can sort by the score and the dashboard can count pages below the
review threshold without reading every page's QC JSON. Pages already carrying them in ``qc_metrics`` are
backfilled; a value that is not a number in 0..1 (or not a string, for the path) is left NULL rather than
failing the migration.
"""
from alembic import op

revision = "0400_reading_quality"
down_revision = "0300_handover"
branch_labels = None
depends_on = None

UPGRADE = r"""
ALTER TABLE trang
    ADD COLUMN reading_quality real CHECK (reading_quality BETWEEN 0 AND 1),
    ADD COLUMN ocr_path        text;
-- the review queue sorts pages by it and the dashboard counts pages below a threshold
CREATE INDEX trang_reading_quality ON trang (reading_quality) WHERE reading_quality IS NOT NULL;

UPDATE trang
   SET reading_quality = CASE WHEN jsonb_typeof(qc_metrics -> 'reading' -> 'score') = 'number'
                               AND (qc_metrics -> 'reading' ->> 'score')::real BETWEEN 0 AND 1
                              THEN (qc_metrics -> 'reading' ->> 'score')::real END,
       ocr_path = CASE WHEN jsonb_typeof(qc_metrics -> 'path') = 'string' THEN qc_metrics ->> 'path' END
 WHERE jsonb_typeof(qc_metrics -> 'reading') = 'object' OR jsonb_typeof(qc_metrics -> 'path') = 'string';
"""

DOWNGRADE = r"""
DROP INDEX trang_reading_quality;
ALTER TABLE trang DROP COLUMN reading_quality, DROP COLUMN ocr_path;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
