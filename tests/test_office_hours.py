"""開庁時間: when non-urgent chat and mail may go out."""
from datetime import UTC, datetime

from supportdesk.notifications.office_hours import is_open, next_opening
from supportdesk.timeutil import JST

CFG = {"OFFICE_HOURS_START": "08:30", "OFFICE_HOURS_END": "17:15"}


def jst(*args):
    return datetime(*args, tzinfo=JST).astimezone(UTC)


def test_open_during_hours_on_a_business_day():
    assert is_open(jst(2026, 11, 25, 8, 30), CFG)
    assert not is_open(jst(2026, 11, 25, 17, 15), CFG)
    assert next_opening(jst(2026, 11, 25, 12, 0), CFG) == jst(2026, 11, 25, 12, 0)


def test_before_and_after_hours_wait_for_the_next_opening():
    assert next_opening(jst(2026, 11, 25, 7, 0), CFG) == jst(2026, 11, 25, 8, 30)
    assert next_opening(jst(2026, 11, 25, 20, 0), CFG) == jst(2026, 11, 26, 8, 30)


def test_weekends_holidays_and_the_year_end_closure_are_skipped():
    assert next_opening(jst(2026, 11, 21, 10, 0), CFG) == jst(2026, 11, 24, 8, 30)  # Sat; 23rd holiday
    assert next_opening(jst(2026, 12, 28, 18, 0), CFG) == jst(2027, 1, 4, 8, 30)


def test_hours_are_configurable():
    cfg = {"OFFICE_HOURS_START": "09:00", "OFFICE_HOURS_END": "17:00"}
    assert next_opening(jst(2026, 11, 25, 8, 45), cfg) == jst(2026, 11, 25, 9, 0)
