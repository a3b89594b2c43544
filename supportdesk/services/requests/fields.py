"""Request fields: what may be edited, their labels, comparison and display, and search text."""

import sqlalchemy as sa

from ...extensions import db
from ...i18n import N_
from ...models import Municipality, SupportRequest, Theme
from ...timeutil import to_jst
from . import search

# Fields a filer or liaison may change with update_request; the order is the display order.
EDITABLE_FIELDS = ("title", "body", "theme_ids", "help_wanted", "urgent", "needed_by", "program",
                   "formats", "audiences", "expected_participants", "candidate_dates", "venue",
                   "online", "co_municipality_ids", "prework", "parent_id")
FIELD_LABELS = {
    "title": N_("件名"), "body": N_("課題・相談内容"), "theme_ids": N_("テーマ"), "help_wanted": N_("希望する支援"),
    "urgent": N_("緊急"), "needed_by": N_("希望期限"), "program": N_("講座メニュー"), "formats": N_("実施形態"),
    "audiences": N_("対象者"), "expected_participants": N_("参加予定人数"), "candidate_dates": N_("候補日時"),
    "venue": N_("会場"), "online": N_("オンライン"), "co_municipality_ids": N_("共同申込の市町"),
    "prework": N_("事前ワーク"), "parent_id": N_("元の依頼"),
}


# One normalisation and one search text for filing, conversation and the queue's search.
normalise_search = search.normalise_for_search
refresh_search_text = search.refresh_search_text


def display_value(field, value):
    """A JSON-friendly, human-readable form of a field value for the history and conflicts."""
    if value is None:
        return None
    if field == "theme_ids":
        rows = db.session.scalars(sa.select(Theme).where(Theme.id.in_(value))
                                  .order_by(Theme.sort_order)).all()
        return [t.name_ja for t in rows]
    if field == "co_municipality_ids":
        rows = db.session.scalars(sa.select(Municipality).where(Municipality.id.in_(value))
                                  .order_by(Municipality.code)).all()
        return [m.name for m in rows]
    if field == "candidate_dates":
        return [f"{to_jst(s):%Y-%m-%d %H:%M}-{to_jst(e):%H:%M}" for s, e in value]
    if field == "needed_by":
        return value.isoformat()
    if field == "parent_id":
        parent = db.session.get(SupportRequest, value)
        return parent.display_number if parent else value
    if isinstance(value, (list, tuple)):
        return sorted(value)
    return value


def current_value(sreq, field):
    if field == "theme_ids":
        return sorted(t.id for t in sreq.themes)
    if field == "co_municipality_ids":
        return sorted(m.id for m in sreq.co_municipalities)
    if field == "candidate_dates":
        return [(c.starts_at, c.ends_at) for c in sreq.candidate_dates]
    value = getattr(sreq, field)
    return sorted(value) if isinstance(value, list) else value


def normal_value(field, value):
    if field in ("theme_ids", "co_municipality_ids", "help_wanted", "formats", "audiences"):
        return sorted(set(value or []))
    if field in ("title", "body", "venue", "prework"):
        return (value or "").strip() or (None if field in ("venue", "prework") else "")
    if field == "candidate_dates":
        return [(s, e) for s, e in (value or [])]
    if field in ("urgent", "online"):
        return bool(value)
    return value or None


def same_value(field, a, b):
    if field == "candidate_dates":
        return [(s.timestamp(), e.timestamp()) for s, e in a] == \
               [(s.timestamp(), e.timestamp()) for s, e in b]
    return a == b
