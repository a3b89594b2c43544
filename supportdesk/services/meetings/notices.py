"""The scheduled meeting notices: the answer reminder before the answer deadline to invitees who
have not answered, and the action items' reminders (before the due date, and once overdue) to
their owners. Office hours apply (non-urgent notices wait for 開庁時間)."""
import logging

import sqlalchemy as sa

from ... import permissions
from ...calendar_jp import business_days_before
from ...extensions import db
from ...models import Meeting, MeetingActionItem, User
from ...notifications import notify
from ...timeutil import JST, utcnow
from ...workflows.meetings import ItemStatus, MeetingStatus, OwnerKind
from ..job_markers import claim_notice
from .meetings import link, when_text

logger = logging.getLogger(__name__)
# The markers of the notices sent (job_markers.claim_notice); the events are named at notify().
REMINDER, DUE, OVERDUE = "meeting.answer_reminder", "meeting.action_due", "meeting.action_overdue"
# Action items are reminded this many business days before they are due.
ITEM_REMINDER_DAYS = 3


def send_answer_reminders(now=None):
    """From the reminder day up to the answer deadline, remind the invitees who have not
    answered, once per meeting. Returns how many meetings were reminded."""
    now = now or utcnow()
    today = now.astimezone(JST).date()
    sent = 0
    meetings = db.session.scalars(sa.select(Meeting).where(
        Meeting.status == MeetingStatus.INVITED.value, Meeting.answer_deadline >= today,
        Meeting.reminder_days > 0).order_by(Meeting.id)).all()
    for m in meetings:
        if business_days_before(m.answer_deadline, m.reminder_days) > today:
            continue
        silent = [i for i in m.invitations if i.answer is None]
        users = [i.user for i in silent if i.user is not None and i.user.active]
        addresses = [(f"c{i.contact_id}", i.email) for i in silent
                     if i.user_id is None and i.contact_id is not None and i.email]
        if not (users or addresses) or not claim_notice(REMINDER, f"meeting:{m.id}", now=now):
            continue
        ctx = dict(meeting=m, when=when_text(m), link=link(m), now=now, urgent=False)
        if users:
            notify("meeting.answer_reminder", recipients=users, channels=("inapp", "email"),
                   event_key=f"meeting:{m.id}:reminder:users", **ctx)
        if addresses:
            notify("meeting.answer_reminder", addresses=addresses, channels=("email",),
                   no_account=True, event_key=f"meeting:{m.id}:reminder:contacts", **ctx)
        sent += 1
    db.session.flush()
    return sent


def _tell_owner(item, now, *, overdue, extra_users=()):
    """The owner of an item: a person, a municipality (its 情報部門 and its room), or a
    department (its contact address)."""
    users, municipality, department = list(extra_users), None, None
    if item.owner_kind == OwnerKind.PERSON:
        users.append(item.owner_user)
    elif item.owner_kind == OwnerKind.MUNICIPALITY:
        municipality = item.owner_municipality
        users += permissions.info_dept_of(item.owner_municipality_id)
    else:
        department = item.owner_department
    users = list({u.id: u for u in users if u is not None and u.active}.values())
    notify("meeting.action_overdue" if overdue else "meeting.action_due", recipients=users,
           municipality=municipality, department=department, meeting=item.meeting, item=item,
           link=link(item.meeting), now=now, urgent=False,
           event_key=f"meeting_item:{item.id}:{'overdue' if overdue else 'due'}")


def send_item_reminders(now=None):
    """Each open item once before it is due and once when overdue (the overdue notice also to
    the liaison who ran the meeting). Internal items have no municipal owner. Returns counts."""
    now = now or utcnow()
    today = now.astimezone(JST).date()
    due = overdue = 0
    items = db.session.scalars(sa.select(MeetingActionItem).where(
        MeetingActionItem.status == ItemStatus.OPEN.value).order_by(MeetingActionItem.id)).all()
    for item in items:
        if item.due_on < today:
            if claim_notice(OVERDUE, f"meeting_item:{item.id}", now=now):
                organiser = db.session.get(User, item.meeting.created_by_id)
                _tell_owner(item, now, overdue=True, extra_users=[organiser])
                overdue += 1
        elif business_days_before(item.due_on, ITEM_REMINDER_DAYS) <= today:
            if claim_notice(DUE, f"meeting_item:{item.id}", now=now):
                _tell_owner(item, now, overdue=False)
                due += 1
    db.session.flush()
    return due, overdue


def send_meeting_notices(now=None):
    """Scheduler job: answer reminders and action item reminders. Safe to run twice."""
    now = now or utcnow()
    reminders = send_answer_reminders(now=now)
    due, overdue = send_item_reminders(now=now)
    if reminders or due or overdue:
        logger.info("meeting notices: %d reminders, %d due, %d overdue", reminders, due, overdue)
    return {"reminders": reminders, "due": due, "overdue": overdue,
            "items": reminders + due + overdue}
