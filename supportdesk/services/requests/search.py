"""Request search text: title, body, pre-work and replies, normalised for substring search.

Japanese has no spaces between words, so search is substring matching (LIKE) on one
denormalised column, SupportRequest.search_text, normalised by normalise_for_search (the one
owner of the rule, for the indexed text and for every query: queue, API, exports): NFKC, so
full-width and half-width variants match (ＤＸ = DX, ｶｲｾﾞﾝ = カイゼン); lower case; and katakana
folded to hiragana, so かいぜん finds カイゼン. A bigram index backs it on both databases
(supportdesk/search_index.py): SQLite FTS5 and a PostgreSQL GIN index over a tsvector.

A term that spells a request number (R8-0001, r8-1, Ｒ８－０００１, R8−01: any width, case,
leading zeros or dash) finds the request with that number, and the texts that quote it in full;
never the numbers that merely start like it (r8-1 is R8-0001, not R8-1234).

Internal notes (RequestComment.internal) are deliberately left out: the text is shared by every
list that searches, and a note's wording must never make a request findable (or reveal that a
note mentions something) to anyone who may not read the note.
"""
import re
import unicodedata

import sqlalchemy as sa

from ... import search_index
from ...extensions import db
from ...models import RequestComment, SupportRequest

LIKE_ESCAPE = "\\"


# Katakana ァ (U+30A1) .. ヶ (U+30F6) -> hiragana ぁ (U+3041) .. ゖ (U+3096); ー stays as it is.
_KATAKANA_TO_HIRAGANA = {cp: cp - 0x60 for cp in range(0x30A1, 0x30F7)}


def normalise_for_search(text):
    """The text as search compares it: NFKC, lower case, katakana folded to hiragana."""
    return unicodedata.normalize("NFKC", text or "").lower().translate(_KATAKANA_TO_HIRAGANA)


# After normalise_for_search: an era letter, its year, a dash of any kind, the sequence.
_NUMBER_TERM = re.compile(r"^([a-z])(\d{1,3})[-\u2010-\u2015\u2212\u30fc](\d{1,6})$")


def request_number_of(term):
    """The request number (R8-0001) a normalised search term spells, or None. Numbers are
    made as f"{era}{year}-{seq:04d}" when a request is submitted (filing.submit_request)."""
    m = _NUMBER_TERM.match(term)
    if m is None:
        return None
    return f"{m[1].upper()}{int(m[2])}-{int(m[3]):04d}"


def build_search_text(sreq):
    """The text search looks at: number, title, body, pre-work and every non-internal reply."""
    parts = [sreq.number or "", sreq.title or "", sreq.body or "", sreq.prework or ""]
    if sreq.id is not None:
        parts += db.session.scalars(
            sa.select(RequestComment.body)
            .where(RequestComment.request_id == sreq.id, RequestComment.internal.is_(False))
            .order_by(RequestComment.id))
    return normalise_for_search("\n".join(p for p in parts if p))


def refresh_search_text(sreq):
    """Recompute sreq.search_text; call after changing the title, body, pre-work or replies."""
    text = build_search_text(sreq)
    # Assigning an unchanged value would still bump the optimistic-locking version.
    if sreq.search_text != text:
        sreq.search_text = text
    return text


def query_terms(q):
    """Whitespace-separated terms of a user query, normalised like the indexed text."""
    return [t for t in normalise_for_search(q).split() if t]


def escape_like(term):
    return (term.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
            .replace("%", LIKE_ESCAPE + "%").replace("_", LIKE_ESCAPE + "_"))


def search_conditions(q):
    """Conditions requiring every term (AND); % and _ in the query are literal.

    Each term is looked up in the bigram index (search_index.py): FTS5 on SQLite, the GIN
    index on PostgreSQL, so a rare word costs what its few matches cost, even a two-character
    one (交付) that has no trigram. The LIKE beside the index condition keeps every result
    exact where the index only narrows (on PostgreSQL: whether the bigrams are in sequence)."""
    terms = query_terms(q)
    plain = [t for t in terms if request_number_of(t) is None]
    conds = [_indexed(plain)] if plain else []
    conds += [_like(t) for t in plain]
    for term in terms:
        number = request_number_of(term)
        if number is not None:
            quoted = normalise_for_search(number)
            conds.append(sa.or_(SupportRequest.number == number,
                                sa.and_(_indexed([quoted]), _like(quoted))))
    return conds


def _like(term):
    return SupportRequest.search_text.like(f"%{escape_like(term)}%", escape=LIKE_ESCAPE)


_FTS = sa.table(search_index.FTS_TABLE, sa.column("rowid", sa.Integer))


def _indexed(terms):
    """The index condition for terms (all required), for the session's database."""
    if db.session.get_bind().dialect.name == "postgresql":
        # Imported here: the PostgreSQL dialect costs a SQLite worker ~2 MiB (tests/test_lazy_imports.py).
        from sqlalchemy.dialects.postgresql import TSQUERY

        return sa.func.sd_search_bigrams(SupportRequest.search_text).op("@@")(
            sa.cast(sa.literal(search_index.tsquery(terms)), TSQUERY))
    match = sa.literal_column(search_index.FTS_TABLE).op("MATCH")(
        sa.literal(search_index.fts_query(terms)))
    return SupportRequest.id.in_(sa.select(_FTS.c.rowid).where(match))
