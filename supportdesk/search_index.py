"""The bigram index behind request search: how the normalised text becomes index tokens, and how
a search term becomes an index query, on SQLite (FTS5) and PostgreSQL (tsvector + GIN). Pure.

Japanese has no spaces between words, so search is substring search. The index holds every
character bigram of SupportRequest.search_text (already normalised by
services.requests.search.normalise_for_search) at its position, plus the text's last character
alone: every character starts exactly one token. A term then matches where it occurs:
- 2 characters: the one bigram (交付);
- n characters: its n-1 bigrams as a phrase, each right after the previous one (付金の =
  "付金" then "金の"), which is exactly "the substring occurs here";
- 1 character: a prefix query, every token that starts with it.
Queries keep a LIKE on the normalised text beside the index condition, so a result is always
exact even where the index can only narrow (see the PostgreSQL limits below).

SQLite: a contentless FTS5 table, support_requests_fts (rowid = request id), with the `ascii`
tokenizer, which takes every non-ASCII character as part of a word and splits on ASCII
punctuation and spaces. A document is its tokens joined by spaces; ASCII characters other than
letters and digits are first mapped into a private-use plane, so that a token is never split.
Triggers keep it in sync with support_requests.search_text through the SQL function
sd_search_bigrams, which the app registers on every SQLite connection (supportdesk/__init__.py):
a connection without it (the sqlite3 shell) cannot write support_requests, loudly.

PostgreSQL: an expression GIN index on sd_search_bigrams(search_text), an SQL function (created
by migration 0023, and by create_all through the DDL in models/support_request.py) that builds
the tsvector from the same tokens, with positions (up to 16383, 256 per lexeme; a longer text
is indexed without them, marked ~~~). The query asks the GIN index for rows holding every
bigram of the term (exact for 1 and 2 characters), and the LIKE beside it checks that they
occur in sequence: a phrase query (<->) would make PostgreSQL compute the expression again for
every candidate row to read the positions.
"""

FTS_TABLE = "support_requests_fts"
SQL_FUNCTION = "sd_search_bigrams"
LONG_MARKER = "~~~"          # lexeme of a tsvector built without positions (never a 1-2 char token)
_PRIVATE_PLANE = 0xF0000     # ASCII punctuation and spaces -> U+F00xx (SQLite tokens only)


def _fts_char(c):
    return c if ord(c) >= 128 or c.isalnum() else chr(_PRIVATE_PLANE + ord(c))


def tokens(text, fts=False):
    """The index tokens of a normalised text: its bigrams in order, then its last character."""
    chars = [_fts_char(c) for c in text] if fts else list(text or "")
    return ["".join(chars[i:i + 2]) for i in range(len(chars))]


def fts_document(text):
    """What the SQLite trigger indexes for a search_text (registered as sd_search_bigrams)."""
    return " ".join(tokens(text or "", fts=True))


def fts_query(terms):
    """An FTS5 MATCH expression requiring every (non-empty, normalised) term."""
    parts = []
    for term in terms:
        toks = tokens(term, fts=True)
        if len(term) == 1:
            parts.append(f'"{toks[0]}"*')
        else:
            parts.append('"' + " ".join(toks[:-1]) + '"')
    return " AND ".join(parts)


def _lexeme(tok):
    return "'" + tok.replace("\\", "\\\\").replace("'", "''") + "'"


def tsquery(terms):
    """A tsquery (input syntax, no text search configuration) requiring every term."""
    parts = []
    for term in terms:
        if len(term) == 1:
            parts.append(f"{_lexeme(term)}:*")
            continue
        # Every bigram, not the phrase (<->): a phrase makes the GIN scan recheck each candidate
        # by computing the index expression again (the bench measured 2x page 1 for a rare
        # 6-character term at 1M); the LIKE beside it checks the sequence on those few rows.
        parts.append(" & ".join(sorted({_lexeme(t) for t in tokens(term)[:-1]})))
    return " & ".join(parts)


# PostgreSQL: the tokens above, as a tsvector; positions only when the tsvector can hold them all.
PG_FUNCTION_SQL = r"""
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
PG_INDEX = "ix_support_requests_search_bigrams"
PG_INDEX_SQL = (f"CREATE INDEX {PG_INDEX} ON support_requests "
                f"USING gin ({SQL_FUNCTION}(search_text))")

SQLITE_DDL = [
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(bigrams, content='', tokenize='ascii', "
    "prefix='1', columnsize=0)",
    f"""CREATE TRIGGER {FTS_TABLE}_ai AFTER INSERT ON support_requests BEGIN
  INSERT INTO {FTS_TABLE}(rowid, bigrams) VALUES (new.id, {SQL_FUNCTION}(new.search_text));
END""",
    f"""CREATE TRIGGER {FTS_TABLE}_ad AFTER DELETE ON support_requests BEGIN
  INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, bigrams)
    VALUES ('delete', old.id, {SQL_FUNCTION}(old.search_text));
END""",
    f"""CREATE TRIGGER {FTS_TABLE}_au AFTER UPDATE OF search_text ON support_requests
WHEN old.search_text IS NOT new.search_text BEGIN
  INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, bigrams)
    VALUES ('delete', old.id, {SQL_FUNCTION}(old.search_text));
  INSERT INTO {FTS_TABLE}(rowid, bigrams) VALUES (new.id, {SQL_FUNCTION}(new.search_text));
END""",
]
