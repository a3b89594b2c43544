"""Prefectural departments (県の関係部署) as a managed list, sharing a round's findings with
them (a notice through the outbox) and the read-only page of what was shared with each.

A department has no account. Its page is reached through a link whose token is an HMAC of the
department id and its link nonce under the app's SECRET_KEY: unguessable, never stored, and a
new nonce (reissue_link) withdraws every link sent before.
"""
import hashlib
import hmac
import logging
import re
import secrets

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from ... import permissions
from ...extensions import db
from ...models import Department, RoundRecord, Visit
from ...models.rounds import round_record_departments
from ...notifications import notify
from ...timeutil import to_jst, utcnow
from .. import ValidationFailed

logger = logging.getLogger(__name__)

EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")


def departments(active_only=False):
    stmt = sa.select(Department).order_by(Department.name)
    if active_only:
        stmt = stmt.where(Department.active.is_(True))
    return db.session.scalars(stmt).all()


def save_department(actor, department, *, name, contact_email, active=True, now=None):
    """Create (department None) or update a department. Returns it."""
    permissions.require(actor, "manage", "department")
    name = (name or "").strip()
    contact_email = (contact_email or "").strip() or None
    if not name:
        raise ValidationFailed(_("部署名を入力してください。"), field="name")
    if len(name) > 100:
        raise ValidationFailed(_("部署名は100文字以内で入力してください。"), field="name")
    if contact_email is not None and (len(contact_email) > 254
                                      or not EMAIL.match(contact_email)):
        raise ValidationFailed(_("連絡先メールアドレスの形式が正しくありません。"),
                               field="contact_email")
    taken = db.session.scalar(sa.select(Department.id).where(Department.name == name))
    if taken is not None and (department is None or taken != department.id):
        raise ValidationFailed(_("同じ名前の部署が既に登録されています。"), field="name")
    if department is None:
        department = Department(link_nonce=secrets.token_hex(16), created_at=now or utcnow())
        db.session.add(department)
    department.name, department.contact_email, department.active = name, contact_email, active
    db.session.flush()
    logger.info("department %s saved by user %s", department.id, actor.id)
    return department


def reissue_link(actor, department):
    """A new link token for the department's page: every link sent before stops working."""
    permissions.require(actor, "manage", "department")
    department.link_nonce = secrets.token_hex(16)
    db.session.flush()
    logger.info("department %s link reissued by user %s", department.id, actor.id)


def _mac(department_id, nonce):
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"department:{department_id}:{nonce}".encode(),
                    hashlib.sha256).hexdigest()


def department_token(department):
    return f"{department.id}-{_mac(department.id, department.link_nonce)}"


def department_for_token(token):
    """The active department a link token belongs to, or None (unknown, withdrawn, inactive)."""
    head, _sep, mac = (token or "").partition("-")
    if not head.isdigit() or len(mac) != 64:
        return None
    department = db.session.get(Department, int(head))
    if department is None or not department.active:
        return None
    if not hmac.compare_digest(mac, _mac(department.id, department.link_nonce)):
        return None
    return department


def share_findings(actor, record, chosen, *, now=None):
    """Share a round record's findings with the chosen departments: link them to the record and
    send each one a notice with the link to its page (departments without a contact address are
    linked, and told nothing). Departments it was shared with before are not told again."""
    now = now or utcnow()
    already = {d.id for d in record.departments}
    new = [d for d in dict.fromkeys(chosen) if d.id not in already]
    for d in new:
        if not d.active:
            raise ValidationFailed(_("使われていない部署は選べません。"), field="departments")
    record.departments.extend(new)
    db.session.flush()
    visit = record.visit
    for d in new:
        notify("round.findings_shared", department=d, actor=actor, now=now,
               municipality=record.municipality, link=department_page_path(d),
               event_key=f"round.findings_shared:{record.id}:d{d.id}",
               held_on=to_jst(visit.starts_at).strftime("%Y-%m-%d"),
               progress=record.progress, issues=record.issues, department_name=d.name,
               liaison=record.recorded_by.display_name)
    logger.info("round record %s shared with departments %s by user %s", record.id,
                [d.id for d in new], actor.id)
    return new


def department_page_path(department):
    return f"/departments/shared/{department_token(department)}"


def shared_with(department, limit=200):
    """The round records shared with a department, newest round first."""
    return db.session.scalars(
        sa.select(RoundRecord).join(Visit, Visit.id == RoundRecord.visit_id)
        .join(round_record_departments,
              round_record_departments.c.round_record_id == RoundRecord.id)
        .where(round_record_departments.c.department_id == department.id)
        .order_by(Visit.starts_at.desc(), RoundRecord.id.desc()).limit(limit)
        .options(selectinload(RoundRecord.municipality), selectinload(RoundRecord.visit))).all()
