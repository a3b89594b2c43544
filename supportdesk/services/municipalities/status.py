"""The DX status tracker: recording a value (with its history), reading the current value and
the value as of a date. The tracker is the source of truth of the profile facts it shares with
Municipality (dx_step, cio_appointed, dx_plan_in_place, dx_staff_band, population_band): this
module keeps those columns in sync, so announcement targeting keeps reading them."""
import logging
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import get_locale
from flask_babel import gettext as _

from ... import permissions
from ...extensions import db
from ...models import StatusItem, StatusValue
from ...models.status import SOURCE_KINDS
from ...timeutil import to_jst, utcnow
from .. import ValidationFailed
from ..audit import record_audit

logger = logging.getLogger(__name__)

TEXT_MAX = 2000
_YES = ("1", "yes", "true", "はい", "あり", "y")
_NO = ("0", "no", "false", "いいえ", "なし", "n")


def today_of(now):
    return to_jst(now).date()


def item_by_key(key):
    item = db.session.scalar(sa.select(StatusItem).where(StatusItem.key == key))
    if item is None:
        raise ValidationFailed(_("この状況項目はありません。"), "item")
    return item


def parse_value(item, raw):
    """The stored columns of a value typed for `item` (a form's text, or a Python value);
    a wrong value is refused with a message for the "value" field."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise ValidationFailed(_("値を入力してください。"), "value")
    text = raw.strip() if isinstance(raw, str) else raw
    if item.item_type == "step":
        steps = item.steps or []
        if isinstance(text, str) and text in steps:
            return {"value_number": float(steps.index(text))}
        try:
            n = int(text)
        except (TypeError, ValueError):
            n = -1
        if isinstance(text, bool) or not 0 <= n < len(steps):
            raise ValidationFailed(_("段階を一覧から選んでください。"), "value")
        return {"value_number": float(n)}
    if item.item_type == "yesno":
        if isinstance(text, bool):
            return {"value_number": 1.0 if text else 0.0}
        word = str(text).lower()
        if word in _YES or word in _NO:
            return {"value_number": 1.0 if word in _YES else 0.0}
        raise ValidationFailed(_("「はい」か「いいえ」を選んでください。"), "value")
    if item.item_type == "percentage":
        try:
            n = float(str(text).rstrip("%％"))
        except ValueError:
            n = None
        if n is None or not 0 <= n <= 100 or n != n:
            raise ValidationFailed(_("0から100までの数値を入力してください。"), "value")
        return {"value_number": round(n, 1)}
    if item.item_type == "date":
        if isinstance(text, datetime):
            text = text.date()
        if isinstance(text, date):
            return {"value_date": text}
        try:
            return {"value_date": date.fromisoformat(str(text))}
        except ValueError:
            raise ValidationFailed(_("日付は 2025-04-01 の形で入力してください。"), "value") from None
    text = str(text)
    if len(text) > TEXT_MAX:
        raise ValidationFailed(_("%(n)d文字以内で入力してください。", n=TEXT_MAX), "value")
    return {"value_text": text}


def python_value(row):
    """The value of a row as Python: a step's index, a bool, a number, a date or a text."""
    if row is None:
        return None
    kind = row.item.item_type
    if kind == "step":
        return int(row.value_number)
    if kind == "yesno":
        return bool(row.value_number)
    if kind == "percentage":
        return row.value_number
    if kind == "date":
        return row.value_date
    return row.value_text


def step_label(item, index):
    """A step's label in the reader's language: the item's English steps, or for the profile
    bands the message catalogue (they are marked in models/org.py)."""
    if item.steps_en:
        return item.step_label(index, str(get_locale() or "ja"))
    return _(item.step_label(index))


def display_value(row):
    """The value of a row in words (a step's label, はい/いいえ, 45.5%, a date, a text)."""
    if row is None:
        return ""
    value, kind = python_value(row), row.item.item_type
    if kind == "step":
        return step_label(row.item, value)
    if kind == "yesno":
        return _("はい") if value else _("いいえ")
    if kind == "percentage":
        return f"{value:g}%"
    if kind == "date":
        return value.isoformat()
    return value


def _profile_value(item, row):
    value = python_value(row)
    if item.profile_field in ("dx_staff_band", "population_band"):
        return (item.steps or [])[value]
    return value


def record_status(municipality, item_key, value, *, actor, source_kind, source_ref=None,
                  as_of=None, now=None):
    """Record a value of a status item for a municipality, as of a date (today by default).

    source_kind "edit" is a person's edit, checked against the permission table (liaisons of
    the municipality's region, admins). "round", "survey" and "import" come from another
    service that has checked its own caller (a round's recorder, a survey's respondent) and
    names what it was in source_ref. The value becomes the current one unless a later as-of
    exists; either way the row stays in the history. Audited; flushes."""
    now = now or utcnow()
    if source_kind not in SOURCE_KINDS:
        raise ValueError(f"unknown source kind {source_kind!r}")
    item = item_by_key(item_key) if isinstance(item_key, str) else item_key
    if not item.active:
        raise ValidationFailed(_("この状況項目は現在使われていません。"), "item")
    as_of = as_of or today_of(now)
    if isinstance(as_of, str):
        try:
            as_of = date.fromisoformat(as_of)
        except ValueError:
            raise ValidationFailed(_("日付は 2025-04-01 の形で入力してください。"), "as_of") from None
    if as_of > today_of(now):
        raise ValidationFailed(_("「時点」に未来の日付は指定できません。"), "as_of")
    row = StatusValue(municipality_id=municipality.id, item=item, as_of=as_of, set_at=now,
                      set_by_id=getattr(actor, "id", None), source_kind=source_kind,
                      source_ref=(source_ref or None) and str(source_ref)[:100],
                      **parse_value(item, value))
    if source_kind == "edit":
        permissions.require(actor, "edit", row)
    db.session.add(row)
    db.session.flush()
    current = current_value(municipality, item)
    if item.profile_field and current.id == row.id:
        setattr(municipality, item.profile_field, _profile_value(item, row))
        municipality.touch_profile(now)
    record_audit("status.recorded", actor=actor, target=municipality, now=now, item=item.key,
                 value=display_value(row), as_of=as_of.isoformat(), source=source_kind,
                 source_ref=row.source_ref)
    logger.info("status %s of municipality %s = %r as of %s (%s) by %s", item.key,
                municipality.id, display_value(row), as_of, source_kind, row.set_by_id)
    db.session.flush()
    return row


def _ranked(before=None, municipality_ids=None, item_ids=None):
    rank = sa.func.row_number().over(
        partition_by=(StatusValue.municipality_id, StatusValue.item_id),
        order_by=(StatusValue.as_of.desc(), StatusValue.set_at.desc(),
                  StatusValue.id.desc())).label("rank")
    sub = sa.select(StatusValue.id, rank)
    if before is not None:
        sub = sub.where(StatusValue.as_of <= before)
    if municipality_ids is not None:
        sub = sub.where(StatusValue.municipality_id.in_(list(municipality_ids)))
    if item_ids is not None:
        sub = sub.where(StatusValue.item_id.in_(list(item_ids)))
    sub = sub.subquery()
    return sa.select(StatusValue).join(sub, sub.c.id == StatusValue.id).where(sub.c.rank == 1)


def values_as_of(day=None, municipality_ids=None, item_ids=None):
    """{(municipality_id, item_id): StatusValue} of the latest value as of `day` (None: now);
    one query."""
    rows = db.session.scalars(_ranked(day, municipality_ids, item_ids)).all()
    return {(r.municipality_id, r.item_id): r for r in rows}


def current_value(municipality, item):
    return values_as_of(None, [municipality.id], [item.id]).get((municipality.id, item.id))


def value_history(municipality, item=None):
    """Every value of the municipality (of one item), newest as-of first: nothing is dropped."""
    stmt = sa.select(StatusValue).where(StatusValue.municipality_id == municipality.id)
    if item is not None:
        stmt = stmt.where(StatusValue.item_id == item.id)
    return db.session.scalars(stmt.order_by(StatusValue.as_of.desc(), StatusValue.set_at.desc(),
                                            StatusValue.id.desc())).all()


def active_items():
    from ...models.status import ITEM_GROUPS

    items = db.session.scalars(sa.select(StatusItem).where(StatusItem.active.is_(True))).all()
    return sorted(items, key=lambda i: (ITEM_GROUPS.index(i.item_group), i.sort_order, i.id))


def same_value(a, b):
    if a is None or b is None:
        return a is b
    return (a.value_number, a.value_date, a.value_text) == (b.value_number, b.value_date,
                                                              b.value_text)


def change_since(current, before):
    """How the current value differs from the value before a day: None (same, or no value),
    "new" (nothing before), "up", "down" (numbers) or "changed"."""
    if current is None or same_value(current, before):
        return None
    if before is None:
        return "new"
    if current.value_number is not None and before.value_number is not None:
        return "up" if current.value_number > before.value_number else "down"
    return "changed"
