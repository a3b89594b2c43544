"""Every enum in the OpenAPI document is the code's list, from its one owner (an enum of the
workflow or the roles, or a model's table), so the document and the code cannot disagree."""
import pytest

from supportdesk.api.attachments_api import UPLOAD_SCHEMA
from supportdesk.models.announcement import (ANNOUNCEMENT_CATEGORIES, ANNOUNCEMENT_STATES,
                                             DEPARTMENT_CHOICES)
from supportdesk.models.api_token import TOKEN_SCOPES
from supportdesk.models.engagement import Achievement, EngagementState
from supportdesk.models.survey import QUESTION_KINDS
from supportdesk.services.visits.rounds import STATUS_LABELS
from supportdesk.models.org import DX_STAFF_BANDS, POPULATION_BANDS
from supportdesk.models.standardisation import MIGRATION_STATES
from supportdesk.models.status import ITEM_GROUPS, ITEM_TYPES, SOURCE_KINDS
from supportdesk.models.support_request import AUDIENCES, KINDS, LECTURE_FORMATS, ORIGINS
from supportdesk.services.packs import load_pack
from supportdesk.models.visit import VISIT_KINDS, VISIT_STATES
from supportdesk.models.waiting import WaitingFor
from supportdesk.roles import Role
from supportdesk.workflow import Action, State
from supportdesk.workflows.contacts import ContactRole
from supportdesk.workflows.surveys import SurveyStatus
from supportdesk.workflows.meetings import (Answer, ItemKind, ItemStatus, MeetingStatus,
                                            OwnerKind, SeriesKind)
from supportdesk.models.project import ANSWERS, COST_KINDS, ELIGIBILITY, MILESTONE_STATUSES, SERVICE_KINDS
from supportdesk.workflows.projects import ProjectStatus
from supportdesk.workflows.training import AUDIENCES as COURSE_AUDIENCES
from supportdesk.workflows.training import (FORMATS, LEVELS, MATERIAL_KINDS, TERMS,
                                            ApplicationStatus, CourseStatus, TraineeStatus)
from tests.factories import make_liaison
from tests.test_api import bearer


def _values(owner):
    return [str(v) for v in owner]


# The programme catalogue's keys (the document lists the ones the desk offers: the pack's here).
_CATALOGUE = load_pack("hyogo").catalogue
HELP_KINDS = SUPPORT_ACTION_KINDS = [e.key for e in _CATALOGUE if e.list == "support_kind"]
LECTURE_PROGRAMS = [e.key for e in _CATALOGUE if e.list == "lecture_menu"]
EXPERT_KINDS = [e.key for e in _CATALOGUE if e.list == "expert_kind"]
REQUEST_FIELDS = {"help_wanted": HELP_KINDS, "program": LECTURE_PROGRAMS,
                  "formats": LECTURE_FORMATS, "audiences": AUDIENCES}
# (where, name) -> owner. `where` is a component schema, or "METHOD path" for a parameter.
OWNERS = {
    ("GET /api/v1/requests", "state"): State,
    ("GET /api/v1/requests", "kind"): KINDS,
    ("GET /api/v1/visits", "state"): VISIT_STATES,
    ("GET /api/v1/visits", "kind"): VISIT_KINDS,
    # Drafts are not listed through the API.
    ("GET /api/v1/announcements", "status"): [s for s in ANNOUNCEMENT_STATES if s != "draft"],
    # Local to the API: they are the endpoint's own options, declared once in the API module.
    ("GET /api/v1/notifications", "order"): ["newest", "unread_first"],
    ("POST /api/v1/requests/{request_id}/attachments", "internal"):
        UPLOAD_SCHEMA["properties"]["internal"]["enum"],
    ("MeOut", "role"): Role,
    ("MeOut", "scope"): TOKEN_SCOPES,
    ("PersonOut", "role"): Role,
    ("RequestOut", "origin"): ORIGINS,
    ("RequestCreate", "origin"): ORIGINS,
    ("RequestOut", "allowed_actions"): Action,
    ("TransitionIn", "action"): Action,
    ("EventOut", "from_state"): State,
    ("EventOut", "to_state"): State,
    ("VisitOut", "kind"): VISIT_KINDS,
    ("VisitOut", "state"): VISIT_STATES,
    ("VisitCreate", "kind"): VISIT_KINDS,
    ("AnnouncementOut", "status"): ANNOUNCEMENT_STATES,
    ("Targeting", "departments"): DEPARTMENT_CHOICES,
    ("AnnouncementCreate", "departments"): DEPARTMENT_CHOICES,
    ("AnnouncementCreate", "category"): ANNOUNCEMENT_CATEGORIES,
    ("AnnouncementCreate", "population_bands"): POPULATION_BANDS,
    ("AnnouncementCreate", "dx_staff_bands"): DX_STAFF_BANDS,
    ("GET /api/v1/engagements", "state"): EngagementState,
    ("EngagementSummary", "state"): EngagementState,
    ("EngagementOut", "state"): EngagementState,
    ("EngagementOut", "achievement"): Achievement,
    # Local to the API: a check-in is a visit or a logged contact (checkin_timeline's kinds).
    ("CheckinOut", "kind"): ["visit", "contact"],
    ("RoundStatusOut", "status"): STATUS_LABELS,
    ("SupportActionOut", "kind"): SUPPORT_ACTION_KINDS,
    ("SupportActionIn", "kind"): SUPPORT_ACTION_KINDS,
    ("ExpertSuggestionOut", "kind"): EXPERT_KINDS,
    ("GET /api/v1/contacts", "role"): ContactRole,
    ("MunicipalContactOut", "role"): ContactRole,
    ("StatusItemOut", "item_type"): ITEM_TYPES,
    ("StatusItemOut", "item_group"): ITEM_GROUPS,
    ("StatusValueOut", "source_kind"): SOURCE_KINDS,
    ("SystemMigrationOut", "source_kind"): SOURCE_KINDS,
    ("SystemMigrationOut", "status"): MIGRATION_STATES,
    ("SurveySummary", "status"): SurveyStatus,
    ("SurveyOut", "status"): SurveyStatus,
    ("MeetingSummary", "status"): MeetingStatus,
    ("MeetingOut", "status"): MeetingStatus,
    ("MeetingSummary", "series_kind"): SeriesKind,
    ("MeetingOut", "series_kind"): SeriesKind,
    ("InvitationOut", "answer"): Answer,
    ("AnswerIn", "answer"): Answer,
    ("ItemOut", "kind"): ItemKind,
    ("ItemOut", "owner_kind"): OwnerKind,
    ("ItemOut", "status"): ItemStatus,
    ("QuestionOut", "kind"): QUESTION_KINDS,
    ("CourseOut", "audience"): COURSE_AUDIENCES,
    ("CourseOut", "format"): FORMATS,
    ("CourseOut", "level"): LEVELS,
    ("CourseOut", "status"): CourseStatus,
    ("CourseSummary", "format"): FORMATS,
    ("CourseSummary", "level"): LEVELS,
    ("CourseSummary", "status"): CourseStatus,
    ("ApplicationOut", "status"): ApplicationStatus,
    ("MaterialOut", "kind"): MATERIAL_KINDS,
    ("GET /api/v1/training/trainees", "status"): TraineeStatus,
    ("TraineeOut", "status"): TraineeStatus,
    ("TraineeOut", "term"): TERMS,
    ("ProjectOut", "status"): ProjectStatus,
    ("ProjectSummary", "status"): ProjectStatus,
    ("ProjectOut", "cost_kind"): COST_KINDS,
    ("ProjectOut", "eligibility"): ELIGIBILITY,
    ("ProjectOut", "eligible_service_kinds"): SERVICE_KINDS,
    ("MilestoneOut", "status"): MILESTONE_STATUSES,
    ("ProjectAnswerIn", "answer"): ANSWERS,
    ("ProjectAnswerOut", "answer"): ANSWERS,
    ("AnswerRevisionOut", "answer"): ANSWERS,
}
for _schema in ("RequestSummary", "RequestOut", "RequestCreate"):
    OWNERS[(_schema, "kind")] = KINDS
for _schema in ("RequestSummary", "RequestOut"):
    OWNERS[(_schema, "state")] = State
    OWNERS[(_schema, "waiting_for")] = WaitingFor
for _schema in ("RequestCreate", "RequestUpdate"):
    for _name, _owner in REQUEST_FIELDS.items():
        OWNERS[(_schema, _name)] = _owner


def _enums_below(node):
    """The enum lists anywhere below a property's or parameter's schema (anyOf, items...)."""
    if isinstance(node, dict):
        if "enum" in node:
            yield node["enum"]
        for value in node.values():
            yield from _enums_below(value)
    elif isinstance(node, list):
        for value in node:
            yield from _enums_below(value)


def _enums_in(doc):
    found = {}
    for name, schema in doc["components"]["schemas"].items():
        for prop, sub in schema.get("properties", {}).items():
            for values in _enums_below(sub):
                found.setdefault((name, prop), []).append(values)
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            where = f"{method.upper()} {path}"
            for param in op.get("parameters", []):
                for values in _enums_below(param["schema"]):
                    found.setdefault((where, param["name"]), []).append(values)
            for media in op.get("requestBody", {}).get("content", {}).values():
                for prop, sub in media.get("schema", {}).get("properties", {}).items():
                    for values in _enums_below(sub):
                        found.setdefault((where, prop), []).append(values)
    return found


@pytest.fixture
def document(client):
    return client.get("/api/v1/openapi.json", headers=bearer(make_liaison())).get_json()


def test_every_enum_in_the_document_has_an_owner_here(document):
    found = _enums_in(document)
    assert sorted(set(found) - set(OWNERS)) == [], "an enum without an owner in OWNERS"
    assert sorted(set(OWNERS) - set(found)) == [], "an owner whose enum left the document"


@pytest.mark.parametrize("where, name", sorted(OWNERS), ids=[f"{w}:{n}" for w, n in sorted(OWNERS)])
def test_the_documented_enum_is_the_codes(document, where, name):
    found = _enums_in(document).get((where, name))
    assert found, f"{where} {name} has no enum in the document"
    for values in found:
        assert values == _values(OWNERS[(where, name)])
