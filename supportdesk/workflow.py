"""The request state machine: one table of allowed transitions and who may make each. Pure."""
from dataclasses import dataclass
from enum import StrEnum

from .i18n import N_
from .roles import Role


class State(StrEnum):
    DRAFT = "draft"                        # 下書き
    SUBMITTED = "submitted"                # 受付
    TRIAGE = "triage"                      # 調整中
    EXPERT_SELECTION = "expert_selection"  # 人材調整中
    SCHEDULED = "scheduled"                # 日程確定
    DELIVERED = "delivered"                # 実施済
    ANSWERED = "answered"                  # 回答済
    CLOSED = "closed"                      # 完了
    ON_HOLD = "on_hold"                    # 保留
    WITHDRAWN = "withdrawn"                # 取下げ
    DECLINED = "declined"                  # 対応不可


class Action(StrEnum):
    SUBMIT = "submit"
    TRIAGE = "triage"
    SELECT_EXPERTS = "select_experts"
    SCHEDULE = "schedule"
    DELIVER = "deliver"
    ANSWER = "answer"
    CLOSE = "close"
    HOLD = "hold"
    RESUME = "resume"
    WITHDRAW = "withdraw"
    DECLINE = "decline"
    REOPEN = "reopen"


STATE_LABELS = {
    State.DRAFT: N_("下書き"),
    State.SUBMITTED: N_("受付"),
    State.TRIAGE: N_("調整中"),
    State.EXPERT_SELECTION: N_("人材調整中"),
    State.SCHEDULED: N_("日程確定"),
    State.DELIVERED: N_("実施済"),
    State.ANSWERED: N_("回答済"),
    State.CLOSED: N_("完了"),
    State.ON_HOLD: N_("保留"),
    State.WITHDRAWN: N_("取下げ"),
    State.DECLINED: N_("対応不可"),
}

ACTION_LABELS = {
    Action.SUBMIT: N_("提出する"),
    Action.TRIAGE: N_("担当して調整を始める"),
    Action.SELECT_EXPERTS: N_("人材調整に進む"),
    Action.SCHEDULE: N_("日程を確定する"),
    Action.DELIVER: N_("実施済にする"),
    Action.ANSWER: N_("回答済にする"),
    Action.CLOSE: N_("完了にする"),
    Action.HOLD: N_("保留にする"),
    Action.RESUME: N_("保留を解除する"),
    Action.WITHDRAW: N_("取り下げる"),
    Action.DECLINE: N_("対応不可にする"),
    Action.REOPEN: N_("再開する"),
}

# Audience names of the notification table (notifications/audiences.WHO_HEARS decides who hears
# each transition; this table only decides who may make it).
FILER, FOLLOWERS, TEAM, EXPERTS = "filer", "followers", "team", "experts"


@dataclass(frozen=True)
class Transition:
    to: State
    by: frozenset
    needs_reason: bool = False


def _t(to, by, needs_reason=False):
    return Transition(to, frozenset(by), needs_reason)


OPEN_WORK = (State.SUBMITTED, State.TRIAGE, State.EXPERT_SELECTION, State.SCHEDULED)

TRANSITIONS = {
    (State.DRAFT, Action.SUBMIT): _t(State.SUBMITTED, {Role.STAFF, Role.LIAISON}),
    (State.DRAFT, Action.WITHDRAW): _t(State.WITHDRAWN, {Role.STAFF, Role.LIAISON}),
    (State.SUBMITTED, Action.TRIAGE): _t(State.TRIAGE, {Role.LIAISON}),
    (State.TRIAGE, Action.SELECT_EXPERTS): _t(State.EXPERT_SELECTION, {Role.LIAISON}),
    (State.TRIAGE, Action.SCHEDULE): _t(State.SCHEDULED, {Role.LIAISON}),
    (State.EXPERT_SELECTION, Action.SCHEDULE): _t(State.SCHEDULED, {Role.LIAISON}),
    (State.SCHEDULED, Action.DELIVER): _t(State.DELIVERED, {Role.LIAISON}),
    (State.TRIAGE, Action.ANSWER): _t(State.ANSWERED, {Role.LIAISON}),
    (State.EXPERT_SELECTION, Action.ANSWER): _t(State.ANSWERED, {Role.LIAISON}),
    (State.DELIVERED, Action.CLOSE): _t(State.CLOSED, {Role.LIAISON}),
    (State.ANSWERED, Action.CLOSE): _t(State.CLOSED, {Role.LIAISON, Role.STAFF}),
    (State.CLOSED, Action.REOPEN): _t(State.TRIAGE, {Role.LIAISON, Role.STAFF}, needs_reason=True),
    (State.ON_HOLD, Action.RESUME): _t(State.TRIAGE, {Role.LIAISON}),
}
for _state in OPEN_WORK:
    TRANSITIONS[(_state, Action.HOLD)] = _t(State.ON_HOLD, {Role.LIAISON}, needs_reason=True)
    TRANSITIONS[(_state, Action.WITHDRAW)] = _t(State.WITHDRAWN, {Role.STAFF}, needs_reason=True)
for _state in (State.SUBMITTED, State.TRIAGE, State.EXPERT_SELECTION, State.ON_HOLD):
    TRANSITIONS[(_state, Action.DECLINE)] = _t(State.DECLINED, {Role.LIAISON}, needs_reason=True)
TRANSITIONS[(State.ON_HOLD, Action.WITHDRAW)] = _t(State.WITHDRAWN, {Role.STAFF}, needs_reason=True)

FINAL_STATES = frozenset({State.CLOSED, State.WITHDRAWN, State.DECLINED})
OPEN_STATES = frozenset(set(State) - FINAL_STATES - {State.DRAFT})
# The municipality may still edit its request until a liaison takes it.
EDITABLE_BY_FILER = frozenset({State.DRAFT, State.SUBMITTED})
REOPEN_WINDOW_DAYS = 30


def transition_for(state, action):
    return TRANSITIONS.get((State(state), Action(action)))


def action_needs_reason(action):
    """Whether `action` asks for a reason (the same from every state it starts from)."""
    return any(t.needs_reason for (_src, a), t in TRANSITIONS.items() if a == Action(action))


def action_roles(action):
    """The roles that may take `action` from at least one state."""
    return frozenset().union(*(t.by for (_src, a), t in TRANSITIONS.items() if a == Action(action)))


def actions_from(state, role):
    """Actions a role may take from a state (object-level rules are checked by the service)."""
    return [action for (src, action), t in TRANSITIONS.items() if src == state and role in t.by]


def path_to(target, *, start=State.DRAFT, avoid=()):
    """The shortest list of actions that takes a request from `start` to `target` in the table
    above, never using an action in `avoid` (e.g. a lecture is closed through deliver, not
    answer). Used by tests and tools that need a request in a given state the honest way."""
    from collections import deque

    start, target, avoid = State(start), State(target), {Action(a) for a in avoid}
    seen, todo = {start: []}, deque([start])
    while todo:
        state = todo.popleft()
        if state == target:
            return seen[state]
        for (src, action), t in TRANSITIONS.items():
            if src == state and action not in avoid and t.to not in seen:
                seen[t.to] = seen[state] + [action]
                todo.append(t.to)
    raise ValueError(f"no path from {start} to {target}")
