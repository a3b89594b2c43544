"""Training (研修): the course and application state machines, the course catalogue's levels and
formats, and the 市町DX推進リーダー terms. Pure.

An application to a course that needs approval waits for the municipality's 情報部門
(PENDING); approving it gives a seat (CONFIRMED) or, when the course is full, a place on the
waiting list (WAITLISTED). A course without approval skips PENDING. When a seat frees (a
confirmed application is cancelled), the first of the waiting list is promoted (PROMOTE, by the
desk itself). Completion is recorded by the prefecture on a confirmed application."""
from dataclasses import dataclass
from enum import StrEnum

from ..i18n import N_
from ..roles import Role

LEVELS = {"intro": N_("入門"), "basic": N_("基礎"), "practical": N_("実践"), "advanced": N_("応用")}
FORMATS = {"in_person": N_("集合"), "online": N_("オンライン"), "elearning": N_("eラーニング")}
MATERIAL_KINDS = {"slides": N_("スライド"), "video": N_("動画(リンク)"), "text": N_("テキスト")}
# 市町DX推進リーダー: the one-week practical training and the six-month programme (Ⅲ-2(1)).
TERMS = {"one_week": N_("1週間(実践研修)"), "six_months": N_("6か月(育成プログラム)")}
# Courses open to a municipality's 情報部門 only, or to all of its staff (as announcements).
AUDIENCES = {"info": N_("企画・情報部門"), "all": N_("全職員")}

SYSTEM = "system"  # the desk itself (promotion from the waiting list)


class CourseStatus(StrEnum):
    DRAFT = "draft"          # 準備中: only the prefecture sees it
    PUBLISHED = "published"  # 公開中: its targets see it and may apply until the deadline
    CANCELLED = "cancelled"  # 中止


class CourseAction(StrEnum):
    PUBLISH = "publish"
    CANCEL = "cancel"


COURSE_STATUS_LABELS = {CourseStatus.DRAFT: N_("準備中"), CourseStatus.PUBLISHED: N_("公開中"),
                        CourseStatus.CANCELLED: N_("中止")}


class ApplicationStatus(StrEnum):
    PENDING = "pending"        # 承認待ち (情報部門)
    CONFIRMED = "confirmed"    # 受講決定
    WAITLISTED = "waitlisted"  # キャンセル待ち
    REJECTED = "rejected"      # 承認されず
    CANCELLED = "cancelled"    # 取消し
    COMPLETED = "completed"    # 修了


class ApplicationAction(StrEnum):
    APPROVE = "approve"    # PENDING -> CONFIRMED (a seat is free)
    WAITLIST = "waitlist"  # PENDING -> WAITLISTED (approved, the course is full)
    REJECT = "reject"
    CANCEL = "cancel"
    PROMOTE = "promote"    # WAITLISTED -> CONFIRMED when a seat frees
    COMPLETE = "complete"


APPLICATION_STATUS_LABELS = {
    ApplicationStatus.PENDING: N_("承認待ち"),
    ApplicationStatus.CONFIRMED: N_("受講決定"),
    ApplicationStatus.WAITLISTED: N_("キャンセル待ち"),
    ApplicationStatus.REJECTED: N_("承認されず"),
    ApplicationStatus.CANCELLED: N_("取消し"),
    ApplicationStatus.COMPLETED: N_("修了"),
}
# The statuses that hold a seat of the course's capacity.
SEAT_HOLDING = frozenset({ApplicationStatus.CONFIRMED, ApplicationStatus.COMPLETED})
# An application in these statuses is live: the same person cannot apply twice.
LIVE = frozenset({ApplicationStatus.PENDING, ApplicationStatus.CONFIRMED,
                  ApplicationStatus.WAITLISTED, ApplicationStatus.COMPLETED})

STAFF, LIAISON, ADMIN = Role.STAFF, Role.LIAISON, Role.ADMIN


@dataclass(frozen=True)
class Transition:
    to: object
    by: frozenset


def _t(to, *by):
    return Transition(to, frozenset(by))


P, C, W = ApplicationStatus.PENDING, ApplicationStatus.CONFIRMED, ApplicationStatus.WAITLISTED
A = ApplicationAction
# Who: the 情報部門 approves (permissions decides which municipality); staff cancel their own;
# the prefecture cancels for them and records completion.
APPLICATION_TRANSITIONS = {
    (P, A.APPROVE): _t(C, STAFF),
    (P, A.WAITLIST): _t(W, STAFF),
    (P, A.REJECT): _t(ApplicationStatus.REJECTED, STAFF),
    (P, A.CANCEL): _t(ApplicationStatus.CANCELLED, STAFF, LIAISON, ADMIN),
    (C, A.CANCEL): _t(ApplicationStatus.CANCELLED, STAFF, LIAISON, ADMIN),
    (W, A.CANCEL): _t(ApplicationStatus.CANCELLED, STAFF, LIAISON, ADMIN),
    (W, A.PROMOTE): _t(C, SYSTEM),
    (C, A.COMPLETE): _t(ApplicationStatus.COMPLETED, LIAISON, ADMIN),
}

COURSE_TRANSITIONS = {
    (CourseStatus.DRAFT, CourseAction.PUBLISH): _t(CourseStatus.PUBLISHED, LIAISON, ADMIN),
    (CourseStatus.DRAFT, CourseAction.CANCEL): _t(CourseStatus.CANCELLED, LIAISON, ADMIN),
    (CourseStatus.PUBLISHED, CourseAction.CANCEL): _t(CourseStatus.CANCELLED, LIAISON, ADMIN),
}


def application_transition(status, action):
    return APPLICATION_TRANSITIONS.get((ApplicationStatus(status), ApplicationAction(action)))


def course_transition(status, action):
    return COURSE_TRANSITIONS.get((CourseStatus(status), CourseAction(action)))


def allowed_application_actions(status, role):
    """The actions a role may take on an application in `status`, in the table's order
    (PROMOTE is the desk's, never a button)."""
    return [a for (s, a), t in APPLICATION_TRANSITIONS.items()
            if s == ApplicationStatus(status) and role in t.by]


class TraineeStatus(StrEnum):
    IN_TRAINING = "in_training"  # 研修中
    COMPLETED = "completed"      # 修了 (the municipality now has this leader)
    WITHDRAWN = "withdrawn"      # 中断


TRAINEE_STATUS_LABELS = {TraineeStatus.IN_TRAINING: N_("研修中"),
                         TraineeStatus.COMPLETED: N_("修了"),
                         TraineeStatus.WITHDRAWN: N_("中断")}
