"""One municipality's fiscal year month by month (the report's municipality sheet and its chart)."""
import sqlalchemy as sa

from ...extensions import db
from ...models import SupportRequest
from ...timeutil import to_jst
from . import figures as r

# April to March: the position of each calendar month in a fiscal year.
FISCAL_MONTHS = (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)


def fiscal_year_period(fy):
    return r.Period(r.month_period(fy, 4).start, r.month_period(fy + 1, 3).end, f"FY{fy}")


def requests_per_month(municipality_id, fy):
    """Requests the municipality submitted in each month (Tokyo time) of fiscal year `fy`,
    April first."""
    period = fiscal_year_period(fy)
    times = db.session.scalars(
        sa.select(SupportRequest.submitted_at)
        .where(SupportRequest.municipality_id == municipality_id,
               SupportRequest.submitted_at >= period.start,
               SupportRequest.submitted_at < period.end))
    counts = dict.fromkeys(FISCAL_MONTHS, 0)
    for at in times:
        counts[to_jst(at).month] += 1
    return [counts[m] for m in FISCAL_MONTHS]
