"""The contact directory of a municipality: role-holders with their period in office, kept by
the liaisons of the municipality's team (and admins). `contacts_with_role` is the one way
announcements, surveys and meetings find the holders of a role."""
import re
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from ... import permissions
from ...extensions import db
from ...models import Contact, Municipality, User
from ...roles import Role
from ...timeutil import to_jst, utcnow
from ...workflows.contacts import ContactRole
from .. import ValidationFailed
from ..audit import record_audit

FIELDS = ("role", "name", "kana", "title", "department", "email", "phone", "valid_from",
          "valid_to", "user_id")
ROLE_ORDER = {r.value: i for i, r in enumerate(ContactRole)}
EMAIL_SHAPE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def today_jst(now=None):
    return to_jst(now or utcnow()).date()


def _as_date(value, field):
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValidationFailed(_("日付は YYYY-MM-DD の形で入力してください。"), field) from None


def clean_contact_values(municipality_id, values):
    """The values of a contact, checked: a wrong one is refused with a message for its field."""
    out = {f: values.get(f) for f in FIELDS}
    for f in ("name", "kana", "title", "department", "email", "phone"):
        out[f] = (out[f] or "").strip() or None
    if out["role"] not in ROLE_ORDER:
        raise ValidationFailed(_("役割を選んでください。"), "role")
    if not out["name"]:
        raise ValidationFailed(_("氏名を入力してください。"), "name")
    if out["email"]:
        out["email"] = out["email"].lower()
        if not EMAIL_SHAPE.match(out["email"]):
            raise ValidationFailed(_("メールアドレスの形式が正しくありません。"), "email")
    if out["phone"] and not re.fullmatch(r"[0-9+\-() ]{6,40}", out["phone"]):
        raise ValidationFailed(_("電話番号は数字とハイフンで入力してください。"), "phone")
    out["valid_from"] = _as_date(out["valid_from"], "valid_from")
    out["valid_to"] = _as_date(out["valid_to"], "valid_to")
    if out["valid_from"] is None:
        raise ValidationFailed(_("就任日(開始日)を入力してください。"), "valid_from")
    if out["valid_to"] is not None and out["valid_to"] < out["valid_from"]:
        raise ValidationFailed(_("終了日は開始日以降の日付にしてください。"), "valid_to")
    out["user_id"] = int(out["user_id"]) if out["user_id"] not in (None, "", 0, "0") else None
    if out["user_id"] is not None:
        user = db.session.get(User, out["user_id"])
        if user is None or user.role != Role.STAFF or user.municipality_id != municipality_id:
            raise ValidationFailed(_("この市町の職員のアカウントを選んでください。"), "user_id")
    return out


def _snapshot(c):
    return {f: (v.isoformat() if isinstance(v, date) else v)
            for f in FIELDS for v in [getattr(c, f)]}


def add_contact(actor, municipality, *, now=None, **values):
    now = now or utcnow()
    permissions.require_in(actor, "manage", "contact", municipality)
    clean = clean_contact_values(municipality.id, values)
    contact = Contact(municipality_id=municipality.id, created_at=now, updated_at=now, **clean)
    db.session.add(contact)
    db.session.flush()
    record_audit("contact.added", actor=actor, target=contact, now=now,
                 municipality_id=municipality.id, after=_snapshot(contact))
    return contact


def update_contact(actor, contact, *, now=None, **values):
    now = now or utcnow()
    permissions.require(actor, "manage", contact)
    before = _snapshot(contact)
    merged = {**{f: getattr(contact, f) for f in FIELDS}, **values}
    clean = clean_contact_values(contact.municipality_id, merged)
    for f, v in clean.items():
        setattr(contact, f, v)
    after = _snapshot(contact)
    changed = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if changed:
        contact.updated_at = now
        record_audit("contact.updated", actor=actor, target=contact, now=now,
                     municipality_id=contact.municipality_id, changes=changed)
    db.session.flush()
    return contact


def end_contact(actor, contact, valid_to, *, now=None):
    """The person's last day in the role (they stay in the directory's history)."""
    if not valid_to:
        raise ValidationFailed(_("終了日を入力してください。"), "valid_to")
    return update_contact(actor, contact, now=now, valid_to=valid_to or "")


def contacts_of(municipality_id, *, on=None):
    """A municipality's contacts in role order: those in office on `on`, or all without it
    (those in office today first, then past and future ones)."""
    stmt = sa.select(Contact).where(Contact.municipality_id == municipality_id)
    if on is not None:
        stmt = stmt.where(*_in_office(on))
    rows = db.session.scalars(stmt).all()
    today = on or today_jst()
    return sorted(rows, key=lambda c: (not c.is_current(today), ROLE_ORDER[c.role],
                                       c.valid_from, c.id))


def _in_office(on):
    return (Contact.valid_from <= on, sa.or_(Contact.valid_to.is_(None), Contact.valid_to >= on))


def contacts_with_role(roles, municipalities=None, on=None):
    """The holders of `roles` (ContactRole values) in office on `on` (today in Japan without
    it), in `municipalities` (Municipality objects or ids; all without it), by municipality code
    and role. The one query behind announcements to "every CIO", survey recipients and meeting
    invitations."""
    roles = [ContactRole(r).value for r in roles]
    if not roles:
        return []
    on = on or today_jst()
    stmt = sa.select(Contact).join(Municipality, Municipality.id == Contact.municipality_id) \
        .where(Contact.role.in_(roles), *_in_office(on))
    if municipalities is not None:
        ids = [getattr(m, "id", m) for m in municipalities]
        stmt = stmt.where(Contact.municipality_id.in_(ids))
    rows = db.session.execute(stmt.add_columns(Municipality.code)).all()
    return [c for c, _code in sorted(rows, key=lambda r: (r[1], ROLE_ORDER[r[0].role],
                                                          r[0].id))]


def scope_contacts(stmt, user, action="view"):
    return permissions.scope_by_municipality(stmt, user, "contact", Contact.municipality_id,
                                             action)


def contacts_query(user, *, municipality_code=None, role=None, on=None):
    """A select over the contacts `user` may read, by municipality (JIS code), role and day in
    office (the API's list)."""
    stmt = scope_contacts(sa.select(Contact), user)
    if municipality_code:
        stmt = stmt.where(Contact.municipality_id.in_(
            sa.select(Municipality.id).where(Municipality.code == municipality_code)))
    if role:
        stmt = stmt.where(Contact.role == ContactRole(role).value)
    if on:
        stmt = stmt.where(*_in_office(on))
    return stmt


def linkable_users(municipality_id):
    """Active staff accounts of the municipality a contact may be linked to."""
    return db.session.scalars(sa.select(User).where(
        User.role == Role.STAFF, User.municipality_id == municipality_id,
        User.active.is_(True)).order_by(User.display_name)).all()
