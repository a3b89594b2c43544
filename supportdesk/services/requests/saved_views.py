"""Saved queue views: create and delete a user's named queue filters."""
from urllib.parse import parse_qsl, urlencode

import sqlalchemy as sa
from flask_babel import gettext as _

from ... import permissions
from ...extensions import db
from ...models import SavedView
from .. import ValidationFailed

MAX_VIEWS = 30


def clean_query(query):
    """The query string to keep: the filter without the page cursor."""
    pairs = [(k, v) for k, v in parse_qsl(query or "", keep_blank_values=False) if k != "after"]
    return urlencode(pairs)[:1000]


def list_views(user):
    return list(db.session.scalars(
        sa.select(SavedView).where(SavedView.user_id == user.id).order_by(SavedView.name)))


def list_views_and(user, flag):
    """(the user's views as rows of id, name, query; the value of the SQL boolean `flag`) in one
    statement: the queue page asks with them whether any meeting item it lists is overdue."""
    flagged = sa.select(flag.label("flag")).subquery("flagged")
    rows = db.session.execute(
        sa.select(flagged.c.flag, SavedView.id, SavedView.name, SavedView.query)
        .select_from(flagged).outerjoin(SavedView, SavedView.user_id == user.id)
        .order_by(SavedView.name)).all()
    return [r for r in rows if r.id is not None], bool(rows[0].flag)


def save_view(user, name, query, *, now=None):
    """Save (or overwrite, by name) one of the user's queue views."""
    permissions.require(user, "manage", "saved_view")
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_("ビューの名前を入力してください。"), field="name")
    existing = db.session.scalar(
        sa.select(SavedView).where(SavedView.user_id == user.id, SavedView.name == name))
    if existing is None:
        count = db.session.scalar(
            sa.select(sa.func.count()).select_from(SavedView).where(SavedView.user_id == user.id))
        if count >= MAX_VIEWS:
            raise ValidationFailed(_("保存できるビューは%(n)d件までです。", n=MAX_VIEWS), field="name")
        existing = SavedView(user_id=user.id, name=name)
        if now is not None:
            existing.created_at = now
        db.session.add(existing)
    existing.query = clean_query(query)
    db.session.flush()
    return existing


def delete_view(user, view):
    permissions.require(user, "manage", view)
    db.session.delete(view)
    db.session.flush()
