"""A meeting of a series: its details and materials, the invitations (fixed and sent when it is
announced), cancelling it, the attendance and the minutes."""
import logging
from datetime import datetime, time

import sqlalchemy as sa
from flask_babel import gettext as _

from ... import permissions
from ...extensions import db
from ...models import Meeting, MeetingInvitation, MeetingMaterial, User
from ...notifications import notify
from ...timeutil import JST, to_jst, utcnow
from ...workflows.meetings import MeetingAction, MeetingStatus, transition_for
from .. import ValidationFailed
from ..audit import record_audit
from ..desk import ics_prodid
from ..requests.attachments import check_uploads, store_file
from .series import members_of

logger = logging.getLogger(__name__)


def link(meeting):
    return f"/meetings/{meeting.id}"


def when_text(meeting):
    """The meeting's date and time in Tokyo, as messages show it."""
    s, e = to_jst(meeting.starts_at), to_jst(meeting.ends_at)
    return f"{s:%Y-%m-%d %H:%M}〜{e:%H:%M}" if s.date() == e.date() else \
        f"{s:%Y-%m-%d %H:%M}〜{e:%Y-%m-%d %H:%M}"


def _check(meeting, action, actor):
    t = transition_for(meeting.status, action)
    if t is None:
        raise ValidationFailed(_("この会議の状態ではその操作はできません。"))
    if actor.role not in t.by:
        raise permissions.PermissionDenied(f"{actor.id} may not {action} meeting {meeting.id}")
    return t


def _move(meeting, t, actor):
    """The one place a meeting's status is written: `t` is a checked row of the table."""
    before, meeting.status = meeting.status, t.to.value
    logger.info("meeting %s %s -> %s by user %s", meeting.id, before, meeting.status, actor.id)


def _details(meeting, *, title, starts_at, ends_at, venue=None, online_url=None, agenda=None,
             answer_deadline, reminder_days=2, now):
    if not (title or "").strip():
        raise ValidationFailed(_("件名を入力してください。"), field="title")
    if starts_at is None:
        raise ValidationFailed(_("開始日時を入力してください。"), field="starts_at")
    if ends_at is None or ends_at <= starts_at:
        raise ValidationFailed(_("終了日時は開始日時より後にしてください。"), field="ends_at")
    venue, online_url = (venue or "").strip() or None, (online_url or "").strip() or None
    if not venue and not online_url:
        raise ValidationFailed(_("会場かオンラインのURLのどちらかを入力してください。"), field="venue")
    if online_url and not online_url.lower().startswith(("https://", "http://")):
        raise ValidationFailed(_("URLは http:// または https:// で始めてください。"),
                               field="online_url")
    if answer_deadline is None:
        raise ValidationFailed(_("出欠の回答期限を入力してください。"), field="answer_deadline")
    if answer_deadline > to_jst(starts_at).date():
        raise ValidationFailed(_("回答期限は開催日以前にしてください。"), field="answer_deadline")
    if reminder_days is None or not 0 <= reminder_days <= 20:
        raise ValidationFailed(_("リマインドは0~20営業日前で指定してください。"),
                               field="reminder_days")
    meeting.title, meeting.starts_at, meeting.ends_at = title.strip(), starts_at, ends_at
    meeting.venue, meeting.online_url = venue, online_url
    meeting.agenda = (agenda or "").strip() or None
    meeting.answer_deadline, meeting.reminder_days = answer_deadline, reminder_days


def _add_materials(meeting, actor, uploads, now):
    checked = check_uploads(uploads, field="materials")  # every file before any is written
    for (name, ext, content_type), data in checked:
        meeting.materials.append(MeetingMaterial(
            filename=name, content_type=content_type, uploaded_by_id=actor.id, uploaded_at=now,
            **store_file(ext, data)))
    return len(checked)


def create_meeting(series, actor, *, uploads=(), now=None, **details):
    """A meeting in 準備中: only the prefecture sees it until the invitations are sent."""
    now = now or utcnow()
    permissions.require(actor, "manage", "meeting")
    if not series.active:
        raise ValidationFailed(_("終了したシリーズには会議を追加できません。"))
    meeting = Meeting(series=series, created_by_id=actor.id, created_at=now,
                      status=MeetingStatus.PLANNED.value)
    _details(meeting, now=now, **details)
    db.session.add(meeting)
    n = _add_materials(meeting, actor, uploads, now)
    db.session.flush()
    record_audit("meeting.create", actor=actor, target=meeting, now=now, series_id=series.id,
                 materials=n)
    return meeting


def update_meeting(meeting, actor, *, uploads=(), now=None, **details):
    """Change the details (and add materials) of a meeting that has not taken place."""
    now = now or utcnow()
    permissions.require(actor, "manage", meeting)
    if meeting.status not in (MeetingStatus.PLANNED, MeetingStatus.INVITED):
        raise ValidationFailed(_("開催済・中止の会議は変更できません。"))
    _details(meeting, now=now, **details)
    n = _add_materials(meeting, actor, uploads, now)
    db.session.flush()
    record_audit("meeting.update", actor=actor, target=meeting, now=now, materials=n)
    return meeting


def add_materials(meeting, actor, uploads, now=None):
    now = now or utcnow()
    permissions.require(actor, "manage", meeting)
    n = _add_materials(meeting, actor, uploads, now)
    if not n:
        raise ValidationFailed(_("ファイルを選んでください。"), field="materials")
    db.session.flush()
    record_audit("meeting.materials", actor=actor, target=meeting, now=now, materials=n)
    return meeting


def _announce(meeting, event_type, actor, now, invitations):
    """One notice per invited municipality (its room) and one to the invitees: users in the
    desk (bell and mail), contacts without an account by mail."""
    users = [db.session.get(User, i.user_id) for i in invitations if i.user_id is not None]
    addresses = [(f"c{i.contact_id}", i.email) for i in invitations
                 if i.user_id is None and i.contact_id is not None and i.email]
    ctx = dict(meeting=meeting, when=when_text(meeting), next_date=when_text(meeting),
               link=link(meeting), now=now, actor=actor, urgent=False)
    mids = sorted({i.municipality_id for i in invitations if i.municipality_id is not None})
    for mid in mids:
        notify(event_type, municipality=_municipality(mid), channels=("webhook",),
               event_key=f"meeting:{meeting.id}:{event_type}:m{mid}", **ctx)
    if users:
        notify(event_type, recipients=users, channels=("inapp", "email"),
               event_key=f"meeting:{meeting.id}:{event_type}:users", **ctx)
    if addresses:
        notify(event_type, addresses=addresses, channels=("email",),
               event_key=f"meeting:{meeting.id}:{event_type}:contacts", no_account=True, **ctx)
    return len(mids)


def _municipality(mid):
    from ...models import Municipality

    return db.session.get(Municipality, mid)


def invite(meeting, actor, now=None):
    """Fix the invitations from the series' members today and send them (outbox: bell, mail,
    each municipality's chat room)."""
    now = now or utcnow()
    permissions.require(actor, "manage", meeting)
    t = _check(meeting, MeetingAction.INVITE, actor)
    if meeting.starts_at <= now:
        raise ValidationFailed(_("開始日時が過ぎています。日時を変更してから案内してください。"))
    members = members_of(meeting.series, now.astimezone(JST).date())
    if not members:
        raise ValidationFailed(_("このシリーズのメンバーに該当する人がいません。メンバーの条件を確認してください。"))
    for row in members:
        meeting.invitations.append(MeetingInvitation(**row))
    _move(meeting, t, actor)
    meeting.invited_at = now
    db.session.flush()
    rooms = _announce(meeting, "meeting.invited", actor, now, meeting.invitations)
    record_audit("meeting.invite", actor=actor, target=meeting, now=now,
                 invitations=len(members), municipalities=rooms)
    return meeting


def cancel_meeting(meeting, actor, now=None):
    now = now or utcnow()
    permissions.require(actor, "manage", meeting)
    was_invited = meeting.status == MeetingStatus.INVITED
    _move(meeting, _check(meeting, MeetingAction.CANCEL, actor), actor)
    db.session.flush()
    if was_invited:
        _announce(meeting, "meeting.cancelled", actor, now, meeting.invitations)
    record_audit("meeting.cancel", actor=actor, target=meeting, now=now)
    return meeting


def record_attendance(meeting, actor, attended_ids, now=None):
    """After the meeting: who attended (invitation ids; the others did not). Recording again
    corrects it."""
    now = now or utcnow()
    permissions.require(actor, "manage", meeting)
    t = _check(meeting, MeetingAction.RECORD, actor)
    if meeting.starts_at > now:
        raise ValidationFailed(_("出席は会議の開始後に記録してください。"))
    attended_ids = set(attended_ids)
    known = {i.id for i in meeting.invitations}
    if attended_ids - known:
        raise ValidationFailed(_("この会議の招待者ではない人が含まれています。"))
    for inv in meeting.invitations:
        inv.attended = inv.id in attended_ids
    _move(meeting, t, actor)
    meeting.held_at = meeting.held_at or now
    db.session.flush()
    record_audit("meeting.attendance", actor=actor, target=meeting, now=now,
                 attended=len(attended_ids), invited=len(known))
    return meeting


def publish_minutes(meeting, actor, *, minutes, internal=False, now=None):
    """Write (or correct) the minutes of a held meeting. Published minutes that are not
    internal are announced to the invitees once."""
    now = now or utcnow()
    permissions.require(actor, "manage", meeting)
    if meeting.status != MeetingStatus.HELD:
        raise ValidationFailed(_("議事録は出席を記録してから公開してください。"))
    if not (minutes or "").strip():
        raise ValidationFailed(_("議事録を入力してください。"), field="minutes")
    first = meeting.minutes_published_at is None
    meeting.minutes, meeting.minutes_internal = minutes.strip(), bool(internal)
    meeting.minutes_by_id = actor.id
    meeting.minutes_published_at = meeting.minutes_published_at or now
    db.session.flush()
    if not meeting.minutes_internal:
        users = [i.user for i in meeting.invitations if i.user is not None and i.user.active]
        if users:
            notify("meeting.minutes_published", recipients=users, channels=("inapp", "email"),
                   meeting=meeting, when=when_text(meeting), link=link(meeting), now=now,
                   actor=actor, urgent=False, event_key=f"meeting:{meeting.id}:minutes")
    record_audit("meeting.minutes", actor=actor, target=meeting, now=now, first=first,
                 internal=meeting.minutes_internal)
    return meeting


def meetings_for(user, *, limit=200):
    """The meetings the user may see, the coming ones first, then the past ones (newest
    first)."""
    stmt = permissions.scope_meetings(sa.select(Meeting), user).order_by(
        Meeting.starts_at.desc()).limit(limit)
    return db.session.scalars(stmt).all()


def meeting_material(meeting, material_id):
    m = db.session.get(MeetingMaterial, material_id)
    return m if m is not None and m.meeting_id == meeting.id else None


def meeting_ics(meeting, *, now=None):
    """One meeting as iCalendar text (Asia/Tokyo), for the invitee's calendar."""
    now = now or utcnow()
    from icalendar import Calendar  # lazy: only the download needs it

    cal = Calendar()
    cal.add("prodid", ics_prodid())
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    cal.add_component(meeting_event(meeting, now))
    cal.add_missing_timezones()
    return cal.to_ical()


def meeting_event(meeting, now):
    """The VEVENT of a meeting (the download and the personal calendar feed share it)."""
    from icalendar import Event

    from ..visits.calendar_feed import uid_domain

    ev = Event()
    ev.add("uid", f"meeting-{meeting.id}@{uid_domain()}")
    ev.add("dtstamp", now)
    ev.add("dtstart", meeting.starts_at.astimezone(JST))
    ev.add("dtend", meeting.ends_at.astimezone(JST))
    ev.add("summary", f"[{meeting.series.title}] {meeting.title}")
    if meeting.venue:
        ev.add("location", meeting.venue)
    desc = [meeting.agenda or ""]
    if meeting.online_url:
        desc.append(f"オンライン: {meeting.online_url}")
        ev.add("url", meeting.online_url)
    ev.add("description", "\n".join(d for d in desc if d))
    ev.add("status", "CANCELLED" if meeting.status == MeetingStatus.CANCELLED else "CONFIRMED")
    return ev


def feed_meetings(user, start_day, end_day):
    """The meetings of the user's calendar feed: those they are invited to (and, for the
    prefecture's organisers, those they created), not in preparation."""
    lo, hi = _day_start(start_day), _day_start(end_day)
    mine = sa.select(MeetingInvitation.meeting_id).where(MeetingInvitation.user_id == user.id)
    stmt = sa.select(Meeting).where(
        Meeting.starts_at >= lo, Meeting.starts_at < hi,
        Meeting.status != MeetingStatus.PLANNED.value,
        sa.or_(Meeting.id.in_(mine), Meeting.created_by_id == user.id)).order_by(Meeting.starts_at)
    return db.session.scalars(stmt).all()


def _day_start(day):
    return datetime.combine(day, time(0), tzinfo=JST)
