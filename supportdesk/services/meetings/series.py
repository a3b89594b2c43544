"""A meeting series and its members by level: the holders of contact roles in the directory,
the 情報部門 staff, and hand-picked contacts and users."""
import logging

import sqlalchemy as sa
from flask_babel import gettext as _

from ... import permissions
from ...extensions import db
from ...models import Contact, MeetingSeries, Municipality, User
from ...roles import Role
from ...timeutil import utcnow
from ...workflows.contacts import ContactRole
from ...workflows.meetings import SeriesKind
from .. import ValidationFailed
from ..audit import record_audit
from ..contacts.directory import contacts_with_role

logger = logging.getLogger(__name__)
INFO_DEPT_LEVEL, PICKED_LEVEL = "info_dept", "picked"


def _clean(kind, title, theme, roles, municipality_ids, contact_ids, user_ids, info_dept):
    if kind not in {k.value for k in SeriesKind}:
        raise ValidationFailed(_("会議の種類を選んでください。"), field="kind")
    if not (title or "").strip():
        raise ValidationFailed(_("名称を入力してください。"), field="title")
    if kind == SeriesKind.WORKING_GROUP and not (theme or "").strip():
        raise ValidationFailed(_("ワーキンググループのテーマを入力してください。"), field="theme")
    if any(r not in {c.value for c in ContactRole} for r in roles):
        raise ValidationFailed(_("対象の役職が正しくありません。"), field="member_roles")
    if not (roles or info_dept or contact_ids or user_ids):
        raise ValidationFailed(_("メンバーを1つ以上指定してください(役職、情報部門、または個別の指定)。"),
                               field="member_roles")
    known = set(db.session.scalars(sa.select(Municipality.id).where(
        Municipality.id.in_(municipality_ids)))) if municipality_ids else set()
    if set(municipality_ids) - known:
        raise ValidationFailed(_("市町の指定が正しくありません。"), field="member_municipality_ids")


def _apply(series, *, kind, title, theme=None, description=None, member_roles=(),
           member_info_dept=False, member_municipality_ids=(), member_contact_ids=(),
           member_user_ids=()):
    _clean(kind, title, theme, member_roles, member_municipality_ids, member_contact_ids,
           member_user_ids, member_info_dept)
    series.kind, series.title = kind, title.strip()
    series.theme = (theme or "").strip() or None
    series.description = (description or "").strip() or None
    series.member_roles = [r.value for r in ContactRole if r in set(member_roles)] or None
    series.member_info_dept = bool(member_info_dept)
    series.member_municipality_ids = sorted(set(member_municipality_ids)) or None
    series.member_contact_ids = sorted(set(member_contact_ids)) or None
    series.member_user_ids = sorted(set(member_user_ids)) or None


def create_series(actor, *, owner=None, now=None, **fields):
    """A new series. `owner` (any object with an id and a permission_kind or class name, e.g. a
    joint project) makes it that owner's series (the generic owner hook)."""
    now = now or utcnow()
    permissions.require(actor, "manage", "meeting_series")
    series = MeetingSeries(created_by_id=actor.id, created_at=now)
    _apply(series, **fields)
    if owner is not None:
        series.owner_type = getattr(owner, "permission_kind", None) or type(owner).__name__.lower()
        series.owner_id = owner.id
    db.session.add(series)
    db.session.flush()
    record_audit("meeting_series.create", actor=actor, target=series, now=now, kind=series.kind)
    return series


def update_series(series, actor, *, now=None, **fields):
    now = now or utcnow()
    permissions.require(actor, "manage", series)
    _apply(series, **fields)
    db.session.flush()
    record_audit("meeting_series.update", actor=actor, target=series, now=now)
    return series


def series_owned_by(owner_type, owner_id):
    """The series an owner (owner_type, id) holds, e.g. a joint project's meetings."""
    return db.session.scalars(sa.select(MeetingSeries).where(
        MeetingSeries.owner_type == owner_type, MeetingSeries.owner_id == owner_id)
        .order_by(MeetingSeries.id)).all()


def series_for(user):
    stmt = sa.select(MeetingSeries).order_by(MeetingSeries.active.desc(), MeetingSeries.id)
    if not permissions.can(user, "view", "meeting_series"):
        return []
    return db.session.scalars(stmt).all()


def members_of(series, on):
    """The series' members on day `on`, as invitation values (dicts), deduplicated by contact
    and by user, in municipality code order (prefecture-side users last)."""
    mids = series.member_municipality_ids
    out, seen_users, seen_contacts = [], set(), set()

    def add(row):
        uid, cid = row.get("user_id"), row.get("contact_id")
        if (uid is not None and uid in seen_users) or (cid is not None and cid in seen_contacts):
            return
        if uid is not None:
            seen_users.add(uid)
        if cid is not None:
            seen_contacts.add(cid)
        out.append(row)

    def from_contact(c, level):
        user = c.user if c.user is not None and c.user.active else None
        return dict(municipality_id=c.municipality_id, contact_id=c.id,
                    user_id=user.id if user else None, name=c.name,
                    email=(user.email if user else None) or c.email, level=level)

    for c in contacts_with_role(series.member_roles or (), mids, on=on):
        add(from_contact(c, c.role))
    if series.member_info_dept:
        stmt = sa.select(User).where(User.role == Role.STAFF, User.active.is_(True),
                                     User.is_information_dept.is_(True))
        if mids:
            stmt = stmt.where(User.municipality_id.in_(mids))
        for u in db.session.scalars(stmt.order_by(User.municipality_id, User.id)):
            add(dict(municipality_id=u.municipality_id, contact_id=None, user_id=u.id,
                     name=u.display_name, email=u.email, level=INFO_DEPT_LEVEL))
    if series.member_contact_ids:
        for c in db.session.scalars(sa.select(Contact).where(
                Contact.id.in_(series.member_contact_ids)).order_by(Contact.id)):
            if c.is_current(on):
                add(from_contact(c, PICKED_LEVEL))
    if series.member_user_ids:
        for u in db.session.scalars(sa.select(User).where(
                User.id.in_(series.member_user_ids), User.active.is_(True)).order_by(User.id)):
            add(dict(municipality_id=u.municipality_id if u.role == Role.STAFF else None,
                     contact_id=None, user_id=u.id, name=u.display_name, email=u.email,
                     level=PICKED_LEVEL))
    codes = dict(db.session.execute(sa.select(Municipality.id, Municipality.code)).all())
    return sorted(out, key=lambda r: (r["municipality_id"] is None,
                                      codes.get(r["municipality_id"], ""), ))
