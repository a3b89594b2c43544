"""search bigram index

Request search reads an index of the character bigrams of support_requests.search_text (see
supportdesk/search_index.py), so that two-character Japanese words (交付, 申請, 予算), which
have no trigram, are found without a scan:
- SQLite: a contentless FTS5 table support_requests_fts (rowid = request id) kept in sync by
  triggers that call sd_search_bigrams, a function the app registers on each connection;
- PostgreSQL: the SQL function sd_search_bigrams(text) -> tsvector and an expression GIN index
  on it; the pg_trgm index on search_text, which it replaces, is dropped.
The index is filled from the stored text of existing requests. The SQL is written out here
rather than imported, so the migration keeps meaning what it meant.

Revision ID: 0023
Revises: 0025
Create Date: 2026-12-03 15:10:00

"""
from alembic import op


revision = '0023'
down_revision = '0025'
branch_labels = None
depends_on = None

_PG_FUNCTION = r"""
CREATE OR REPLACE FUNCTION sd_search_bigrams(t text) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT CASE WHEN pg_catalog.length(t) <= 255 THEN
    -- short text: no lexeme can pass 256 positions; tsvector input merges repeated lexemes
    (SELECT COALESCE(pg_catalog.string_agg(
        '''' || pg_catalog.replace(pg_catalog.replace(pg_catalog.substr(t, i, 2), '\', '\\'),
                                   '''', '''''') || ''':' || i, ' ')::pg_catalog.tsvector,
        ''::pg_catalog.tsvector)
     FROM pg_catalog.generate_series(1, pg_catalog.length(t)) AS i)
  ELSE
    (SELECT CASE
       WHEN pg_catalog.max(l.n) > 255 OR pg_catalog.max(l.last) > 16383 THEN
         (pg_catalog.string_agg(l.lex, ' ') || ' ''~~~''')::pg_catalog.tsvector
       ELSE pg_catalog.string_agg(l.lex || ':' || l.pos, ' ')::pg_catalog.tsvector END
     FROM (SELECT '''' || pg_catalog.replace(pg_catalog.replace(g.tok, '\', '\\'), '''', '''''')
                  || '''' AS lex,
                  pg_catalog.count(*) AS n, pg_catalog.max(g.i) AS last,
                  pg_catalog.string_agg(g.i::text, ',' ORDER BY g.i) AS pos
           FROM (SELECT i, pg_catalog.substr(t, i, 2) AS tok
                 FROM pg_catalog.generate_series(1, pg_catalog.length(t)) AS i) AS g
           GROUP BY g.tok) AS l)
  END
$$
"""

_SQLITE = [
    "CREATE VIRTUAL TABLE support_requests_fts USING fts5(bigrams, content='', tokenize='ascii', "
    "prefix='1', columnsize=0)",
    """CREATE TRIGGER support_requests_fts_ai AFTER INSERT ON support_requests BEGIN
  INSERT INTO support_requests_fts(rowid, bigrams) VALUES (new.id, sd_search_bigrams(new.search_text));
END""",
    """CREATE TRIGGER support_requests_fts_ad AFTER DELETE ON support_requests BEGIN
  INSERT INTO support_requests_fts(support_requests_fts, rowid, bigrams)
    VALUES ('delete', old.id, sd_search_bigrams(old.search_text));
END""",
    """CREATE TRIGGER support_requests_fts_au AFTER UPDATE OF search_text ON support_requests
WHEN old.search_text IS NOT new.search_text BEGIN
  INSERT INTO support_requests_fts(support_requests_fts, rowid, bigrams)
    VALUES ('delete', old.id, sd_search_bigrams(old.search_text));
  INSERT INTO support_requests_fts(rowid, bigrams) VALUES (new.id, sd_search_bigrams(new.search_text));
END""",
    # Backfill, through the same function the triggers use.
    "INSERT INTO support_requests_fts(rowid, bigrams) "
    "SELECT id, sd_search_bigrams(search_text) FROM support_requests",
]


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        # Building the index computes every row's tsvector: that is the backfill.
        op.execute("CREATE INDEX ix_support_requests_search_bigrams ON support_requests "
                   "USING gin (sd_search_bigrams(search_text))")
        op.drop_index('ix_support_requests_search_trgm', table_name='support_requests')
        return
    for statement in _SQLITE:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.create_index('ix_support_requests_search_trgm', 'support_requests', ['search_text'],
                        unique=False, postgresql_using='gin',
                        postgresql_ops={'search_text': 'gin_trgm_ops'})
        op.execute("DROP INDEX ix_support_requests_search_bigrams")
        op.execute("DROP FUNCTION sd_search_bigrams(text)")
        return
    for trigger in ("ai", "ad", "au"):
        op.execute(f"DROP TRIGGER support_requests_fts_{trigger}")
    op.execute("DROP TABLE support_requests_fts")
