"""Push information (プッシュ型情報提供): compose, target, send now or on schedule, track delivery."""
import logging

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from .. import permissions
from ..extensions import db
from ..models import (Announcement, AnnouncementAttachment, AnnouncementRecipient,
                      InAppNotification, Municipality, OutboxMessage, User)
from ..models.announcement import ANNOUNCEMENT_CATEGORIES, DEPARTMENT_CHOICES
from ..models.org import DX_STAFF_BANDS, POPULATION_BANDS
from ..notifications import notify
from ..roles import Role
from ..timeutil import utcnow
from ..workflows.announcements import (SCHEDULER, AnnouncementAction, AnnouncementStatus,
                                       transition_for)
from . import ValidationFailed
from .requests.attachments import check_uploads, store_file
from .audit import record_audit
from .contacts.directory import contacts_with_role, today_jst
from ..workflows.contacts import ContactRole

logger = logging.getLogger(__name__)
EVENT = "announcement.published"


def _check(a, action, actor):
    """The table's row for `action` from the announcement's status; None when there is none.
    The scheduler job acts without an actor, as SCHEDULER."""
    t = transition_for(a.status, action)
    role = actor.role if actor is not None else SCHEDULER
    if t is not None and role not in t.by:
        who = actor.id if actor is not None else SCHEDULER
        raise permissions.PermissionDenied(f"{who} may not {action} announcement {a.id}")
    return t


def _move(a, t, actor):
    """The one place an announcement's status is written: `t` is a row of the table, checked."""
    before, a.status = a.status, t.to.value
    logger.info("announcement %s %s -> %s by %s", a.id, before, a.status,
                f"user {actor.id}" if actor is not None else SCHEDULER)


def _clean_links(links):
    out = []
    for link in links or ():
        link = link.strip()
        if not link:
            continue
        if not link.lower().startswith(("https://", "http://")):
            raise ValidationFailed(_("リンクは http:// または https:// で始まるURLを入力してください。"),
                                   field="links")
        out.append(link)
    return out


def target_municipalities(a):
    """The municipalities an announcement's targeting selects (see the Announcement model)."""
    stmt = sa.select(Municipality).order_by(Municipality.code)
    if a.target_all:
        return db.session.scalars(stmt).all()
    criteria = []
    if a.target_region_ids:
        criteria.append(Municipality.region_id.in_(a.target_region_ids))
    if a.target_population_bands:
        criteria.append(Municipality.population_band.in_(a.target_population_bands))
    if a.target_dx_staff_bands:
        criteria.append(Municipality.dx_staff_band.in_(a.target_dx_staff_bands))
    chosen = []
    if criteria:
        chosen.append(sa.and_(*criteria))
    if a.target_municipality_ids:
        chosen.append(Municipality.id.in_(a.target_municipality_ids))
    if not chosen:
        return []
    return db.session.scalars(stmt.where(sa.or_(*chosen))).all()


def missing_staff_band(a):
    """How many municipalities `a`'s staff-band condition leaves out only because their 職員規模
    (dx_staff_band) is not registered: they meet the other conditions (region, population) and
    are not named individually, so they would otherwise be reached."""
    if a.target_all or not a.target_dx_staff_bands:
        return 0
    stmt = sa.select(sa.func.count(Municipality.id)).where(Municipality.dx_staff_band.is_(None))
    if a.target_region_ids:
        stmt = stmt.where(Municipality.region_id.in_(a.target_region_ids))
    if a.target_population_bands:
        stmt = stmt.where(Municipality.population_band.in_(a.target_population_bands))
    if a.target_municipality_ids:
        stmt = stmt.where(Municipality.id.not_in(a.target_municipality_ids))
    return db.session.scalar(stmt)


def unregistered_staff_band_count():
    """Municipalities with no 職員規模 registered: a staff-band condition never reaches them."""
    return db.session.scalar(sa.select(sa.func.count(Municipality.id)).where(
        Municipality.dx_staff_band.is_(None)))


def staff_band_gap_message(a):
    """The warning for a staff-band condition that leaves municipalities out, or None."""
    n = missing_staff_band(a)
    return _("職員規模が未登録の市町が%(n)d件あります(対象外)。", n=n) if n else None


def compose_announcement(actor, *, title, body, category, links=(), target_all=False,
                         region_ids=(), population_bands=(), dx_staff_bands=(),
                         municipality_ids=(), departments="info", scheduled_at=None, uploads=(),
                         contact_roles=(), now=None):
    """Create an announcement; send it now, or keep it for send_due_announcements if scheduled.
    `uploads` (FileStorage objects or (filename, bytes) pairs) are checked like request
    attachments and stored before the announcement is sent, so its messages can count them.
    `contact_roles` (ContactRole values) send it to those role-holders of the directory in the
    targeted municipalities instead of their staff (see target_contacts)."""
    now = now or utcnow()
    if not (title or "").strip():
        raise ValidationFailed(_("件名を入力してください。"), field="title")
    if not (body or "").strip():
        raise ValidationFailed(_("本文を入力してください。"), field="body")
    if category not in ANNOUNCEMENT_CATEGORIES:
        raise ValidationFailed(_("区分を選んでください。"), field="category")
    if departments not in DEPARTMENT_CHOICES:
        raise ValidationFailed(_("対象の部署を選んでください。"), field="departments")
    if any(b not in POPULATION_BANDS for b in population_bands) or any(
            b not in DX_STAFF_BANDS for b in dx_staff_bands):
        raise ValidationFailed(_("対象の条件が正しくありません。"), field="target_all")
    if any(r not in {c.value for c in ContactRole} for r in contact_roles):
        raise ValidationFailed(_("対象の役職が正しくありません。"), field="contact_roles")
    a = Announcement(title=title.strip(), body=body.strip(), category=category,
                     links=_clean_links(links), target_all=bool(target_all),
                     target_region_ids=sorted(set(region_ids)) or None,
                     target_population_bands=list(population_bands) or None,
                     target_dx_staff_bands=list(dx_staff_bands) or None,
                     target_municipality_ids=sorted(set(municipality_ids)) or None,
                     target_contact_roles=[ContactRole(r).value for r in ContactRole
                                           if r in set(contact_roles)] or None,
                     departments=departments, created_by_id=actor.id, created_at=now)
    if not target_municipalities(a):
        gap = staff_band_gap_message(a)
        if gap:
            raise ValidationFailed(_("送信先の市町がありません。") + " " + gap,
                                   field="dx_staff_bands")
        raise ValidationFailed(_("送信先の市町がありません。対象の条件を確認してください。"),
                               field="target_all")
    checked = check_uploads(uploads, field="attachments")  # every file before any is written
    if checked:
        permissions.require(actor, "upload", "announcement_attachment")
    db.session.add(a)
    db.session.flush()
    for (name, ext, content_type), data in checked:
        a.attachments.append(AnnouncementAttachment(
            filename=name, content_type=content_type, uploaded_by_id=actor.id, uploaded_at=now,
            **store_file(ext, data)))
    db.session.flush()
    record_audit("announcement.compose", actor=actor, target=a, now=now)
    if scheduled_at is not None and scheduled_at > now:
        _move(a, _check(a, AnnouncementAction.SCHEDULE, actor), actor)
        a.scheduled_at = scheduled_at
        db.session.flush()
        return a
    return send_announcement(a, now=now, actor=actor)


def target_users(a, municipality_ids):
    stmt = sa.select(User).where(User.role == Role.STAFF, User.active.is_(True),
                                 User.municipality_id.in_(municipality_ids)).order_by(User.id)
    if a.departments == "info":
        stmt = stmt.where(User.is_information_dept.is_(True))
    return db.session.scalars(stmt).all()


def target_contacts(a, municipality_ids, on):
    """The directory's holders of the announcement's contact roles in office on `on`, in the
    targeted municipalities: (users with an active account, [(key, e-mail)] of the others)."""
    users, addresses = [], []
    for c in contacts_with_role(a.target_contact_roles or (), municipality_ids, on=on):
        if c.user is not None and c.user.active:
            users.append(c.user)
        elif c.email:
            addresses.append((f"c{c.id}", c.email))
    return list({u.id: u for u in users}.values()), addresses


def send_announcement(a, now=None, actor=None):
    """One chat message per targeted municipality room, and the bell for each targeted user.
    Sending again, or sending a cancelled one, does nothing. Without `actor`, the scheduler."""
    now = now or utcnow()
    t = _check(a, AnnouncementAction.SEND, actor)
    if t is None:
        return a
    munis = target_municipalities(a)
    existing = {r.municipality_id for r in a.recipients}
    for m in munis:
        if m.id in existing:
            continue
        # The municipality's room hears it (WHO_HEARS: MUNICIPALITY); the delivery report finds
        # the chat row by announcement and municipality once the unit of work has written it.
        notify(EVENT, announcement=a, municipality=m, channels=("webhook",),
               event_key=f"announcement:{a.id}:m{m.id}", now=now, urgent=False)
        a.recipients.append(AnnouncementRecipient(municipality_id=m.id))
        db.session.flush()
    mids = [m.id for m in munis]
    addresses = []
    if a.target_contact_roles:
        users, addresses = target_contacts(a, mids, today_jst(now))
    else:
        users = target_users(a, mids)
    if users:
        notify(EVENT, announcement=a, recipients=users, channels=("inapp",),
               event_key=f"announcement:{a.id}:users", now=now)
    if addresses:
        # Contacts without an account: by e-mail through the outbox, with the whole text (they
        # cannot sign in to open the link).
        notify(EVENT, announcement=a, addresses=addresses, channels=("email",),
               event_key=f"announcement:{a.id}:contacts", now=now, no_account=True)
    _move(a, t, actor)
    a.sent_at = now
    db.session.flush()
    logger.info("announcement %s sent to %d municipalities, %d users, %d contacts by mail", a.id,
                len(munis), len(users), len(addresses))
    return a


def send_due_announcements(now=None):
    """Scheduler job: send the scheduled announcements whose time has come. Returns how many."""
    now = now or utcnow()
    due = db.session.scalars(sa.select(Announcement).where(
        Announcement.status == AnnouncementStatus.SCHEDULED.value,
        Announcement.scheduled_at <= now)
        .order_by(Announcement.scheduled_at, Announcement.id)).all()
    for a in due:
        send_announcement(a, now=now)
    return len(due)


def cancel_announcement(a, actor, now=None):
    now = now or utcnow()
    t = _check(a, AnnouncementAction.CANCEL, actor)
    if t is None:
        raise ValidationFailed(_("送信予約中のお知らせだけ取り消せます。"))
    _move(a, t, actor)
    record_audit("announcement.cancel", actor=actor, target=a, now=now)
    db.session.flush()
    return a


def delivery_report(a):
    """Per municipality: the chat delivery (status or None without a room) and who read it."""
    rows = []
    reads = {}
    for n, user in db.session.execute(sa.select(InAppNotification, User).join(
            User, User.id == InAppNotification.user_id).where(
            InAppNotification.announcement_id == a.id).order_by(User.id)):
        reads.setdefault(user.municipality_id, []).append((user, n.read_at))
    outbox = {m.municipality_id: m for m in db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.announcement_id == a.id, OutboxMessage.channel == "webhook")
        .order_by(OutboxMessage.id))}
    for r in sorted(a.recipients, key=lambda r: r.municipality.code):
        rows.append(dict(municipality=r.municipality, chat=outbox.get(r.municipality_id),
                         readers=reads.get(r.municipality_id, [])))
    return rows


def archive_for(user):
    """Sent announcements that reached the user's municipality, newest first."""
    return announcements_received(user.municipality_id)


def announcements_received(municipality_id, limit=200):
    """Sent announcements that reached the municipality, newest first (its archive, and the
    municipality page)."""
    return db.session.scalars(sa.select(Announcement).join(AnnouncementRecipient).options(
        selectinload(Announcement.attachments)).where(
        AnnouncementRecipient.municipality_id == municipality_id,
        Announcement.status == AnnouncementStatus.SENT.value).order_by(
            Announcement.sent_at.desc(), Announcement.id.desc()).limit(limit)).all()


def mark_announcement_read(a, user, now=None):
    """Opening an announcement reads it, as opening its bell notice does: the user's own unread
    notices of it get a read time (the first one stays). Returns how many changed; nothing is
    written when there are none, so a second opening stays a read-only request."""
    now = now or utcnow()
    unread = db.session.scalars(sa.select(InAppNotification).where(
        InAppNotification.announcement_id == a.id, InAppNotification.user_id == user.id,
        InAppNotification.read_at.is_(None))).all()
    for n in unread:
        n.read_at = now
    if unread:
        db.session.flush()
    return len(unread)
