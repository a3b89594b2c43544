"""One municipality's fiscal year month by month (the report's municipality sheet and its chart)."""
from functools import lru_cache

import sqlalchemy as sa

from ...extensions import db
from ...models import SupportRequest
from ...timeutil import UTCDateTime
from . import figures as r

# April to March: the position of each calendar month in a fiscal year.
FISCAL_MONTHS = (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)


def fiscal_year_period(fy):
    return r.Period(r.month_period(fy, 4).start, r.month_period(fy + 1, 3).end, f"FY{fy}")


def requests_per_month(municipality_id, fy):
    """Requests the municipality submitted in each month (Tokyo time) of fiscal year `fy`,
    April first."""
    return requests_per_month_of_years(municipality_id, fy, 1)[0]


def requests_per_month_of_years(municipality_id, first_fy, years):
    """[requests_per_month(municipality_id, fy) for fy in first_fy .. first_fy + years - 1], in
    one statement: the month of each request is told by its month boundaries (Tokyo midnights,
    bound as parameters), so the statement is the same for every municipality and year."""
    n = 12 * years
    bounds = [r.month_period(first_fy + (i + 3) // 12, (i + 3) % 12 + 1).start
              for i in range(n + 1)]
    params = {f"b{i}": b for i, b in enumerate(bounds)}
    counts = [0] * n
    for k, c in db.session.execute(_months_stmt(n), {"mid": municipality_id, **params}):
        if k is not None:  # outside the years
            counts[k] = c
    return [counts[i * 12:(i + 1) * 12] for i in range(years)]


@lru_cache(maxsize=None)
def _months_stmt(n):
    # The years' range is inside the CASE, not in WHERE: with it in WHERE, SQLite walked the
    # submitted_at index over every municipality's requests of the years (~66k rows at 100k,
    # 200 ms) instead of this municipality's requests (the municipality_id index).
    at = SupportRequest.submitted_at
    b = [sa.bindparam(f"b{i}", type_=UTCDateTime()) for i in range(n + 1)]
    month = sa.case((at < b[0], None), *((at < b[i + 1], i) for i in range(n)),
                    else_=None).label("k")
    return (sa.select(month, sa.func.count())
            .where(SupportRequest.municipality_id == sa.bindparam("mid"))
            .group_by(month))
