"""The visit state machine: one table of allowed transitions and who may make each. Pure."""
from dataclasses import dataclass
from enum import StrEnum

from ..i18n import N_
from ..roles import Role


class VisitState(StrEnum):
    PROPOSED = "proposed"    # 候補
    CONFIRMED = "confirmed"  # 確定
    HELD = "held"            # 実施済
    CANCELLED = "cancelled"  # 中止
    POSTPONED = "postponed"  # 延期


class VisitAction(StrEnum):
    CONFIRM = "confirm"
    CANCEL = "cancel"
    POSTPONE = "postpone"
    RECORD = "record"              # 実施記録
    RECORD_ROUND = "record_round"  # 巡回記録 (services/rounds.record_round)


STATE_LABELS = {
    VisitState.PROPOSED: N_("候補"),
    VisitState.CONFIRMED: N_("確定"),
    VisitState.HELD: N_("実施済"),
    VisitState.CANCELLED: N_("中止"),
    VisitState.POSTPONED: N_("延期"),
}

ACTION_LABELS = {
    VisitAction.CONFIRM: N_("確定"),
    VisitAction.CANCEL: N_("中止"),
    VisitAction.POSTPONE: N_("延期"),
    VisitAction.RECORD: N_("実施記録"),
    VisitAction.RECORD_ROUND: N_("巡回記録"),
}

LIAISON, EXPERT = Role.LIAISON, Role.EXPERT
# A visit is created proposed (候補); a round recorded without one is created proposed and
# recorded at once.
INITIAL_STATE = VisitState.PROPOSED


@dataclass(frozen=True)
class VisitTransition:
    to: VisitState
    by: frozenset
    # The object-level check the service makes (permissions.can(actor, permission, obj)); a
    # round record is checked against the region's RoundPlan, not the visit.
    permission: str = "manage"


def _t(to, by, permission="manage"):
    return VisitTransition(to, frozenset(by), permission)


TRANSITIONS = {
    (VisitState.PROPOSED, VisitAction.CONFIRM): _t(VisitState.CONFIRMED, {LIAISON}),
    (VisitState.PROPOSED, VisitAction.CANCEL): _t(VisitState.CANCELLED, {LIAISON}),
    (VisitState.CONFIRMED, VisitAction.CANCEL): _t(VisitState.CANCELLED, {LIAISON}),
    (VisitState.PROPOSED, VisitAction.POSTPONE): _t(VisitState.POSTPONED, {LIAISON}),
    (VisitState.CONFIRMED, VisitAction.POSTPONE): _t(VisitState.POSTPONED, {LIAISON}),
    # Experts attending may write the record (実施記録) too; writing it again keeps it held.
    (VisitState.CONFIRMED, VisitAction.RECORD): _t(VisitState.HELD, {LIAISON, EXPERT}, "record"),
    (VisitState.HELD, VisitAction.RECORD): _t(VisitState.HELD, {LIAISON, EXPERT}, "record"),
}
# A round scheduled as a visit is marked held by its 巡回記録, even from 候補.
for _state in (VisitState.PROPOSED, VisitState.CONFIRMED, VisitState.HELD):
    TRANSITIONS[(_state, VisitAction.RECORD_ROUND)] = _t(VisitState.HELD, {LIAISON}, "record")

# The actions a visit page or the API offers as buttons (the round record has its own page).
BUTTON_ACTIONS = (VisitAction.CONFIRM, VisitAction.CANCEL, VisitAction.POSTPONE,
                  VisitAction.RECORD)


def transition_for(state, action):
    return TRANSITIONS.get((VisitState(state), VisitAction(action)))
