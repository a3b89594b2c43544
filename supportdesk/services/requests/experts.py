"""Expert assignment: suggestions ranked by continuity, theme fit, region and load; assign,
accept, decline."""
import functools
import logging
from dataclasses import dataclass, field
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from ... import permissions
from ...extensions import db
from ...i18n import N_
from ...models import ExpertAssignment, ExpertProfile, SupportRequest, Theme, User, Visit
from ...models.expert_assignment import ACTIVE_ASSIGNMENT_STATUSES as ACTIVE
from ...models.support_request import request_themes
from ...models.user import expert_themes
from ...models.visit import visit_attendees
from ...notifications import notify
from ...roles import Role
from ...timeutil import utcnow
from ...workflow import OPEN_STATES
from ...workflows.visits import VisitState
from ...workflows.assignments import (INITIAL_STATUS, AssignmentAction, AssignmentStatus,
                                     transition_for)
from .. import DomainError, ValidationFailed
from .transitions import record_event
from .waiting import WaitingEndReason, answers_expert_wait, end_waiting

logger = logging.getLogger(__name__)

OPEN_STATE_VALUES = tuple(sorted(s.value for s in OPEN_STATES))


class InvalidAssignmentTransition(DomainError):
    pass


# What an expert or liaison is told when the assignment's status has no such transition.
_REFUSALS = {
    AssignmentAction.ACCEPT: N_("この依頼はすでに回答済みです。"),
    AssignmentAction.DECLINE: N_("この依頼はすでに回答済みです。"),
    AssignmentAction.REMOVE: N_("この人材はすでに外れています。"),
}


def _check(assignment, action, actor):
    """The table's row for `action` from the assignment's status, for `actor`'s role."""
    t = transition_for(assignment.status, action)
    if t is None:
        raise InvalidAssignmentTransition(_(_REFUSALS[action]))
    if actor.role not in t.by:
        raise permissions.PermissionDenied(
            f"user {actor.id} may not {action} assignment {assignment.id}")
    return t


def _move(assignment, t, *, reason, responded_at):
    """The one place an assignment's status is written: `t` is a row of the table, checked."""
    assignment.status, assignment.reason, assignment.responded_at = t.to.value, reason, responded_at


class ReasonKind(StrEnum):
    """Why a suggestion ranks where it does (the request page puts each into words)."""
    PARENT = "parent"              # worked on the request's parent (元の依頼)
    THEME = "theme"                # n shared themes, with their names
    NO_THEME = "no_theme"
    MUNICIPALITY = "municipality"  # n earlier requests of this municipality worked on
    SAME_REGION = "same_region"
    OTHER_REGION = "other_region"
    LOAD = "load"                  # n open assignments


@dataclass(frozen=True)
class Reason:
    kind: ReasonKind
    n: int | None = None
    names: tuple = ()


# A reason in words: the request page and the API say the same.
REASON_WORDS = {
    ReasonKind.PARENT: N_("元の依頼を担当"),
    ReasonKind.THEME: N_("テーマ一致 %(n)d件(%(names)s)"),
    ReasonKind.NO_THEME: N_("テーマ一致なし"),
    ReasonKind.MUNICIPALITY: N_("この市町の支援実績 %(n)d件"),
    ReasonKind.SAME_REGION: N_("同じ圏域"),
    ReasonKind.OTHER_REGION: N_("他の圏域"),
    ReasonKind.LOAD: N_("対応中 %(n)d件"),
}


def reason_in_words(reason):
    return _(REASON_WORDS[reason.kind], n=reason.n or 0, names="・".join(reason.names))


@dataclass
class Suggestion:
    expert: User
    profile: ExpertProfile
    theme_fit: int
    same_region: bool
    open_load: int
    on_parent: bool = False
    municipality_work: int = 0
    matched_themes: list = field(default_factory=list)

    @property
    def reasons(self):
        """Why this expert ranks where it does, in the order the ranking uses (structured: the
        template says them in words)."""
        out = [Reason(ReasonKind.PARENT)] if self.on_parent else []
        out.append(Reason(ReasonKind.THEME, self.theme_fit, tuple(self.matched_themes))
                   if self.theme_fit else Reason(ReasonKind.NO_THEME))
        out.append(Reason(ReasonKind.MUNICIPALITY, self.municipality_work))
        out.append(Reason(ReasonKind.SAME_REGION if self.same_region
                          else ReasonKind.OTHER_REGION))
        out.append(Reason(ReasonKind.LOAD, self.open_load))
        return out


# Work that counts as having supported a request: an accepted assignment, or attending one of
# its visits that took place. Proposed, declined and removed assignments are not work done.
WORKED_STATUS = AssignmentStatus.ACCEPTED.value


def _worked_request_ids():
    """Ids of the requests the expert of the enclosing query (User) worked on."""
    assigned = (sa.select(ExpertAssignment.request_id)
                .where(ExpertAssignment.expert_id == User.id,
                       ExpertAssignment.status == WORKED_STATUS)
                .correlate(User))
    attended = (sa.select(Visit.request_id)
                .join(visit_attendees, visit_attendees.c.visit_id == Visit.id)
                .where(visit_attendees.c.user_id == User.id, Visit.state == VisitState.HELD.value,
                       Visit.request_id.is_not(None))
                .correlate(User))
    return assigned, attended


def suggest_experts(sreq, limit=10):
    """Available experts not yet on the request, best first.

    Ranking: an expert who worked on the request's parent (元の依頼) first; then more shared
    themes; then more earlier requests of the same municipality worked on (continuity); then
    experts whose home region is the request's region; then fewer open assignments (proposed or
    accepted on a request that is still open). Ties are broken by display name and then user
    id, so the order is stable from one page view to the next.
    The ranking is one SQL query; the names of the matched themes come from one more.
    """
    params = {"request_id": sreq.id, "municipality_id": sreq.municipality_id,
              "region_id": sreq.region_id}
    if sreq.parent_id is not None:
        params["parent_id"] = sreq.parent_id
    rows = db.session.execute(_ranking(sreq.parent_id is not None, limit), params).all()
    suggestions = [Suggestion(u, p, int(fit), bool(near), int(n), on_parent=bool(parent),
                              municipality_work=int(done))
                   for u, p, fit, near, n, parent, done in rows]
    matched = _matched_theme_names(sreq, [s.profile.id for s in suggestions if s.theme_fit])
    for s in suggestions:
        s.matched_themes = matched.get(s.profile.id, [])
    return suggestions


@functools.cache
def _ranking(with_parent, limit):
    """The ranking statement, built once per process (building it cost more than running it on
    every request page); the request's ids are its parameters."""
    request_id = sa.bindparam("request_id", type_=sa.Integer)
    req_themes = sa.select(request_themes.c.theme_id).where(request_themes.c.request_id == request_id)
    theme_fit = (
        sa.select(sa.func.count())
        .select_from(expert_themes)
        .where(expert_themes.c.expert_id == ExpertProfile.id,
               expert_themes.c.theme_id.in_(req_themes))
        .correlate(ExpertProfile)
        .scalar_subquery()
    )
    load = (
        sa.select(sa.func.count())
        .select_from(ExpertAssignment)
        .join(SupportRequest, SupportRequest.id == ExpertAssignment.request_id)
        .where(ExpertAssignment.expert_id == User.id,
               ExpertAssignment.status.in_(ACTIVE),
               SupportRequest.state.in_(OPEN_STATE_VALUES))
        .correlate(User)
        .scalar_subquery()
    )
    assigned, attended = _worked_request_ids()
    here = (
        sa.select(sa.func.count(SupportRequest.id))
        .where(SupportRequest.municipality_id == sa.bindparam("municipality_id", type_=sa.Integer),
               SupportRequest.id != request_id,
               sa.or_(SupportRequest.id.in_(assigned), SupportRequest.id.in_(attended)))
        .correlate(User)
        .scalar_subquery()
    )
    if with_parent:
        parent_id = sa.bindparam("parent_id", type_=sa.Integer)
        on_parent = sa.case((sa.or_(parent_id.in_(assigned), parent_id.in_(attended)), 1),
                            else_=0)
    else:
        on_parent = sa.literal(0)
    same_region = sa.case(
        (ExpertProfile.home_region_id == sa.bindparam("region_id", type_=sa.Integer), 1), else_=0)
    already = sa.select(ExpertAssignment.expert_id).where(
        ExpertAssignment.request_id == request_id, ExpertAssignment.status.in_(ACTIVE))
    return (
        sa.select(User, ExpertProfile, theme_fit.label("fit"), same_region.label("near"),
                  load.label("load"), on_parent.label("on_parent"), here.label("here"))
        .join(ExpertProfile, ExpertProfile.user_id == User.id)
        .where(User.role == Role.EXPERT, User.active.is_(True), ExpertProfile.available.is_(True),
               User.id.not_in(already))
        .order_by(on_parent.desc(), theme_fit.desc(), here.desc(), same_region.desc(),
                  load.asc(), User.display_name, User.id)
        .limit(limit)
    )


def _matched_theme_names(sreq, profile_ids):
    if not profile_ids:
        return {}
    rows = db.session.execute(
        sa.select(expert_themes.c.expert_id, Theme.name_ja)
        .join(Theme, Theme.id == expert_themes.c.theme_id)
        .join(request_themes, sa.and_(request_themes.c.theme_id == Theme.id,
                                      request_themes.c.request_id == sreq.id))
        .where(expert_themes.c.expert_id.in_(profile_ids))
        .order_by(Theme.sort_order)
    ).all()
    out = {}
    for pid, name in rows:
        out.setdefault(pid, []).append(name)
    return out


def request_assignments(sreq):
    """Every assignment on the request (all statuses), with the expert loaded: the experts in
    one more statement when there are any (most requests have none, and a joined load costs
    every page view its setup)."""
    rows = db.session.scalars(
        sa.select(ExpertAssignment).where(ExpertAssignment.request_id == sreq.id)
        .order_by(ExpertAssignment.assigned_at, ExpertAssignment.id)
    ).all()
    if rows:
        experts = {u.id: u for u in db.session.scalars(
            sa.select(User).where(User.id.in_({a.expert_id for a in rows})))}
        for a in rows:
            set_committed_value(a, "expert", experts[a.expert_id])
    return rows


def assign_experts(sreq, experts, actor, *, note=None, now=None):
    """Propose one or more experts for a request; each gets an event and a notification."""
    now = now or utcnow()
    permissions.require(actor, "assign", sreq)
    if not can_take_experts(sreq):
        raise ValidationFailed(_("この状態の依頼には人材を割り当てられません。"), field="expert_ids")
    if not experts:
        raise ValidationFailed(_("派遣する人材を選んでください。"), field="expert_ids")
    existing = {a.expert_id: a for a in db.session.scalars(
        sa.select(ExpertAssignment).where(ExpertAssignment.request_id == sreq.id))}
    done = []
    for expert in experts:
        if expert.role != Role.EXPERT or not expert.active:
            raise ValidationFailed(_("%(name)s さんは派遣人材として登録されていません。",
                                     name=expert.display_name), field="expert_ids")
        assignment = existing.get(expert.id)
        if assignment is None:
            assignment = ExpertAssignment(request_id=sreq.id, expert_id=expert.id,
                                          status=INITIAL_STATUS.value)
            db.session.add(assignment)
        elif transition_for(assignment.status, AssignmentAction.ASSIGN) is None:
            continue  # already on it: assigning twice changes nothing
        else:
            # A declined or removed expert can be asked again: the same row starts over.
            _move(assignment, _check(assignment, AssignmentAction.ASSIGN, actor),
                  reason=None, responded_at=None)
        assignment.assigned_by_id, assignment.assigned_at = actor.id, now
        record_event(sreq, actor, "expert", action="assign", note=note, now=now,
                     data={"expert_id": expert.id, "expert_name": expert.display_name})
        notify("expert.assigned", sreq=sreq, recipients=[expert], actor=actor, now=now,
               expert_name=expert.display_name)
        logger.info("request %s: expert %s proposed by user %s", sreq.id, expert.id, actor.id)
        done.append(assignment)
    db.session.flush()
    return done


def can_take_experts(sreq):
    """Experts are put on open work only: not on drafts or finished requests."""
    return sreq.state in OPEN_STATE_VALUES


def remove_assignment(assignment, actor, *, reason=None, now=None):
    """A liaison takes an expert off a request (the expert loses access)."""
    now = now or utcnow()
    sreq = assignment.sreq
    permissions.require(actor, "assign", sreq)
    t = _check(assignment, AssignmentAction.REMOVE, actor)
    expert = assignment.expert
    _move(assignment, t, reason=reason, responded_at=now)
    record_event(sreq, actor, "expert", action="remove", note=reason, now=now,
                 data={"expert_id": expert.id, "expert_name": expert.display_name})
    notify("expert.removed", sreq=sreq, recipients=[expert], actor=actor, now=now,
           expert_name=expert.display_name, reason=reason)
    logger.info("request %s: expert %s removed by user %s", sreq.id, expert.id, actor.id)
    db.session.flush()
    return assignment


def respond_assignment(assignment, actor, *, accept, reason=None, now=None):
    """The expert accepts, or declines with a reason (a declined expert loses access)."""
    now = now or utcnow()
    if actor.id != assignment.expert_id:
        raise permissions.PermissionDenied("only the assigned expert may respond")
    reason = (reason or "").strip() or None
    action = AssignmentAction.ACCEPT if accept else AssignmentAction.DECLINE
    t = _check(assignment, action, actor)
    if t.needs_reason and reason is None:
        raise ValidationFailed(_("辞退の理由を入力してください。"), field="reason")
    status = t.to.value
    sreq = assignment.sreq
    _move(assignment, t, reason=reason, responded_at=now)
    record_event(sreq, actor, "expert", action=action.value, note=reason, now=now,
                 data={"expert_id": actor.id, "expert_name": actor.display_name})
    if answers_expert_wait(sreq):
        end_waiting(sreq, actor, WaitingEndReason.EXPERT_RESPONDED, now=now)
    notify(f"expert.{status}", sreq=sreq, actor=actor,
           now=now, expert_name=actor.display_name, reason=reason)
    logger.info("request %s: expert %s %s", sreq.id, actor.id, status)
    db.session.flush()
    return assignment


def my_assignments(expert):
    """The expert's current assignments (proposed first, then accepted), newest first."""
    return db.session.scalars(
        sa.select(ExpertAssignment)
        .options(joinedload(ExpertAssignment.sreq).joinedload(SupportRequest.municipality))
        .where(ExpertAssignment.expert_id == expert.id, ExpertAssignment.status.in_(ACTIVE))
        .order_by(sa.case((ExpertAssignment.status == AssignmentStatus.PROPOSED.value, 0),
                          else_=1),
                  ExpertAssignment.assigned_at.desc(), ExpertAssignment.id.desc())
    ).all()
