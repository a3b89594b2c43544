"""The April handover (人事異動): people leaving on a date, moves between departments,
successors invited, the leaver's open requests and followed items passed on in one step, and
each municipality's confirmation for the fiscal year. Two scheduler jobs: the March request to
confirm, and the daily deactivation of leavers."""
import logging

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ... import permissions
from ...extensions import db
from ...models import (Contact, Departure, HandoverConfirmation, Municipality, SupportRequest,
                       User)
from ...models.support_request import request_followers
from ...notifications import notify
from ...roles import Role
from ...timeutil import fiscal_year, utcnow
from ...workflow import OPEN_STATES
from .. import ValidationFailed
from ..accounts.password_reset import RESET_PATH, valid_minutes
from ..accounts.users import create_user, update_user
from ..audit import record_audit
from ..job_markers import claim_notice
from ..requests.transitions import record_event
from .directory import EMAIL_SHAPE, _as_date, today_jst

logger = logging.getLogger(__name__)

ASK_KIND = "handover.confirm_requested"   # the SentNotice marker, once per municipality and FY
ASK_EVENT = "handover.confirm_requested"  # the notice to the 情報部門 (WHO_HEARS)
INVITE_EVENT = "account.invited"          # the successor's first-password mail (ACCOUNT_EVENTS)
ASK_MONTH = 3


def handover_fiscal_year(day):
    """The fiscal year a handover is for: from January to March the coming one (the transfers
    of April), from April on the current one."""
    return fiscal_year(day) + 1 if day.month <= ASK_MONTH else fiscal_year(day)


def _staff_of(municipality, user, field="user_id"):
    if user is None or user.role != Role.STAFF or user.municipality_id != municipality.id:
        raise ValidationFailed(_("この市町の職員を選んでください。"), field)
    return user


def people_of(municipality_id):
    """The municipality's staff accounts (active first) with their Departure, if any."""
    users = db.session.scalars(sa.select(User).where(
        User.role == Role.STAFF, User.municipality_id == municipality_id).order_by(
        User.active.desc(), User.department, User.display_name)).all()
    departures = {d.user_id: d for d in db.session.scalars(sa.select(Departure).where(
        Departure.municipality_id == municipality_id))}
    return [(u, departures.get(u.id)) for u in users]


def mark_leaving(actor, municipality, user, leaves_on, *, now=None):
    """Mark `user` as leaving on `leaves_on`: the daily job deactivates the account that day,
    and the contacts linked to the account end the day before. Marking again moves the date."""
    now = now or utcnow()
    permissions.require_in(actor, "manage", "handover", municipality)
    _staff_of(municipality, user)
    leaves_on = _as_date(leaves_on, "leaves_on")
    if leaves_on is None:
        raise ValidationFailed(_("異動・退職の日を入力してください。"), "leaves_on")
    if leaves_on < today_jst(now):
        raise ValidationFailed(_("異動・退職の日は今日以降の日付にしてください。"), "leaves_on")
    if not user.active:
        raise ValidationFailed(_("このアカウントはすでに無効です。"), "user_id")
    d = db.session.scalar(sa.select(Departure).where(Departure.user_id == user.id))
    if d is None:
        d = Departure(user_id=user.id, municipality_id=municipality.id, marked_by_id=actor.id)
        db.session.add(d)
    d.leaves_on, d.marked_at, d.marked_by_id, d.deactivated_at = leaves_on, now, actor.id, None
    last_day = leaves_on.fromordinal(leaves_on.toordinal() - 1)
    for c in db.session.scalars(sa.select(Contact).where(
            Contact.user_id == user.id, sa.or_(Contact.valid_to.is_(None),
                                               Contact.valid_to >= leaves_on))):
        c.valid_to = max(last_day, c.valid_from)
        c.updated_at = now
    db.session.flush()
    record_audit("handover.leaving_marked", actor=actor, target=user, now=now,
                 municipality_id=municipality.id, leaves_on=leaves_on.isoformat())
    return d


def move_department(actor, municipality, user, *, department, is_information_dept, now=None):
    """A person stays but moves to another department (in or out of the 情報部門)."""
    now = now or utcnow()
    permissions.require_in(actor, "manage", "handover", municipality)
    _staff_of(municipality, user)
    department = (department or "").strip()
    if not department:
        raise ValidationFailed(_("異動先の部署を入力してください。"), "department")
    return update_user(actor, user, now=now, department=department,
                       is_information_dept=bool(is_information_dept))


def add_successor(actor, municipality, *, email, display_name, department=None,
                  is_information_dept=False, now=None):
    """Create the successor's account (no password) and mail them the link to set one, as an
    admin's new user gets it (the link is minted when the mail leaves)."""
    now = now or utcnow()
    permissions.require_in(actor, "manage", "handover", municipality)
    email = (email or "").strip().lower()
    if not EMAIL_SHAPE.match(email):
        raise ValidationFailed(_("メールアドレスの形式が正しくありません。"), "email")
    if not (display_name or "").strip():
        raise ValidationFailed(_("氏名を入力してください。"), "display_name")
    user = create_user(actor, email=email, display_name=display_name, role=Role.STAFF,
                       municipality_id=municipality.id, department=department,
                       is_information_dept=is_information_dept, now=now)
    from ...notifications.channels.email import SECRET_SLOT

    notify(INVITE_EVENT, recipients=[user], channels=("email",), urgent=True, now=now,
           link=RESET_PATH + SECRET_SLOT, email_payload={"secret": "password_reset"},
           link_label=_l("パスワードを設定する"), minutes=valid_minutes(), user=user,
           municipality_name=municipality.name)
    record_audit("handover.successor_added", actor=actor, target=user, now=now,
                 municipality_id=municipality.id)
    return user


def open_work_of(user):
    """The leaver's open requests (filed by them) and the open requests they follow."""
    filed = db.session.scalars(sa.select(SupportRequest).where(
        SupportRequest.filer_id == user.id,
        SupportRequest.state.in_([s.value for s in OPEN_STATES])).order_by(SupportRequest.id)).all()
    followed = db.session.scalars(sa.select(SupportRequest).join(
        request_followers, request_followers.c.request_id == SupportRequest.id).where(
        request_followers.c.user_id == user.id, SupportRequest.filer_id != user.id,
        SupportRequest.state.in_([s.value for s in OPEN_STATES])).order_by(SupportRequest.id)).all()
    return filed, followed


def pass_work(actor, municipality, leaver, successor, *, now=None):
    """In one step: the successor becomes the filer of the leaver's open requests and follows
    every open request the leaver followed (the leaver stops following). Each request's history
    records it; what the leaver did stays theirs. Returns the requests passed on."""
    now = now or utcnow()
    permissions.require_in(actor, "manage", "handover", municipality)
    _staff_of(municipality, leaver)
    _staff_of(municipality, successor, "successor_id")
    if successor.id == leaver.id or not successor.active:
        raise ValidationFailed(_("後任には在籍中の別の職員を選んでください。"), "successor_id")
    filed, followed = open_work_of(leaver)
    for sreq in filed + followed:
        as_filer = sreq.filer_id == leaver.id
        if as_filer:
            sreq.filer_id = successor.id
        sreq.followers = [u for u in sreq.followers if u.id != leaver.id]
        if all(u.id != successor.id for u in sreq.followers):
            sreq.followers.append(successor)
        record_event(sreq, actor, "handover", now=now, data={
            "from": leaver.display_name, "to": successor.display_name, "from_id": leaver.id,
            "to_id": successor.id, "filer": as_filer})
        sreq.updated_at = now
    d = db.session.scalar(sa.select(Departure).where(Departure.user_id == leaver.id))
    if d is not None:
        d.successor_id, d.work_passed_at = successor.id, now
    db.session.flush()
    record_audit("handover.work_passed", actor=actor, target=leaver, now=now,
                 municipality_id=municipality.id, successor_id=successor.id,
                 filed=[r.id for r in filed], followed=[r.id for r in followed])
    return filed + followed


def confirm_handover(actor, municipality, *, note=None, now=None):
    """The municipality's users and contacts are right for the handover's fiscal year."""
    now = now or utcnow()
    permissions.require_in(actor, "manage", "handover", municipality)
    fy = handover_fiscal_year(today_jst(now))
    if confirmation_of(municipality.id, fy) is not None:
        raise ValidationFailed(_("この年度の引継ぎは確認済みです。"), "note")
    c = HandoverConfirmation(municipality_id=municipality.id, fiscal_year=fy,
                             confirmed_by_id=actor.id, confirmed_at=now,
                             note=(note or "").strip() or None)
    db.session.add(c)
    db.session.flush()
    record_audit("handover.confirmed", actor=actor, target=c, now=now,
                 municipality_id=municipality.id, fiscal_year=fy)
    return c


def confirmation_of(municipality_id, fy):
    return db.session.scalar(sa.select(HandoverConfirmation).where(
        HandoverConfirmation.municipality_id == municipality_id,
        HandoverConfirmation.fiscal_year == fy))


def handover_status(fy, region_ids=None, before=None):
    """Every municipality (of `region_ids`, all without) with its confirmation for `fy` (None:
    not confirmed, or confirmed only at `before` or later), by code. With `before`, a region's
    municipalities are those it had then (services/regions); without, today's."""
    stmt = sa.select(HandoverConfirmation).where(HandoverConfirmation.fiscal_year == fy)
    if before is not None:
        stmt = stmt.where(HandoverConfirmation.confirmed_at < before)
    done = {c.municipality_id: c for c in db.session.scalars(stmt)}
    munis = sa.select(Municipality).order_by(Municipality.code)
    if region_ids is not None and before is not None:
        from ..regions import member_ids_at_end

        munis = munis.where(Municipality.id.in_(member_ids_at_end(region_ids, before)))
    elif region_ids is not None:
        munis = munis.where(Municipality.region_id.in_(region_ids))
    return [(m, done.get(m.id)) for m in db.session.scalars(munis)]


def handover_completion(fy, region_ids=None, before=None):
    """The monthly report's figure: how many municipalities confirmed the handover of `fy` (by
    `before`), of how many, and which have not (the drill-down)."""
    rows = handover_status(fy, region_ids, before)
    missing = [{"code": m.code, "name": m.name} for m, c in rows if c is None]
    return {"fiscal_year": fy, "confirmed": len(rows) - len(missing), "total": len(rows),
            "missing": missing}


def ask_for_handover_confirmation(now=None):
    """Scheduler job: in March, ask each municipality's 情報部門 (once per fiscal year) to
    confirm its users and contacts for the coming year. Returns how many were asked."""
    now = now or utcnow()
    today = today_jst(now)
    if today.month != ASK_MONTH:
        return 0
    fy = handover_fiscal_year(today)
    count = 0
    for m, confirmed in handover_status(fy):
        if confirmed is not None:
            continue
        if not claim_notice(ASK_KIND, f"fy{fy}:m{m.id}", now=now, municipality_id=m.id):
            continue
        notify(ASK_EVENT, municipality=m, now=now, event_key=f"{ASK_KIND}:fy{fy}:m{m.id}",
               link=f"/municipalities/{m.id}/handover", fiscal_year=fy,
               municipality_name=m.name)
        count += 1
    db.session.flush()
    logger.info("handover confirmation asked of %d municipalities for FY%d", count, fy)
    return count


def deactivate_leavers(now=None):
    """Scheduler job (daily): deactivate the accounts whose leaving day has come. Their history,
    requests and events stay attributed to them. Returns how many were deactivated."""
    now = now or utcnow()
    due = db.session.scalars(sa.select(Departure).where(
        Departure.leaves_on <= today_jst(now), Departure.deactivated_at.is_(None))
        .order_by(Departure.id)).all()
    for d in due:
        if d.user.active:
            update_user(None, d.user, now=now, active=False)
        d.deactivated_at = now
    db.session.flush()
    return len(due)
