"""The survey (調査・照会) state machine and each municipality's answer status. Pure."""
from dataclasses import dataclass
from enum import StrEnum

from ..i18n import N_
from ..roles import Role


class SurveyStatus(StrEnum):
    DRAFT = "draft"    # 作成中: only the prefecture sees it, questions may change
    OPEN = "open"      # 回答受付中: sent to its municipalities
    CLOSED = "closed"  # 締切: no more answers


class SurveyAction(StrEnum):
    OPEN = "open"
    CLOSE = "close"


STATUS_LABELS = {
    SurveyStatus.DRAFT: N_("作成中"),
    SurveyStatus.OPEN: N_("回答受付中"),
    SurveyStatus.CLOSED: N_("締切"),
}

ACTION_LABELS = {
    SurveyAction.OPEN: N_("調査を開始する(市町へ通知)"),
    SurveyAction.CLOSE: N_("調査を締め切る"),
}

LIAISON, MANAGER = Role.LIAISON, Role.MANAGER


@dataclass(frozen=True)
class SurveyTransition:
    to: SurveyStatus
    by: frozenset


def _t(to, by):
    return SurveyTransition(to, frozenset(by))


TRANSITIONS = {
    (SurveyStatus.DRAFT, SurveyAction.OPEN): _t(SurveyStatus.OPEN, {LIAISON, MANAGER}),
    (SurveyStatus.OPEN, SurveyAction.CLOSE): _t(SurveyStatus.CLOSED, {LIAISON, MANAGER}),
}


def transition_for(status, action):
    return TRANSITIONS.get((SurveyStatus(status), SurveyAction(action)))


def allowed_survey_actions(status, role):
    """The actions a role may take on a survey in `status`, in the table's order."""
    return [a for (s, a), t in TRANSITIONS.items() if s == SurveyStatus(status) and role in t.by]


class AnswerStatus(StrEnum):
    """One municipality's position on a survey, as the survey page shows it."""
    NOT_STARTED = "not_started"  # 未着手
    IN_PROGRESS = "in_progress"  # 回答中 (a draft exists)
    ANSWERED = "answered"        # 回答済
    OVERDUE = "overdue"          # 期限超過 (the deadline passed without a submitted answer)


ANSWER_STATUS_LABELS = {
    AnswerStatus.NOT_STARTED: N_("未着手"),
    AnswerStatus.IN_PROGRESS: N_("回答中"),
    AnswerStatus.ANSWERED: N_("回答済"),
    AnswerStatus.OVERDUE: N_("期限超過"),
}


def answer_status(*, has_draft, submitted, deadline, today):
    """The one rule for 未着手 / 回答中 / 回答済 / 期限超過. `deadline` and `today` are dates in
    Tokyo: the deadline day itself is still in time."""
    if submitted:
        return AnswerStatus.ANSWERED
    if today > deadline:
        return AnswerStatus.OVERDUE
    return AnswerStatus.IN_PROGRESS if has_draft else AnswerStatus.NOT_STARTED
