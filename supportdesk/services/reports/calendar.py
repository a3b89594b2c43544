"""Keeps the business-day calendar table filled for the dates a report needs."""
from datetime import date, timedelta

import sqlalchemy as sa

from ...calendar_jp import is_business_day
from ...extensions import db
from ...models import BusinessDay
from ...sqlite_tx import in_deferred_transaction, write_transaction

EPOCH = date(2019, 4, 1)  # 令和元年度: the desk holds nothing older


def ensure_business_days(first, last):
    """Insert the missing days between `first` and `last` (dates) with their ordinals.

    A report page is a read: on SQLite it runs in a deferred transaction and leaves the write
    lock to others. The first page that needs days the calendar lacks (a new year) ends its
    read there and fills them in a write transaction of its own, then reads on."""
    first = min(first, last)
    if _covered(first, last):
        return 0
    if in_deferred_transaction(db.session):
        db.session.commit()  # ends the read transaction: nothing was written in it
        with write_transaction():
            filled = _fill(first, last)  # checks again: another worker may have filled them
            db.session.commit()
        return filled
    return _fill(first, last)


def _covered(first, last):
    have = db.session.execute(
        sa.select(sa.func.min(BusinessDay.day), sa.func.max(BusinessDay.day))).one()
    return have[0] is not None and have[0] <= first.isoformat() and have[1] >= last.isoformat()


def _fill(first, last):
    have = db.session.execute(
        sa.select(sa.func.min(BusinessDay.day), sa.func.max(BusinessDay.day))).one()
    if have[0] is not None and have[0] <= first.isoformat() and have[1] >= last.isoformat():
        return 0
    start = first if have[0] is None else min(first, date.fromisoformat(have[0]))
    end = last if have[1] is None else max(last, date.fromisoformat(have[1]))
    # Ordinals count from the epoch, so rows written at different times agree.
    ordinal = 0
    day = EPOCH
    while day < start:
        if is_business_day(day):
            ordinal += 1
        day += timedelta(days=1)
    existing = set(db.session.scalars(sa.select(BusinessDay.day).where(
        BusinessDay.day >= start.isoformat(), BusinessDay.day <= end.isoformat())))
    rows = []
    while day <= end:
        business = is_business_day(day)
        if business:
            ordinal += 1
        if day.isoformat() not in existing:
            rows.append({"day": day.isoformat(), "is_business": business, "ordinal": ordinal})
        day += timedelta(days=1)
    if rows:
        db.session.execute(sa.insert(BusinessDay), rows)
        if db.session.get_bind().dialect.name == "postgresql":
            # Without fresh statistics the planner takes the just-filled calendar for an empty
            # table, and psycopg's prepared generic plans then loop over every day for every
            # request (seconds instead of milliseconds; bench/README.md).
            db.session.execute(sa.text("ANALYZE business_days"))
    return len(rows)
