"""The announcement state machine: one table of allowed transitions and who may make each. Pure."""
from dataclasses import dataclass
from enum import StrEnum

from ..i18n import N_
from ..roles import Role


class AnnouncementStatus(StrEnum):
    DRAFT = "draft"          # 下書き
    SCHEDULED = "scheduled"  # 送信予約
    SENT = "sent"            # 送信済
    CANCELLED = "cancelled"  # 取消


class AnnouncementAction(StrEnum):
    SCHEDULE = "schedule"
    SEND = "send"
    CANCEL = "cancel"


STATUS_LABELS = {
    AnnouncementStatus.DRAFT: N_("下書き"),
    AnnouncementStatus.SCHEDULED: N_("送信予約"),
    AnnouncementStatus.SENT: N_("送信済"),
    AnnouncementStatus.CANCELLED: N_("取消"),
}

ACTION_LABELS = {
    AnnouncementAction.SCHEDULE: N_("日時を指定して送信"),
    AnnouncementAction.SEND: N_("今すぐ送信"),
    AnnouncementAction.CANCEL: N_("送信予約を取り消す"),
}

LIAISON, ADMIN = Role.LIAISON, Role.ADMIN
# The scheduler job (send_due_announcements) sends with no actor: it acts as this role.
SCHEDULER = "scheduler"
INITIAL_STATUS = AnnouncementStatus.DRAFT


@dataclass(frozen=True)
class AnnouncementTransition:
    to: AnnouncementStatus
    by: frozenset


def _t(to, by):
    return AnnouncementTransition(to, frozenset(by))


TRANSITIONS = {
    (AnnouncementStatus.DRAFT, AnnouncementAction.SCHEDULE):
        _t(AnnouncementStatus.SCHEDULED, {LIAISON, ADMIN}),
    (AnnouncementStatus.DRAFT, AnnouncementAction.SEND):
        _t(AnnouncementStatus.SENT, {LIAISON, ADMIN}),
    (AnnouncementStatus.SCHEDULED, AnnouncementAction.SEND):
        _t(AnnouncementStatus.SENT, {SCHEDULER}),
    (AnnouncementStatus.SCHEDULED, AnnouncementAction.CANCEL):
        _t(AnnouncementStatus.CANCELLED, {LIAISON, ADMIN}),
}


def transition_for(status, action):
    return TRANSITIONS.get((AnnouncementStatus(status), AnnouncementAction(action)))
