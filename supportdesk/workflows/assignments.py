"""The expert assignment state machine: one table of allowed transitions and who may make each. Pure."""
from dataclasses import dataclass
from enum import StrEnum

from ..i18n import N_
from ..roles import Role


class AssignmentStatus(StrEnum):
    PROPOSED = "proposed"  # 依頼中
    ACCEPTED = "accepted"  # 引受済
    DECLINED = "declined"  # 辞退
    REMOVED = "removed"    # 外した


class AssignmentAction(StrEnum):
    ASSIGN = "assign"
    ACCEPT = "accept"
    DECLINE = "decline"
    REMOVE = "remove"


STATUS_LABELS = {
    AssignmentStatus.PROPOSED: N_("依頼中"),
    AssignmentStatus.ACCEPTED: N_("引受済"),
    AssignmentStatus.DECLINED: N_("辞退"),
    AssignmentStatus.REMOVED: N_("外した"),
}

ACTION_LABELS = {
    AssignmentAction.ASSIGN: N_("派遣を依頼"),
    AssignmentAction.ACCEPT: N_("派遣を引受"),
    AssignmentAction.DECLINE: N_("派遣を辞退"),
    AssignmentAction.REMOVE: N_("派遣人材から外す"),
}

LIAISON, EXPERT = Role.LIAISON, Role.EXPERT
# A new assignment starts proposed; a declined or removed expert can be asked again (the same
# row starts over through ASSIGN).
INITIAL_STATUS = AssignmentStatus.PROPOSED
# In these statuses the expert has access to the request and a place on it.
ACTIVE = (AssignmentStatus.PROPOSED, AssignmentStatus.ACCEPTED)


@dataclass(frozen=True)
class AssignmentTransition:
    to: AssignmentStatus
    by: frozenset
    needs_reason: bool = False


def _t(to, by, needs_reason=False):
    return AssignmentTransition(to, frozenset(by), needs_reason)


TRANSITIONS = {
    (AssignmentStatus.PROPOSED, AssignmentAction.ACCEPT): _t(AssignmentStatus.ACCEPTED, {EXPERT}),
}
for _status in (AssignmentStatus.DECLINED, AssignmentStatus.REMOVED):
    TRANSITIONS[(_status, AssignmentAction.ASSIGN)] = _t(AssignmentStatus.PROPOSED, {LIAISON})
for _status in ACTIVE:
    # Only the assigned expert declines (the service checks it is that expert).
    TRANSITIONS[(_status, AssignmentAction.DECLINE)] = _t(AssignmentStatus.DECLINED, {EXPERT},
                                                          needs_reason=True)
    TRANSITIONS[(_status, AssignmentAction.REMOVE)] = _t(AssignmentStatus.REMOVED, {LIAISON})


def transition_for(status, action):
    return TRANSITIONS.get((AssignmentStatus(status), AssignmentAction(action)))
