"""The joint project (この指とまれ) state machine. Pure."""
from dataclasses import dataclass
from enum import StrEnum

from ..i18n import N_
from ..roles import Role


class ProjectStatus(StrEnum):
    DRAFT = "draft"    # 作成中: only the prefecture sees it
    OPEN = "open"      # 実施中: open to its municipalities (answers until the join deadline)
    CLOSED = "closed"  # 終了


class ProjectAction(StrEnum):
    OPEN = "open"
    CLOSE = "close"


STATUS_LABELS = {
    ProjectStatus.DRAFT: N_("作成中"),
    ProjectStatus.OPEN: N_("実施中"),
    ProjectStatus.CLOSED: N_("終了"),
}

ACTION_LABELS = {
    ProjectAction.OPEN: N_("公開して参加を募る(対象の市町へ通知)"),
    ProjectAction.CLOSE: N_("事業を終了する"),
}

LIAISON, MANAGER = Role.LIAISON, Role.MANAGER


@dataclass(frozen=True)
class ProjectTransition:
    to: ProjectStatus
    by: frozenset


def _t(to, by):
    return ProjectTransition(to, frozenset(by))


TRANSITIONS = {
    (ProjectStatus.DRAFT, ProjectAction.OPEN): _t(ProjectStatus.OPEN, {LIAISON, MANAGER}),
    (ProjectStatus.OPEN, ProjectAction.CLOSE): _t(ProjectStatus.CLOSED, {LIAISON, MANAGER}),
}


def transition_for(status, action):
    return TRANSITIONS.get((ProjectStatus(status), ProjectAction(action)))


def allowed_project_actions(status, role):
    """The actions a role may take on a project in `status`, in the table's order."""
    return [a for (s, a), t in TRANSITIONS.items() if s == ProjectStatus(status) and role in t.by]
