"""The hook for the meetings a project owns ("a project can own a meeting series", issue 16).

The meetings module (branch "meetings") is built apart; when it is merged, the integrator:
  1. gives its meeting series a nullable `project_id` (FK projects.id), set when a series is made
     from a project's page;
  2. returns those series here (newest first), as the user may see them;
  3. invites the series' members from `project_member_municipality_ids(project)` (the
     municipalities taking part: 参加 and 検討中), so participants get the project's meetings.
The project page already renders whatever `meeting_series_for` returns under 「会議」
(templates/projects/_meetings.html)."""
from ...models.project import PARTICIPATING
from .answers import participant_ids


def meeting_series_for(project, user):
    """The project's meeting series the user may see; none until the meetings module is merged."""
    return []


def project_member_municipality_ids(project):
    """The municipalities a project meeting invites: those taking part (参加 and 検討中)."""
    return participant_ids(project, PARTICIPATING)
