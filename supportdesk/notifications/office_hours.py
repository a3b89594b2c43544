"""開庁時間: non-urgent chat and mail wait for the next opening instead of arriving at night."""
from datetime import datetime, time, timedelta

from ..calendar_jp import is_business_day
from ..timeutil import JST


def _parse(value):
    if isinstance(value, time):
        return value
    hours, minutes = str(value).split(":")
    return time(int(hours), int(minutes))


def office_hours(config):
    return _parse(config.get("OFFICE_HOURS_START", "08:30")), _parse(config.get("OFFICE_HOURS_END",
                                                                                 "17:15"))


def is_open(now, config):
    start, end = office_hours(config)
    local = now.astimezone(JST)
    return is_business_day(local.date()) and start <= local.time() < end


def next_opening(now, config):
    """`now` if the office is open, else the start of the next business day's hours (UTC-aware)."""
    if is_open(now, config):
        return now
    start, _end = office_hours(config)
    local = now.astimezone(JST)
    day = local.date()
    if local.time() >= start:
        day += timedelta(days=1)
    while not is_business_day(day):
        day += timedelta(days=1)
    return datetime.combine(day, start, tzinfo=JST).astimezone(now.tzinfo)
