"""Visit rules: the visit state table, scheduling, double-booking refusal, records, satisfaction."""
import logging
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from ... import calendar_jp, permissions
from ...roles import Role
from ...extensions import db
from ...models import (SatisfactionResponse, User, Visit, VisitRecord)
from ...models.visit import VISIT_KINDS, visit_attendees
from ...notifications import notify
from ...timeutil import JST, utcnow
from ...workflow import ACTION_LABELS as REQUEST_ACTION_LABELS
from ...workflow import Action, State
from ...workflows.visits import (ACTION_LABELS, BUTTON_ACTIONS, INITIAL_STATE, LIAISON,
                                STATE_LABELS, TRANSITIONS, VisitAction, VisitState,
                                transition_for)
from .. import DomainError, ValidationFailed
from ..requests.response_target import Contact, record_first_response
from ..requests.transitions import apply_action, record_event
from .lecture_survey import clean_lecture_answers

logger = logging.getLogger(__name__)

# Audience name for the staff of the visit's municipalities (the notify helper resolves it
# from the `municipality_ids` context).
MUNICIPALITY = "municipality"
WEEKDAYS_JA = "月火水木金土日"


# Who may attend a visit: the visit form's people list, the API's attendee_ids, the calendar's
# person filter and create_visit itself ask this.
ATTENDEE_ROLES = (Role.EXPERT, Role.LIAISON)


def attendee_candidates(roles=ATTENDEE_ROLES):
    """Active users who may attend a visit (optionally only some of ATTENDEE_ROLES)."""
    return db.session.scalars(sa.select(User).where(User.role.in_(roles), User.active.is_(True))
                              .order_by(User.role, User.display_name)).all()


def _check_attendees(attendees):
    if any(u.role not in ATTENDEE_ROLES or not u.active for u in attendees):
        raise ValidationFailed(_("リエゾンまたは専門人材を指定してください。"), field="attendee_ids")


class InvalidVisitTransition(DomainError):
    pass


class RequestNotTaken(InvalidVisitTransition):
    """The visit serves a request no liaison has taken yet (受付): it is not confirmed."""


# Requests no liaison has taken yet: a visit serving one stays 候補 until someone takes it.
NOT_TAKEN_STATES = (State.DRAFT, State.SUBMITTED)


class DoubleBooking(ValidationFailed):
    def __init__(self, message, clashes):
        super().__init__(message, field="starts_at")
        self.clashes = clashes


def takes_round_record(visit):
    """A round visit where a round plan exists is written up as a 巡回記録, not a 実施記録."""
    return visit.kind == "round" and any(m.region.has_liaison for m in visit.municipalities)


def _allowed(user, transition, visit):
    return user.role in transition.by and permissions.can(user, transition.permission, visit)


def may_take(user, action, visit):
    """Whether `user`'s role can ever take `action` on `visit`, its current state aside (the
    API answers 403 for these, 409 when only the state is wrong)."""
    return any(a == action and _allowed(user, t, visit) for (_s, a), t in TRANSITIONS.items())


def visit_actions(visit, user):
    """Actions `user` may take on `visit` now (templates show these as buttons)."""
    return [action.value for (state, action), t in TRANSITIONS.items()
            if state == visit.state and action in BUTTON_ACTIONS and _allowed(user, t, visit)
            and not (action == VisitAction.RECORD and takes_round_record(visit))]


def _check(visit, action, actor):
    t = transition_for(visit.state, action)
    if t is None:
        raise InvalidVisitTransition(_("「%(state)s」の訪問は「%(action)s」できません。",
                                       state=_(STATE_LABELS[visit.state]),
                                       action=_(ACTION_LABELS[action])))
    if actor.role not in t.by or not permissions.can(actor, t.permission, visit):
        raise permissions.PermissionDenied(f"user {actor.id} may not {action} visit {visit.id}")
    if action == VisitAction.RECORD and takes_round_record(visit):
        # A round's record is the 巡回記録 (rounds.record_round), which also marks it held.
        raise InvalidVisitTransition(_("定期巡回の訪問には実施記録ではなく巡回記録を書きます。"))
    return t


def _move(visit, t, actor, now):
    """The one place a visit's state is written: `t` is a row of the table, already checked."""
    before = visit.state
    visit.state = t.to.value
    visit.updated_at = now
    logger.info("visit %s %s -> %s by user %s", visit.id, before, visit.state, actor.id)


def mark_round_held(visit, actor, *, starts_at, ends_at, now):
    """A round's 巡回記録 marks its visit held at the times it took place (rounds.record_round
    has checked the actor against the region's round plan)."""
    t = transition_for(visit.state, VisitAction.RECORD_ROUND)
    if t is None:
        raise ValidationFailed(_("中止・延期した訪問には巡回記録を書けません。"))
    if actor.role not in t.by:
        raise permissions.PermissionDenied(f"user {actor.id} may not record round visit {visit.id}")
    visit.starts_at, visit.ends_at = starts_at, ends_at
    _move(visit, t, actor, now)
    return visit


def jst_range(starts_at, ends_at):
    """'2025-11-03(月) 10:00〜12:00' in Asia/Tokyo, for messages."""
    s, e = starts_at.astimezone(JST), ends_at.astimezone(JST)
    head = f"{s:%Y-%m-%d}({WEEKDAYS_JA[s.weekday()]}) {s:%H:%M}"
    if s.date() == e.date():
        return f"{head}〜{e:%H:%M}"
    return f"{head}〜{e:%Y-%m-%d} {e:%H:%M}"


def date_warnings(starts_at, ends_at):
    """Weekend / holiday / year-end flags for the chosen dates: warnings, never refusals."""
    out = []
    day = starts_at.astimezone(JST).date()
    last = ends_at.astimezone(JST).date()
    while day <= last:
        label = f"{day:%Y-%m-%d}({WEEKDAYS_JA[day.weekday()]})"
        name = calendar_jp.holiday_name(day)
        if name:
            out.append(_("%(day)sは祝日(%(name)s)です。", day=label, name=name))
        elif day.weekday() >= 5:
            out.append(_("%(day)sは%(weekday)s曜日です。", day=label,
                         weekday=WEEKDAYS_JA[day.weekday()]))
        elif calendar_jp.is_year_end_closure(day):
            out.append(_("%(day)sは年末年始の閉庁日です。", day=label))
        day += timedelta(days=1)
    return out


def _people(visit):
    people = {u.id: u for u in visit.attendees}
    if visit.liaison is not None:
        people[visit.liaison.id] = visit.liaison
    return people


def find_clashes(visit):
    """Confirmed visits overlapping `visit` that share a liaison or expert: [(user, other)]."""
    return clashes_for(_people(visit), visit.starts_at, visit.ends_at, exclude_id=visit.id)


def clashes_for(people, starts_at, ends_at, exclude_id=None):
    """[(user, other visit)] for confirmed visits of `people` ({id: user}) overlapping the range.
    Touching end-to-start is not an overlap."""
    if not people:
        return []
    ids = sorted(people)
    attending = sa.select(visit_attendees.c.visit_id).where(visit_attendees.c.user_id.in_(ids))
    stmt = (sa.select(Visit).where(
        Visit.state == "confirmed",
        Visit.id != (exclude_id or 0),
        Visit.starts_at < ends_at, Visit.ends_at > starts_at,
        sa.or_(Visit.id.in_(attending), Visit.liaison_id.in_(ids)))
        .order_by(Visit.starts_at))
    clashes = []
    for other in db.session.scalars(stmt):
        for uid, person in _people(other).items():
            if uid in people:
                clashes.append((person, other))
    return clashes


def clash_message(clashes):
    lines = []
    for person, other in clashes:
        lines.append(_("%(name)sさんは%(when)sに「%(title)s」(%(munis)s)の予定が確定しています。",
                       name=person.display_name, when=jst_range(other.starts_at, other.ends_at),
                       title=other.title, munis="・".join(m.name for m in other.municipalities)))
    return _("日程が重複しています。") + " " + " ".join(lines)


def _refuse_double_booking(visit):
    # Lock the people's rows so two confirmations for the same person cannot both pass
    # (PostgreSQL; SQLite already serialises writers with BEGIN IMMEDIATE).
    ids = sorted(_people(visit))
    if ids:
        db.session.execute(sa.select(User.id).where(User.id.in_(ids)).with_for_update())
    clashes = find_clashes(visit)
    if clashes:
        raise DoubleBooking(clash_message(clashes), clashes)


def _refuse_untaken_request(visit):
    sreq = visit.sreq
    if sreq is not None and sreq.state in NOT_TAKEN_STATES:
        raise RequestNotTaken(_(
            "まだリエゾンが担当していない依頼の訪問は確定できません。"
            "依頼の画面で「%(action)s」を押してから確定してください。",
            action=_(REQUEST_ACTION_LABELS[Action.TRIAGE])))


def visit_warnings(visit):
    """What a liaison is told about a saved visit: the date flags and, for a tentative (候補)
    visit, the confirmed visits of the same people it overlaps (confirming it would be refused).
    Warnings, never refusals."""
    out = []
    if visit.state == VisitState.PROPOSED:
        clashes = find_clashes(visit)
        if clashes:
            out.append(clash_message(clashes))
    return out + date_warnings(visit.starts_at, visit.ends_at)


def _validate_times(starts_at, ends_at):
    if starts_at is None or ends_at is None:
        raise ValidationFailed(_("開始と終了の日時を入力してください。"), field="starts_at")
    if ends_at <= starts_at:
        raise ValidationFailed(_("終了は開始より後にしてください。"), field="ends_at")


def _context(visit, **extra):
    return dict(visit_id=visit.id, kind=visit.kind, title=visit.title,
                starts_at=visit.starts_at.isoformat(), ends_at=visit.ends_at.isoformat(),
                municipality_ids=sorted(m.id for m in visit.municipalities),
                link=f"/visits/{visit.id}", **extra)


def _announce(visit, event_type, actor, now, **extra):
    """The request event (if the visit serves one) and the notification to everyone concerned."""
    if visit.sreq is not None:
        record_event(visit.sreq, actor, "visit", action=event_type.replace(".", "_"),
                     data=_context(visit, state=visit.state, **extra), note=extra.get("reason"),
                     now=now)
    notify(event_type, sreq=visit.sreq, visit=visit, actor=actor, now=now,
           **_context(visit, **extra))


def create_visit(actor, *, kind, title, starts_at, ends_at, municipalities, attendees=(),
                 liaison=None, sreq=None, engagement=None, venue=None, online_details=None,
                 confirm=False, now=None):
    """A proposed visit (候補); with confirm=True it is confirmed at once (double-booking check)."""
    now = now or utcnow()
    if kind not in VISIT_KINDS:
        raise ValidationFailed(_("訪問の種類を選んでください。"), field="kind")
    if not (title or "").strip():
        raise ValidationFailed(_("件名を入力してください。"), field="title")
    _validate_times(starts_at, ends_at)
    if not municipalities:
        raise ValidationFailed(_("訪問先の市町を選んでください。"), field="municipality_ids")
    _check_attendees(attendees)
    permissions.require(actor, "manage", "visit")
    if liaison is None:
        liaison = actor
    visit = Visit(kind=kind, title=title.strip(), starts_at=starts_at, ends_at=ends_at,
                  municipalities=list(municipalities), attendees=list(attendees),
                  liaison=liaison, sreq=sreq, engagement=engagement, venue=venue or None,
                  online_details=online_details or None, created_by_id=actor.id,
                  created_at=now, updated_at=now, state=INITIAL_STATE.value)
    db.session.add(visit)
    db.session.flush()
    if sreq is not None:
        record_event(sreq, actor, "visit", action="visit_proposed", data=_context(visit), now=now)
        record_first_response(sreq, actor, now, Contact.VISIT)
    logger.info("visit %s proposed by user %s", visit.id, actor.id)
    if confirm:
        confirm_visit(visit, actor, now=now)
    return visit


def confirm_visit(visit, actor, *, now=None):
    """候補 -> 確定, refusing a double booking and a request no liaison has taken yet; moves a
    lecture request to 日程確定."""
    now = now or utcnow()
    t = _check(visit, VisitAction.CONFIRM, actor)
    _refuse_untaken_request(visit)
    _refuse_double_booking(visit)
    _move(visit, t, actor, now)
    db.session.flush()
    _move_request_to_scheduled(visit, actor, now)
    if visit.sreq is not None:
        record_first_response(visit.sreq, actor, now, Contact.VISIT)
    _announce(visit, "visit.confirmed", actor, now)
    db.session.flush()
    return visit


def _move_request_to_scheduled(visit, actor, now):
    sreq = visit.sreq
    if sreq is None or sreq.state == State.SCHEDULED:
        return
    if sreq.state in (State.TRIAGE, State.EXPERT_SELECTION):
        apply_action(sreq, Action.SCHEDULE, actor, now=now)


def cancel_visit(visit, actor, reason, *, now=None):
    now = now or utcnow()
    if not (reason or "").strip():
        raise ValidationFailed(_("中止の理由を入力してください。"), field="reason")
    t = _check(visit, VisitAction.CANCEL, actor)
    _move(visit, t, actor, now)
    visit.cancel_reason = reason.strip()
    _announce(visit, "visit.cancelled", actor, now, reason=visit.cancel_reason)
    db.session.flush()
    return visit


def postpone_visit(visit, actor, *, starts_at, ends_at, reason=None, now=None):
    """延期: the old visit keeps a link to a new one at the new time, in the old one's state."""
    now = now or utcnow()
    t = _check(visit, VisitAction.POSTPONE, actor)
    _validate_times(starts_at, ends_at)
    was_confirmed = visit.state == VisitState.CONFIRMED
    new = Visit(kind=visit.kind, title=visit.title, starts_at=starts_at, ends_at=ends_at,
                municipalities=list(visit.municipalities), attendees=list(visit.attendees),
                liaison=visit.liaison, sreq=visit.sreq, engagement_id=visit.engagement_id,
                venue=visit.venue, online_details=visit.online_details, created_by_id=actor.id,
                created_at=now, updated_at=now, state=INITIAL_STATE.value)
    db.session.add(new)
    _move(visit, t, actor, now)
    visit.cancel_reason = (reason or "").strip() or None
    db.session.flush()
    visit.postponed_to = new
    if was_confirmed:
        # The new time keeps the old one's confirmation: the same liaison confirms it.
        confirm = _check(new, VisitAction.CONFIRM, actor)
        _refuse_double_booking(new)
        _move(new, confirm, actor, now)
    db.session.flush()
    _announce(new, "visit.moved", actor, now, previous_visit_id=visit.id,
              previous_starts_at=visit.starts_at.isoformat(), reason=visit.cancel_reason)
    logger.info("visit %s postponed to %s by user %s", visit.id, new.id, actor.id)
    db.session.flush()
    return new


ATTENDANCE_FIELDS = ("attendees_executives", "attendees_business", "attendees_information",
                     "attendees_other")


def record_visit(visit, actor, *, covered="", issues="", follow_ups="", now=None, **attendance):
    """実施記録. The first record marks the visit held and a lecture's request 実施済."""
    now = now or utcnow()
    t = _check(visit, VisitAction.RECORD, actor)
    if visit.starts_at > now:
        raise ValidationFailed(_("訪問の開始前には実施記録を書けません。"), field="covered")
    counts = {}
    for name in ATTENDANCE_FIELDS:
        value = attendance.get(name) or 0
        if value < 0:
            raise ValidationFailed(_("人数は0以上で入力してください。"), field=name)
        counts[name] = value
    record = visit.record
    if record is None:
        record = VisitRecord(visit=visit, recorded_by_id=actor.id)
        db.session.add(record)
    for name, value in counts.items():
        setattr(record, name, value)
    record.covered, record.issues, record.follow_ups = covered or "", issues or "", follow_ups or ""
    record.recorded_by_id, record.recorded_at = actor.id, now
    first = visit.state != VisitState.HELD
    _move(visit, t, actor, now)
    db.session.flush()
    if first and visit.kind == "lecture" and visit.sreq is not None:
        _move_request_to_delivered(visit, actor, now)
    if visit.sreq is not None:
        record_event(visit.sreq, actor, "visit", action="visit_recorded",
                     data=_context(visit, first=first), now=now)
    logger.info("visit %s recorded by user %s", visit.id, actor.id)
    db.session.flush()
    return record


def _move_request_to_delivered(visit, actor, now):
    sreq = visit.sreq
    if sreq.state != State.SCHEDULED:
        return
    # The request's transition is a liaison's; an expert's record moves it on the visit's
    # liaison's behalf (the event note says whose record it was).
    mover = actor if actor.role == LIAISON else visit.liaison
    if mover is None:
        return
    note = None if mover is actor else _("%(name)sさんの実施記録による", name=actor.display_name)
    apply_action(sreq, Action.DELIVER, mover, reason=note, now=now)


def schedule_from_candidate(sreq, candidate, actor, *, attendees=(), liaison=None, title=None,
                            venue=None, online_details=None, now=None):
    """Confirm a lecture at one of the municipality's candidate dates (one step)."""
    if candidate.request_id != sreq.id:
        raise ValidationFailed(_("この依頼の候補日ではありません。"), field="candidate_id")
    visit = create_visit(actor, kind="lecture", title=title or sreq.title,
                         starts_at=candidate.starts_at, ends_at=candidate.ends_at,
                         municipalities=[sreq.municipality, *sreq.co_municipalities],
                         attendees=attendees, liaison=liaison, sreq=sreq,
                         venue=venue if venue is not None else sreq.venue,
                         online_details=online_details, now=now)
    return confirm_visit(visit, actor, now=now)


def candidate_options(sreq, people=()):
    """The municipality's candidate dates first, each with its date flags and any clashes."""
    out = []
    for c in sreq.candidate_dates:
        clashes = clashes_for({u.id: u for u in people}, c.starts_at, c.ends_at)
        out.append({"candidate": c, "label": jst_range(c.starts_at, c.ends_at),
                    "warnings": date_warnings(c.starts_at, c.ends_at),
                    "clash": clash_message(clashes) if clashes else None})
    return out


def visible_answers(visit, user):
    """The satisfaction answers of `visit` that `user` sees: municipal staff see only their own;
    the prefecture side sees all. The one rule for the visit page (and any list of answers)."""
    stmt = sa.select(SatisfactionResponse).where(SatisfactionResponse.visit_id == visit.id)
    if user.role == Role.STAFF:
        stmt = stmt.where(SatisfactionResponse.respondent_id == user.id)
    return db.session.scalars(stmt.order_by(SatisfactionResponse.id)).all()


def _rating_refusal(visit, user):
    """Why `user` may not rate `visit` now, or None: a held lecture, rated once per person by
    the municipality's staff (permission "rate")."""
    if not permissions.can(user, "rate", visit):
        return "permission"
    if visit.kind != "lecture" or visit.state != "held":
        return _("実施済みの出前講座のみ評価できます。")
    if db.session.scalar(sa.select(SatisfactionResponse.id).where(
            SatisfactionResponse.visit_id == visit.id,
            SatisfactionResponse.respondent_id == user.id)):
        return _("この講座には既に回答済みです。")
    return None


def may_rate(visit, user):
    """Whether the visit page offers `user` the rating form: the service's own rule."""
    return _rating_refusal(visit, user) is None


def submit_satisfaction(visit, respondent, *, rating, comment="", values=None, now=None):
    """The municipality's 5-point rating of a held lecture, once per respondent, with the
    answers (`values`, as typed) to the questions a liaison added."""
    now = now or utcnow()
    refusal = _rating_refusal(visit, respondent)
    if refusal == "permission":
        raise permissions.PermissionDenied(f"user {respondent.id} may not rate visit {visit.id}")
    if refusal:
        raise ValidationFailed(refusal, field="rating")
    if rating not in (1, 2, 3, 4, 5):
        raise ValidationFailed(_("1から5で評価してください。"), field="rating")
    answer = SatisfactionResponse(visit_id=visit.id, respondent_id=respondent.id, rating=rating,
                                  comment=(comment or "").strip(),
                                  answers=clean_lecture_answers(visit, values), created_at=now)
    db.session.add(answer)
    if visit.sreq is not None:
        record_event(visit.sreq, respondent, "visit", action="visit_rated",
                     data={"visit_id": visit.id, "rating": rating}, now=now)
    db.session.flush()
    return answer


# A lecture's date can be fixed once a liaison has taken it, until it is scheduled (confirming
# moves it to 日程確定).
SCHEDULABLE_STATES = (State.TRIAGE, State.EXPERT_SELECTION)


def can_schedule_lecture(sreq, user):
    """Whether the request page offers `user` to confirm one of the lecture's candidate dates:
    the liaisons who may confirm a visit, while the lecture is not yet scheduled."""
    return (sreq.kind == "lecture" and sreq.state in SCHEDULABLE_STATES
            and bool(sreq.candidate_dates)
            and user.role in TRANSITIONS[(VisitState.PROPOSED, VisitAction.CONFIRM)].by
            and permissions.can(user, "manage", "visit") and permissions.can(user, "view", sreq))


def visits_for_request(sreq, user):
    """The visits serving a request that `user` may see, newest first (for the request page)."""
    stmt = sa.select(Visit).where(Visit.request_id == sreq.id).order_by(Visit.starts_at.desc())
    return db.session.scalars(permissions.scope_visits(stmt, user)).all()
