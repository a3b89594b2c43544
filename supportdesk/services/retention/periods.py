"""The one rule of the retention period, as the ordinances count it (pure: no database).

The period starts on 1 April after the record's closure, i.e. on the first day of the fiscal
year after the one (in Tokyo) in which the record was closed, and a class of N years ends on
31 March N years later. 常用 never ends. A record closed on 31 March is in the fiscal year that
ends that day, so its period starts the next day; one closed on 1 April waits a whole year.
"""
from datetime import date, datetime, time

from ...models.retention import CLASS_YEARS, RetentionClass
from ...timeutil import JST, fiscal_year


def closure_day(closed):
    """The day (Tokyo) of a closure given as an aware datetime (UTC in the database) or a date."""
    if isinstance(closed, datetime):
        return closed.astimezone(JST).date()
    return closed


def retention_period(closed, retention_class):
    """(first day, last day) of the period of a record closed at `closed`; the last day is None
    for 常用 (permanent)."""
    start_fy = fiscal_year(closure_day(closed)) + 1
    years = CLASS_YEARS[RetentionClass(retention_class)]
    end = None if years is None else date(start_fy + years, 3, 31)
    return date(start_fy, 4, 1), end


def fiscal_year_end(fy):
    return date(fy + 1, 3, 31)


def closed_before_for(fy, retention_class):
    """The instant (UTC-aware, as stored) before which a record must have been closed for its
    period of `retention_class` to end by the end of fiscal year `fy`; None for 常用."""
    years = CLASS_YEARS[RetentionClass(retention_class)]
    if years is None:
        return None
    # end = 31 March (fy_closed + 1 + years) <= 31 March (fy + 1)  <=>  fy_closed <= fy - years
    return datetime.combine(date(fy - years + 1, 4, 1), time(), tzinfo=JST)


def extended_end(end, years):
    """The last day after an extension by `years` (periods always end on 31 March)."""
    return date(end.year + years, 3, 31)
