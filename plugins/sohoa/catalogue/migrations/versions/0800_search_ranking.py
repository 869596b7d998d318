"""Search ranking: each page's words as written (lower-case, diacritics kept), so typed diacritics count.

Revision ID: 0800_search_ranking
Revises: 0500_born_digital
Create Date: 2026-12-07

``trang_search_exact`` holds the tsvector of a page's NFC, lower-case words *with* their diacritics, beside the
folded one in ``trang_search``. A query typed with diacritics ("số hóa") still matches every folded spelling, but
pages holding the words exactly as typed rank first (``sohoa.search``): «Số» on a letterhead and «HÒA» in
"CỘNG HÒA" no longer outrank "số hóa". A table of its own keeps ``trang_search`` narrow: queries without
diacritics never read it. Existing pages are backfilled from ``trang_text`` with the same word split the
indexer uses (Python's, not PostgreSQL's parser, which would keep "154/kh-ubnd" as one token).
"""
from alembic import op

revision = "0800_search_ranking"
down_revision = "0500_born_digital"
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE TABLE trang_search_exact (
    trang_id  bigint PRIMARY KEY REFERENCES trang (id) ON DELETE CASCADE,
    tsv       tsvector NOT NULL
);
CREATE INDEX trang_search_exact_tsv ON trang_search_exact USING gin (tsv);
"""

DOWNGRADE = "DROP TABLE trang_search_exact;"
BACKFILL_ROWS = 5000


def upgrade() -> None:
    from sohoa.search import exact_words

    op.execute(UPGRADE)
    conn = op.get_bind().connection  # the DBAPI connection, inside Alembic's transaction
    with conn.cursor(name="backfill_exact") as rows, conn.cursor() as cur:
        rows.itersize = BACKFILL_ROWS
        rows.execute("SELECT trang_id, text FROM trang_text ORDER BY trang_id")
        while batch := rows.fetchmany(BACKFILL_ROWS):
            cur.execute("""INSERT INTO trang_search_exact (trang_id, tsv) SELECT id, to_tsvector('simple', words)
                           FROM unnest(%s::bigint[], %s::text[]) AS u(id, words)""",
                        ([trang_id for trang_id, _ in batch], [exact_words(text) for _, text in batch]))


def downgrade() -> None:
    op.execute(DOWNGRADE)
