"""Japanese business days: weekends, national holidays (jpholiday, offline) and the 12/29-1/3 closure."""
from datetime import datetime, time, timedelta
from functools import lru_cache

import jpholiday

from .timeutil import JST


WEEKDAYS_JA = "月火水木金土日"


def day_label(day):
    """'2030-11-04(月)': a date as messages name it."""
    return f"{day:%Y-%m-%d}({WEEKDAYS_JA[day.weekday()]})"


def is_year_end_closure(day):
    return (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)


def is_holiday(day):
    """True for a national holiday (including substitute holidays) from the offline library."""
    return jpholiday.is_holiday(day)


def holiday_name(day):
    return jpholiday.is_holiday_name(day)


def is_business_day(day):
    if isinstance(day, datetime):
        day = day.astimezone(JST).date()
    return _is_business_date(day)


@lru_cache(maxsize=8192)
def _is_business_date(day):
    # jpholiday computes each answer afresh (~150 us); reports ask about thousands of days.
    return day.weekday() < 5 and not is_holiday(day) and not is_year_end_closure(day)


def add_business_days(start, days):
    """The business day that is `days` business days after the date `start`."""
    current = start
    added = 0
    while added < days:
        current += timedelta(days=1)
        if is_business_day(current):
            added += 1
    return current


def business_days_before(end, days):
    """The business day that is `days` business days before the date `end` (the reminder day of
    a deadline): business_days_between(result, end) == days when `end` is a business day."""
    current = end
    taken = 0
    while taken < days:
        current -= timedelta(days=1)
        if is_business_day(current):
            taken += 1
    return current


def next_business_day(day):
    """`day` itself when it is a business day, else the first business day after it (weekends,
    national holidays and the 12/29-1/3 closure are skipped)."""
    while not is_business_day(day):
        day += timedelta(days=1)
    return day


def closed_day_reason(day):
    """Why the desk is closed on `day` other than for a weekend: ("holiday", name),
    ("year_end", None), or None on an ordinary day (weekends are not counted here)."""
    name = holiday_name(day)
    if name:
        return ("holiday", name)
    if is_year_end_closure(day):
        return ("year_end", None)
    return None


def business_days_between(start, end):
    """Whole business days after `start` up to and including `end` (dates)."""
    if end <= start:
        return 0
    count = 0
    current = start
    while current < end:
        current += timedelta(days=1)
        if is_business_day(current):
            count += 1
    return count


def due_at(submitted_at, business_days):
    """The deadline (aware datetime, end of the day in Tokyo) `business_days` after a submission."""
    local_day = submitted_at.astimezone(JST).date()
    due_day = add_business_days(local_day, business_days)
    return datetime.combine(due_day, time(23, 59, 59), tzinfo=JST)


def is_weekend_or_holiday(day):
    if isinstance(day, datetime):
        day = day.astimezone(JST).date()
    return day.weekday() >= 5 or is_holiday(day) or is_year_end_closure(day)


