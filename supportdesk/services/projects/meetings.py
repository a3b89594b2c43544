"""The meetings a project owns ("a project can own a meeting series", issue 16).

A series made with `create_project_series` belongs to the project (the meetings module's owner
hook: owner_type "project") and invites the municipalities taking part (参加 and 検討中), so the
participants get the project's meetings; the project page lists the project's series."""
from ... import permissions
from ...models.project import PARTICIPATING
from ..meetings.series import create_series, series_owned_by
from .answers import participant_ids

OWNER_TYPE = "project"


def meeting_series_for(project, user):
    """The project's meeting series, for those who may see meeting series (the prefecture);
    municipalities meet them through their invitations."""
    if not permissions.can(user, "view", "meeting_series"):
        return []
    return series_owned_by(OWNER_TYPE, project.id)


def project_member_municipality_ids(project):
    """The municipalities a project meeting invites: those taking part (参加 and 検討中)."""
    return participant_ids(project, PARTICIPATING)


def create_project_series(project, actor, *, now=None, **fields):
    """A meeting series of the project: its members are the project's participants' 情報部門
    (or the directory roles given), limited to the participating municipalities."""
    fields.setdefault("kind", "working_group")
    fields.setdefault("theme", project.title)
    if not fields.get("member_roles"):
        fields.setdefault("member_info_dept", True)
    return create_series(actor, owner=project, now=now,
                         member_municipality_ids=project_member_municipality_ids(project),
                         **fields)
