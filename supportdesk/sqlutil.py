"""Portable SQL expressions for PostgreSQL and SQLite (dates in Asia/Tokyo, percentiles)."""
import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement


class jst_date(FunctionElement):
    """The calendar date in Asia/Tokyo of a UTC timestamp column, as 'YYYY-MM-DD' text."""

    type = sa.String()
    inherit_cache = True


@compiles(jst_date, "postgresql")
def _jst_date_pg(element, compiler, **kw):
    (arg,) = list(element.clauses)
    return "to_char((%s AT TIME ZONE 'Asia/Tokyo'), 'YYYY-MM-DD')" % compiler.process(arg, **kw)


@compiles(jst_date, "sqlite")
def _jst_date_sqlite(element, compiler, **kw):
    (arg,) = list(element.clauses)
    # Japan has no daylight saving time: a fixed +9 hours is exact.
    return "date(%s, '+9 hours')" % compiler.process(arg, **kw)


def nearest_rank(n, fraction):
    """The rank (1-based) of the nearest-rank percentile among n values."""
    import math

    return max(1, math.ceil(fraction * n))


def nearest_rank_condition(rn, n, fraction):
    """SQL: row number `rn` is nearest_rank(n, fraction), i.e. rn - 1 < fraction * n <= rn, in
    double precision on both databases as in Python (a window query picks the percentile rows
    of several groups at once)."""
    f = sa.cast(sa.literal(fraction, sa.Float), sa.Float)
    return sa.and_(rn >= f * n, rn - 1 < f * n)


def nearest_rank_percentile(session, values_subquery, column_name, fraction, n=None):
    """The nearest-rank percentile of a column of a subquery, computed in the database.

    Two small queries (count, then ORDER BY ... LIMIT 1 OFFSET k) so it runs the same on
    PostgreSQL and SQLite (which has no percentile function). A caller that already counted
    the non-null values passes `n` and saves the first query.
    """
    col = values_subquery.c[column_name]
    if n is None:
        n = session.scalar(sa.select(sa.func.count()).select_from(values_subquery)
                           .where(col.isnot(None)))
    if not n:
        return None
    import math

    rank = max(1, math.ceil(fraction * n))
    return session.scalar(
        sa.select(col).where(col.isnot(None)).order_by(col).limit(1).offset(rank - 1))
