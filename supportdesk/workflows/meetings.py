"""Meetings and forums (連絡会, CIOフォーラム ...): the series kinds, the meeting state machine,
the invitees' answers and the action items' owners. Pure."""
from dataclasses import dataclass
from enum import StrEnum

from ..i18n import N_
from ..roles import Role


class SeriesKind(StrEnum):
    LIAISON_COUNCIL = "liaison_council"  # 連絡会 (with the council's general meeting)
    CIO_FORUM = "cio_forum"              # CIOフォーラム
    EXTERNAL_TALENT = "external_talent"  # 外部デジタル人材会議 (CIO補佐官, external experts)
    STUDY_GROUP = "study_group"          # 検討会 (ひょうご地域DX推進検討会)
    WORKING_GROUP = "working_group"      # ワーキンググループ (with its theme)
    OTHER = "other"


SERIES_KIND_LABELS = {
    SeriesKind.LIAISON_COUNCIL: N_("連絡会"),
    SeriesKind.CIO_FORUM: N_("CIOフォーラム"),
    SeriesKind.EXTERNAL_TALENT: N_("外部デジタル人材会議"),
    SeriesKind.STUDY_GROUP: N_("検討会"),
    SeriesKind.WORKING_GROUP: N_("ワーキンググループ"),
    SeriesKind.OTHER: N_("その他"),
}


class MeetingStatus(StrEnum):
    PLANNED = "planned"      # 準備中: only the prefecture sees it
    INVITED = "invited"      # 案内済: invitations sent, answers coming in
    HELD = "held"            # 開催済: attendance recorded
    CANCELLED = "cancelled"  # 中止


class MeetingAction(StrEnum):
    INVITE = "invite"
    RECORD = "record"   # record attendance (the meeting took place)
    CANCEL = "cancel"


STATUS_LABELS = {
    MeetingStatus.PLANNED: N_("準備中"),
    MeetingStatus.INVITED: N_("案内済"),
    MeetingStatus.HELD: N_("開催済"),
    MeetingStatus.CANCELLED: N_("中止"),
}

ACTION_LABELS = {
    MeetingAction.INVITE: N_("案内を送る(出欠の回答を依頼)"),
    MeetingAction.RECORD: N_("出席を記録する"),
    MeetingAction.CANCEL: N_("中止する"),
}


@dataclass(frozen=True)
class MeetingTransition:
    to: MeetingStatus
    by: frozenset


_LIAISON = frozenset({Role.LIAISON})

TRANSITIONS = {
    (MeetingStatus.PLANNED, MeetingAction.INVITE): MeetingTransition(MeetingStatus.INVITED,
                                                                     _LIAISON),
    (MeetingStatus.INVITED, MeetingAction.RECORD): MeetingTransition(MeetingStatus.HELD, _LIAISON),
    # Attendance may be corrected after it was first recorded.
    (MeetingStatus.HELD, MeetingAction.RECORD): MeetingTransition(MeetingStatus.HELD, _LIAISON),
    (MeetingStatus.PLANNED, MeetingAction.CANCEL): MeetingTransition(MeetingStatus.CANCELLED,
                                                                     _LIAISON),
    (MeetingStatus.INVITED, MeetingAction.CANCEL): MeetingTransition(MeetingStatus.CANCELLED,
                                                                     _LIAISON),
}


def transition_for(status, action):
    return TRANSITIONS.get((MeetingStatus(status), MeetingAction(action)))


def allowed_meeting_actions(status, role):
    return [a for (s, a), t in TRANSITIONS.items() if s == MeetingStatus(status) and role in t.by]


class Answer(StrEnum):
    ATTEND = "attend"   # 出席
    ABSENT = "absent"   # 欠席
    PROXY = "proxy"     # 代理出席 (naming the substitute)


ANSWER_LABELS = {
    Answer.ATTEND: N_("出席"),
    Answer.ABSENT: N_("欠席"),
    Answer.PROXY: N_("代理出席"),
}
# Answers that mean somebody of the municipality comes.
COMING = frozenset({Answer.ATTEND, Answer.PROXY})


class OwnerKind(StrEnum):
    MUNICIPALITY = "municipality"  # 市町
    DEPARTMENT = "department"      # 県の関係部署
    PERSON = "person"              # 個人 (a user of the desk)


OWNER_LABELS = {
    OwnerKind.MUNICIPALITY: N_("市町"),
    OwnerKind.DEPARTMENT: N_("県の関係部署"),
    OwnerKind.PERSON: N_("個人"),
}


class ItemKind(StrEnum):
    DECISION = "decision"  # 決定事項
    ACTION = "action"      # 宿題(アクションアイテム)


ITEM_KIND_LABELS = {
    ItemKind.DECISION: N_("決定事項"),
    ItemKind.ACTION: N_("宿題"),
}


class ItemStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


ITEM_STATUS_LABELS = {
    ItemStatus.OPEN: N_("対応中"),
    ItemStatus.CLOSED: N_("完了"),
}
