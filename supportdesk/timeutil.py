"""Time helpers: one clock (utcnow), UTC storage, Asia/Tokyo display, fiscal years and 和暦."""
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

JST = ZoneInfo("Asia/Tokyo")


def utcnow():
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timezone-aware datetimes stored as UTC on every database (SQLite keeps no zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def to_jst(value):
    if value is None:
        return None
    return value.astimezone(JST)


def fiscal_year(day):
    """The Japanese fiscal year (年度) a date falls in: April to March."""
    if isinstance(day, datetime):
        day = to_jst(day).date() if day.tzinfo else day.date()
    return day.year if day.month >= 4 else day.year - 1


ERAS = (  # (first day, kanji, short letter)
    (date(2019, 5, 1), "令和", "R"),
    (date(1989, 1, 8), "平成", "H"),
)


def wareki_year(year, month=4, day=1):
    """Era name and year for a western date, e.g. 2024-04-01 -> ("令和", 6)."""
    d = date(year, month, day)
    for start, name, _letter in ERAS:
        if d >= start:
            return name, year - start.year + 1
    return "昭和", year - 1925


def fiscal_year_label(fy):
    """令和6年度 (2024) for fiscal year 2024; 令和元年度 for its first year."""
    era, n = wareki_year(fy, 4, 1)
    num = "元" if n == 1 else str(n)
    return f"{era}{num}年度"


def fiscal_year_short(fy):
    """R6 for fiscal year 2024: used in request numbers."""
    d = date(fy, 4, 1)
    for start, _name, letter in ERAS:
        if d >= start:
            return f"{letter}{fy - start.year + 1}"
    return f"S{fy - 1925}"


def _era_year(year, month=4, day=1):
    era, n = wareki_year(year, month, day)
    return f"{era}{'元' if n == 1 else n}年"


def wareki_date(day, western=False):
    """令和8年12月2日 for 2026-12-02 (a datetime is shown in Tokyo); with `western`, the western
    year beside it: 令和8年12月2日(2026年). The one formatter for official output."""
    if isinstance(day, datetime):
        day = to_jst(day).date() if day.tzinfo else day.date()
    text = f"{_era_year(day.year, day.month, day.day)}{day.month}月{day.day}日"
    return f"{text}({day.year}年)" if western else text


def wareki_month(year, month, western=False):
    """令和8年11月 for November 2026; with `western`: 令和8年11月(2026年11月)."""
    text = f"{_era_year(year, month, 1)}{month}月"
    return f"{text}({year}年{month}月)" if western else text
