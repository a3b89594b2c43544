"""Who may see and do what: one role x object x action table, object checks and list scoping.

Read the table as: PERMISSIONS[object][action][role] = scope, where scope is
  "all"     every object of that kind,
  "regions" objects of municipalities in the user's regions (the central team also gets the regions without a liaison),
  "own"     objects of the user's own municipality (municipal staff),
  "self"    objects that belong to the user,
  "assigned" requests (and what hangs off them) the expert is assigned to,
  "info_dept" objects of the user's own municipality, for its 情報部門 staff only.
A role that is missing has no access. Views, the API and exports all ask this module.
"""
import re

import sqlalchemy as sa
from flask import g, has_request_context, request

from .extensions import db
from .roles import Role

ALL, REGIONS, OWN, SELF, ASSIGNED = "all", "regions", "own", "self", "assigned"
INFO_DEPT = "info_dept"

PERMISSIONS = {
    "municipality": {
        "view": {Role.STAFF: OWN, Role.LIAISON: ALL, Role.EXPERT: ALL, Role.MANAGER: ALL,
                 Role.ADMIN: ALL},
        "edit_profile": {Role.LIAISON: REGIONS, Role.ADMIN: ALL},
    },
    # The DX status tracker and standardisation progress (StatusValue, SystemMigration): the
    # municipality's staff read their own; liaisons edit their regions' and read all.
    "status": {
        "view": {Role.STAFF: OWN, Role.LIAISON: ALL, Role.MANAGER: ALL, Role.ADMIN: ALL},
        "edit": {Role.LIAISON: REGIONS, Role.ADMIN: ALL},
        # The matrix, the figures and the exports over all 41.
        "overview": {Role.LIAISON: ALL, Role.MANAGER: ALL, Role.ADMIN: ALL},
    },
    "status_item": {
        "view": {Role.STAFF: ALL, Role.LIAISON: ALL, Role.MANAGER: ALL, Role.ADMIN: ALL},
        "manage": {Role.ADMIN: ALL},
    },
    "user": {
        "view": {Role.ADMIN: ALL},
        "manage": {Role.ADMIN: ALL},
    },
    "theme": {
        "view": {Role.STAFF: ALL, Role.LIAISON: ALL, Role.EXPERT: ALL, Role.MANAGER: ALL,
                 Role.ADMIN: ALL},
        "manage": {Role.ADMIN: ALL},
    },
    # The programme catalogue (講座メニュー, 支援の種類, 専門人材の種別): read by every form, kept by admins.
    "catalogue_entry": {
        "manage": {Role.ADMIN: ALL},
    },
    "expert_profile": {
        "view": {Role.LIAISON: ALL, Role.EXPERT: SELF, Role.MANAGER: ALL, Role.ADMIN: ALL},
        "manage": {Role.ADMIN: ALL},
    },
    "audit_log": {
        "view": {Role.ADMIN: ALL},
    },
    "request": {
        "view": {Role.STAFF: OWN, Role.LIAISON: ALL, Role.EXPERT: ASSIGNED, Role.MANAGER: ALL,
                 Role.ADMIN: ALL},
        "create": {Role.STAFF: OWN, Role.LIAISON: ALL},
        "edit": {Role.STAFF: OWN, Role.LIAISON: ALL},
        "transition": {Role.STAFF: OWN, Role.LIAISON: ALL},
        "reply": {Role.STAFF: OWN, Role.LIAISON: ALL, Role.EXPERT: ASSIGNED},
        "view_internal": {Role.LIAISON: ALL, Role.EXPERT: ASSIGNED, Role.MANAGER: ALL,
                          Role.ADMIN: ALL},
        "internal_note": {Role.LIAISON: ALL, Role.EXPERT: ASSIGNED},
        "assign": {Role.LIAISON: ALL},
        "record_support": {Role.LIAISON: ALL},
        "link": {Role.LIAISON: ALL},
        "follow": {Role.STAFF: OWN, Role.LIAISON: ALL, Role.MANAGER: ALL},
        # 市町の回答待ち / 人材の回答待ち: the liaisons of the request's team (its region's, or
        # the central team for a region without one).
        "wait": {Role.LIAISON: REGIONS},
    },
    "attachment": {
        "view": {Role.STAFF: OWN, Role.LIAISON: ALL, Role.EXPERT: ASSIGNED, Role.MANAGER: ALL,
                 Role.ADMIN: ALL},
        "upload": {Role.STAFF: OWN, Role.LIAISON: ALL, Role.EXPERT: ASSIGNED},
    },
    "visit": {
        "view": {Role.STAFF: OWN, Role.LIAISON: ALL, Role.EXPERT: SELF, Role.MANAGER: ALL,
                 Role.ADMIN: ALL},
        # Creating, confirming, moving and cancelling visits is a liaison's work (the visit
        # table's transitions are the liaison's too); admins read them.
        "manage": {Role.LIAISON: ALL},
        "record": {Role.LIAISON: ALL, Role.EXPERT: SELF},
        "rate": {Role.STAFF: OWN},
        # The participants' survey link: the municipality's staff forward it, a liaison may
        # hand it out at the lecture.
        "share_survey": {Role.STAFF: OWN, Role.LIAISON: ALL},
        # The record (課題 included) stays on the prefecture side.
        "view_record": {Role.LIAISON: ALL, Role.EXPERT: SELF, Role.MANAGER: ALL, Role.ADMIN: ALL},
    },
    "engagement": {
        "view": {Role.STAFF: OWN, Role.LIAISON: ALL, Role.EXPERT: SELF, Role.MANAGER: ALL,
                 Role.ADMIN: ALL},
        "manage": {Role.LIAISON: ALL},
        "log_contact": {Role.LIAISON: ALL, Role.EXPERT: SELF},
    },
    "calendar": {
        "view": {Role.STAFF: OWN, Role.LIAISON: ALL, Role.EXPERT: SELF, Role.MANAGER: ALL},
        "feed": {Role.STAFF: OWN, Role.LIAISON: ALL, Role.EXPERT: SELF, Role.MANAGER: ALL},
        # Region and person filters: municipal staff see their municipality's visits only.
        "filter": {Role.LIAISON: ALL, Role.EXPERT: SELF, Role.MANAGER: ALL},
    },
    "report": {
        "view": {Role.LIAISON: REGIONS, Role.MANAGER: ALL, Role.ADMIN: ALL},
        "snapshot": {Role.MANAGER: ALL, Role.ADMIN: ALL},
    },
    "queue": {
        "view": {Role.LIAISON: ALL, Role.MANAGER: ALL, Role.ADMIN: ALL},
    },
    "saved_view": {
        "manage": {Role.LIAISON: SELF, Role.MANAGER: SELF, Role.ADMIN: SELF},
    },
    "case": {
        "view": {Role.STAFF: ALL, Role.LIAISON: ALL, Role.EXPERT: ALL, Role.MANAGER: ALL,
                 Role.ADMIN: ALL},
        "manage": {Role.LIAISON: ALL, Role.ADMIN: ALL},
    },
    "reply_template": {
        "view": {Role.LIAISON: ALL, Role.ADMIN: ALL},
        "manage": {Role.LIAISON: ALL, Role.ADMIN: ALL},
    },
    "expert_assignment": {
        "respond": {Role.EXPERT: SELF},
    },
    "own_municipality_requests": {
        "view": {Role.STAFF: OWN},
    },
    "admin_area": {
        "view": {Role.ADMIN: ALL},
    },
    # What a prefecture pack set up and an admin may change afterwards: the desk's profile, the
    # regions and which region each municipality belongs to (views/desk_admin.py).
    "desk_settings": {
        "manage": {Role.ADMIN: ALL},
    },
    # Periodic rounds: checked against a region's RoundPlan or a RoundRecord.
    "round": {
        "view": {Role.LIAISON: REGIONS, Role.MANAGER: ALL, Role.ADMIN: ALL},
        "record": {Role.LIAISON: REGIONS},
        "propose": {Role.LIAISON: REGIONS},
        "edit_plan": {Role.LIAISON: REGIONS, Role.ADMIN: ALL},
        # A municipality's planned round date in a cycle (PlannedRound).
        "plan": {Role.LIAISON: REGIONS},
    },
    # A planned round (巡回予定): the municipality's staff see their own on the calendar and
    # their municipality's page; the round details stay with "round".
    "planned_round": {
        "view": {Role.STAFF: OWN, Role.LIAISON: ALL, Role.MANAGER: ALL, Role.ADMIN: ALL},
    },
    # Prefectural departments that round findings are shared with (a managed list).
    "department": {
        "manage": {Role.ADMIN: ALL},
        # What was shared with a department, read by prefecture users (departments themselves
        # read it through their tokenised link, without an account).
        "view_shared": {Role.LIAISON: ALL, Role.MANAGER: ALL, Role.ADMIN: ALL},
    },
    # Mail that reached the desk (services/mail_in): held mail from unknown senders is read and
    # put away by liaisons; admins see the counts of what was dropped or refused. The original
    # (.eml) of a reply is read like an internal note of its request.
    "inbound_mail": {
        "view": {Role.LIAISON: ALL, Role.ADMIN: ALL},
        "review": {Role.LIAISON: ALL, Role.ADMIN: ALL},
    },
    # Form services (LoGoフォーム...) connected by admins, their answers and CSV imports.
    "form_connection": {
        "manage": {Role.ADMIN: ALL},
    },
    # Single sign-on: the identity providers and the roles that must use one.
    "identity_provider": {
        "manage": {Role.ADMIN: ALL},
    },
    "scheduler": {
        "view": {Role.ADMIN: ALL},
    },
    "notification": {
        "view": {Role.STAFF: SELF, Role.LIAISON: SELF, Role.EXPERT: SELF, Role.MANAGER: SELF,
                 Role.ADMIN: SELF},
    },
    "outbox": {
        "view": {Role.ADMIN: ALL},
        "retry": {Role.ADMIN: ALL},
    },
    "chat_room": {
        "manage": {Role.ADMIN: ALL},
    },
    "announcement": {
        "view": {Role.STAFF: OWN, Role.LIAISON: ALL, Role.MANAGER: ALL, Role.ADMIN: ALL},
        "create": {Role.LIAISON: ALL, Role.ADMIN: ALL},
        "manage": {Role.LIAISON: ALL, Role.ADMIN: ALL},
        "track": {Role.LIAISON: ALL, Role.MANAGER: ALL, Role.ADMIN: ALL},
    },
    "webhook": {
        "manage": {Role.ADMIN: ALL},
    },
    # The contact directory (連絡先): the liaisons of the municipality's team keep it, its
    # 情報部門 proposes changes, its staff read it; managers read every municipality's.
    "contact": {
        "view": {Role.STAFF: OWN, Role.LIAISON: ALL, Role.MANAGER: ALL, Role.ADMIN: ALL},
        "manage": {Role.LIAISON: REGIONS, Role.ADMIN: ALL},
        "propose": {Role.STAFF: INFO_DEPT},
    },
    "contact_proposal": {
        "view": {Role.STAFF: INFO_DEPT, Role.LIAISON: ALL, Role.MANAGER: ALL, Role.ADMIN: ALL},
        "decide": {Role.LIAISON: REGIONS, Role.ADMIN: ALL},
    },
    # The April handover of a municipality (checked against the Municipality, a Departure or a
    # HandoverConfirmation): its 情報部門 or the liaisons of its team do it; managers follow
    # which municipalities have confirmed.
    "handover": {
        "view": {Role.STAFF: INFO_DEPT, Role.LIAISON: REGIONS, Role.MANAGER: ALL,
                 Role.ADMIN: ALL},
        "manage": {Role.STAFF: INFO_DEPT, Role.LIAISON: REGIONS, Role.ADMIN: ALL},
        "track": {Role.LIAISON: ALL, Role.MANAGER: ALL, Role.ADMIN: ALL},
    },
    # Surveys and inquiries (調査・照会): liaisons and managers build, open and close them; a
    # municipality sees the surveys sent to it (targets are fixed when a survey opens).
    "survey": {
        "view": {Role.STAFF: OWN, Role.LIAISON: ALL, Role.MANAGER: ALL, Role.ADMIN: ALL},
        "create": {Role.LIAISON: ALL, Role.MANAGER: ALL},
        "manage": {Role.LIAISON: ALL, Role.MANAGER: ALL},
        # The list of municipalities with their answer status (未着手 / 回答中 / 回答済 / 期限超過).
        "track": {Role.LIAISON: ALL, Role.MANAGER: ALL, Role.ADMIN: ALL},
    },
    # A municipality's answer (and its files): its own staff; liaisons for their regions; managers
    # and admins all. Other municipalities never (404). Submitting also needs
    # may_submit_survey_response (the municipality's respondent).
    "survey_response": {
        "view": {Role.STAFF: OWN, Role.LIAISON: REGIONS, Role.MANAGER: ALL, Role.ADMIN: ALL},
        "draft": {Role.STAFF: OWN},
        "submit": {Role.STAFF: OWN},
    },
    # Retention under 公文書管理 (RetentionPolicy, RetentionRecord): admins set the classes,
    # decide on the spring list and carry out; managers may read the file register (ファイル
    #管理簿), which names no person and which the prefecture publishes anyway.
    "retention": {
        "manage": {Role.ADMIN: ALL},
        "view_register": {Role.MANAGER: ALL, Role.ADMIN: ALL},
    },
    # Training (研修): the prefecture builds the catalogue; a course is seen by the staff it is
    # open to (course_open_to: its targeted municipalities, audience and contact roles), and
    # its material by the same readers (as an announcement's files).
    "training_course": {
        "view": {Role.STAFF: OWN, Role.LIAISON: ALL, Role.MANAGER: ALL, Role.ADMIN: ALL},
        "create": {Role.LIAISON: ALL, Role.ADMIN: ALL},
        "manage": {Role.LIAISON: ALL, Role.ADMIN: ALL},
        "apply": {Role.STAFF: OWN},
        # Every application, the completion list, its exports and certificates.
        "track": {Role.LIAISON: ALL, Role.MANAGER: ALL, Role.ADMIN: ALL},
    },
    "training_material": {
        "view": {Role.STAFF: OWN, Role.LIAISON: ALL, Role.MANAGER: ALL, Role.ADMIN: ALL},
        "manage": {Role.LIAISON: ALL, Role.ADMIN: ALL},
    },
    # An application: staff see their own municipality's only; its 情報部門 approves them;
    # the prefecture records completion. Cancelling also allows the applicant themselves
    # (may_cancel_application).
    "training_application": {
        "view": {Role.STAFF: OWN, Role.LIAISON: ALL, Role.MANAGER: ALL, Role.ADMIN: ALL},
        "approve": {Role.STAFF: INFO_DEPT},
        "cancel": {Role.STAFF: INFO_DEPT, Role.LIAISON: ALL, Role.ADMIN: ALL},
        "complete": {Role.LIAISON: ALL, Role.ADMIN: ALL},
    },
    # Completions per municipality and per course; the totals per fiscal year for managers.
    "training_report": {
        "view": {Role.LIAISON: ALL, Role.MANAGER: ALL, Role.ADMIN: ALL},
        "fiscal_totals": {Role.MANAGER: ALL, Role.ADMIN: ALL},
    },
    # The 市町DX推進リーダー programme: the prefecture runs the cohorts; a municipality's staff
    # read their own trainees (and see their leaders on the municipality page).
    "leader_cohort": {
        "view": {Role.LIAISON: ALL, Role.MANAGER: ALL, Role.ADMIN: ALL},
        "manage": {Role.LIAISON: ALL, Role.ADMIN: ALL},
    },
    "leader_trainee": {
        "view": {Role.STAFF: OWN, Role.LIAISON: ALL, Role.MANAGER: ALL, Role.ADMIN: ALL},
        "manage": {Role.LIAISON: ALL, Role.ADMIN: ALL},
    },
    # Meetings and forums (会議・フォーラム, services/meetings): liaisons run the series and their
    # meetings; a municipality's staff see the meetings it is invited to (never one in
    # preparation), experts the ones they are invited to.
    "meeting_series": {
        "view": {Role.LIAISON: ALL, Role.MANAGER: ALL, Role.ADMIN: ALL},
        "manage": {Role.LIAISON: ALL},
    },
    "meeting": {
        "view": {Role.STAFF: OWN, Role.LIAISON: ALL, Role.EXPERT: SELF, Role.MANAGER: ALL,
                 Role.ADMIN: ALL},
        "manage": {Role.LIAISON: ALL},
        # Every municipality's answers, who attended, the municipalities with nobody coming.
        "track": {Role.LIAISON: ALL, Role.MANAGER: ALL, Role.ADMIN: ALL},
        # Minutes marked internal.
        "view_internal": {Role.LIAISON: ALL, Role.MANAGER: ALL, Role.ADMIN: ALL},
    },
    # An invitee's answer: the municipality's own staff read it; answering also needs
    # may_answer_invitation (the invitee, or the municipality's 情報部門 for a contact).
    "meeting_invitation": {
        "view": {Role.STAFF: OWN, Role.LIAISON: ALL, Role.EXPERT: SELF, Role.MANAGER: ALL,
                 Role.ADMIN: ALL},
        "answer": {Role.STAFF: OWN, Role.LIAISON: ALL, Role.EXPERT: SELF},
    },
    # Decisions and action items: read like their meeting (and by their owner municipality);
    # closing also needs may_close_action_item (a municipal owner closes its own).
    "meeting_action_item": {
        "view": {Role.STAFF: OWN, Role.LIAISON: ALL, Role.MANAGER: ALL, Role.ADMIN: ALL},
        "close": {Role.STAFF: OWN, Role.LIAISON: ALL},
    },
    # Items marked internal stay on the prefecture's side.
    "meeting_internal_item": {
        "view": {Role.LIAISON: ALL, Role.MANAGER: ALL, Role.ADMIN: ALL},
        "close": {Role.LIAISON: ALL},
    },
    # Joint projects (この指とまれ方式): liaisons and managers propose and run them; a
    # municipality sees the projects open to it (fixed when a project opens, see ProjectEligible).
    "project": {
        "view": {Role.STAFF: OWN, Role.LIAISON: ALL, Role.MANAGER: ALL, Role.ADMIN: ALL},
        "create": {Role.LIAISON: ALL, Role.MANAGER: ALL},
        "manage": {Role.LIAISON: ALL, Role.MANAGER: ALL},
        # Every municipality's answer, the participants' map and the costs of all participants.
        "track": {Role.LIAISON: ALL, Role.MANAGER: ALL, Role.ADMIN: ALL},
        # The report: projects open, participants, municipalities taking part, per region and 年度.
        "report": {Role.LIAISON: ALL, Role.MANAGER: ALL, Role.ADMIN: ALL},
        # Notices and documents to the participants.
        "post": {Role.LIAISON: ALL, Role.MANAGER: ALL},
    },
    # A municipality's answer (参加 / 検討中 / 見送り): its own staff answer until the join
    # deadline (services/projects/answers.py checks the date); a liaison records it for the
    # municipality at any time, and is the only way after the deadline. Others never (404).
    "project_answer": {
        "view": {Role.STAFF: OWN, Role.LIAISON: ALL, Role.MANAGER: ALL, Role.ADMIN: ALL},
        "answer": {Role.STAFF: OWN},
        "record": {Role.LIAISON: ALL},
    },
    # A project's notices and their files: the municipalities they were sent to.
    "project_document": {
        "view": {Role.STAFF: OWN, Role.LIAISON: ALL, Role.MANAGER: ALL, Role.ADMIN: ALL},
    },
    # Which municipality runs which service (水道事業...), what "open by service kind" matches.
    "service_kind": {
        "view": {Role.LIAISON: ALL, Role.MANAGER: ALL, Role.ADMIN: ALL},
        "manage": {Role.LIAISON: ALL, Role.ADMIN: ALL},
    },
    # Files sent with an announcement: the same readers as the announcement itself.
    "announcement_attachment": {
        "view": {Role.STAFF: OWN, Role.LIAISON: ALL, Role.MANAGER: ALL, Role.ADMIN: ALL},
        "upload": {Role.LIAISON: ALL, Role.ADMIN: ALL},
    },
}


class PermissionDenied(Exception):
    """Raised for a refused object access; the app answers 404 so existence never leaks."""


def _object_kind(obj):
    """The table's name for obj: its permission_kind, else its class in snake_case
    (ExpertProfile -> expert_profile, AuditLog -> audit_log)."""
    if isinstance(obj, str):
        return obj
    return getattr(obj, "permission_kind", None) or re.sub(
        r"(?<!^)(?=[A-Z])", "_", type(obj).__name__).lower()


def _municipality_ids(obj):
    if hasattr(obj, "scope_municipality_ids"):
        return set(obj.scope_municipality_ids())
    if type(obj).__name__ == "Municipality":
        return {obj.id}
    mid = getattr(obj, "municipality_id", None)
    return {mid} if mid is not None else set()


def liaison_region_filter(user):
    """Region ids a liaison covers; the central team also covers regions without a liaison."""
    ids = set(user.region_ids)
    if user.is_central_team:
        from .models import Region

        ids |= set(db.session.scalars(sa.select(Region.id).where(Region.has_liaison.is_(False))))
    return ids


def team_for(region, leads_only=False):
    """The liaisons who work requests of `region` (active, by id): the region's liaisons, or
    the central team for a region without one. The one owner of "the team of a request"
    for routing, notifications (TEAM, TEAM_LEADS) and the escalation job; liaison_region_filter
    above is the same rule seen from the liaison."""
    from .models import User
    from .models.user import liaison_regions

    stmt = sa.select(User).where(User.role == "liaison", User.active.is_(True))
    if leads_only:
        stmt = stmt.where(User.is_team_lead.is_(True))
    if region.has_liaison:
        stmt = stmt.where(User.id.in_(sa.select(liaison_regions.c.user_id)
                                      .where(liaison_regions.c.region_id == region.id)))
    else:
        stmt = stmt.where(User.is_central_team.is_(True))
    return list(db.session.scalars(stmt.order_by(User.id)))


def info_dept_of(municipality_id):
    """The active 情報部門 staff of a municipality: whom the 情報部門 rule shares with (the
    filing service and the INFO_DEPT audience both ask this)."""
    from .models import User

    return list(db.session.scalars(sa.select(User).where(
        User.role == Role.STAFF, User.active.is_(True), User.municipality_id == municipality_id,
        User.is_information_dept.is_(True)).order_by(User.id)))


def survey_respondents(survey, municipality_id, on=None):
    """Who answers `survey` for a municipality: they hear its notices and may submit the answer.
    A survey with a recipient_role goes to the holders of that role in the contact directory
    who have an account (on `on`, default today); without a role, or when no holder has an
    account, to the municipality's 情報部門 (info_dept_of). A municipality with no 情報部門
    user would have nobody to submit: then every active staff member of it may."""
    from .models import Contact, User
    from .timeutil import JST, utcnow

    if survey is not None and survey.recipient_role:
        on = on or utcnow().astimezone(JST).date()
        holders = list(db.session.scalars(
            sa.select(User).join(Contact, Contact.user_id == User.id).where(
                Contact.municipality_id == municipality_id, Contact.role == survey.recipient_role,
                Contact.valid_from <= on,
                sa.or_(Contact.valid_to.is_(None), Contact.valid_to >= on),
                User.active.is_(True), User.role == Role.STAFF,
                User.municipality_id == municipality_id).order_by(User.id)))
        if holders:
            return holders
    people = info_dept_of(municipality_id)
    if people:
        return people
    return list(db.session.scalars(sa.select(User).where(
        User.role == Role.STAFF, User.active.is_(True), User.municipality_id == municipality_id)
        .order_by(User.id)))


def may_submit_survey_response(user, response):
    """The submit row of the table, and the user is one of the municipality's respondents."""
    return can(user, "submit", response) and any(
        u.id == user.id for u in survey_respondents(response.survey, response.municipality_id))


def _read_only_request():
    return has_request_context() and request.method in ("GET", "HEAD")


def _region_ids_of(obj):
    if hasattr(obj, "scope_region_ids"):
        return set(obj.scope_region_ids())
    from .models import Municipality

    if isinstance(obj, Municipality) and obj.region_id is not None:
        return {obj.region_id}
    mids = _municipality_ids(obj)
    if not mids:
        return set()
    # A page asks for the same municipalities' regions once per section: read them once per
    # read-only request (a GET changes no municipality's region).
    memo = g.setdefault("_permission_regions", {}) if _read_only_request() else {}
    key = frozenset(mids)
    if key not in memo:
        memo[key] = set(db.session.scalars(sa.select(Municipality.region_id)
                                           .where(Municipality.id.in_(mids))))
    return set(memo[key])


def scope_of(user, action, kind):
    if user is None or not getattr(user, "is_authenticated", False) or not user.active:
        return None
    return PERMISSIONS.get(kind, {}).get(action, {}).get(user.role)


def owns_draft(user, sreq):
    """Drafts are private to their filer: the one rule behind can(), scope_requests() and every
    list, search, export and API answer that goes through them."""
    return sreq.state != "draft" or getattr(user, "id", None) in (sreq.filer_id,
                                                                   sreq.created_by_id)


def _drafts_of_others_hidden(user):
    """owns_draft as an SQL condition over SupportRequest."""
    from .models import SupportRequest

    return sa.or_(SupportRequest.state != "draft", SupportRequest.filer_id == user.id,
                  SupportRequest.created_by_id == user.id)


def can(user, action, obj):
    """May `user` do `action` on `obj` (an object, or a kind name for a non-object check)?"""
    kind = _object_kind(obj)
    if kind == "request" and not isinstance(obj, str) and obj.state == "draft" \
            and obj.filer_id is not None and not owns_draft(user, obj):
        return False
    scope = scope_of(user, action, kind)
    if scope is None:
        return False
    if kind in ("training_course", "training_material") and scope == OWN \
            and not isinstance(obj, str) and not course_open_to(user, getattr(obj, "course", obj)):
        return False
    if scope == ALL or isinstance(obj, str):
        return True
    if scope == OWN:
        return user.municipality_id is not None and user.municipality_id in _municipality_ids(obj)
    if scope == INFO_DEPT:
        return (user.is_information_dept and user.municipality_id is not None
                and user.municipality_id in _municipality_ids(obj))
    if scope == REGIONS:
        return bool(_region_ids_of(obj) & liaison_region_filter(user))
    if scope == SELF:
        if hasattr(obj, "attendees"):
            return any(a.id == user.id for a in obj.attendees)
        owner = getattr(obj, "user_id", None)
        return owner is not None and owner == user.id
    if scope == ASSIGNED:
        return user.id in _assigned_expert_ids(obj)
    return False


def _assigned_expert_ids(obj):
    """Experts on the request behind obj (a request, or anything with .sreq), not declined."""
    from .models import ExpertAssignment
    from .models.expert_assignment import ACTIVE_ASSIGNMENT_STATUSES

    sreq = obj if type(obj).__name__ == "SupportRequest" else getattr(obj, "sreq", None)
    if sreq is None or sreq.id is None:
        return set()
    return set(db.session.scalars(
        sa.select(ExpertAssignment.expert_id).where(
            ExpertAssignment.request_id == sreq.id,
            ExpertAssignment.status.in_(ACTIVE_ASSIGNMENT_STATUSES))))


def scope_requests(stmt, user, action="view", *, drafts=True):
    """Narrow a select over SupportRequest to what the user may see: lists, search, exports, API.

    drafts=False: for a list that shows no drafts at all (the queue). Every draft is left out
    with `state != 'draft'`, which an index on the state answers, instead of the filer/creator
    test of owns_draft, which reads each row (its columns are in no index): the same rows
    minus the user's own drafts, never more."""
    from .models import ExpertAssignment, SupportRequest
    from .models.expert_assignment import ACTIVE_ASSIGNMENT_STATUSES
    from .models.support_request import request_co_municipalities

    scope = scope_of(user, action, "request")
    if scope is not None:
        stmt = stmt.where(_drafts_of_others_hidden(user) if drafts
                          else SupportRequest.state != "draft")
    if scope == ALL:
        return stmt
    if scope == OWN:
        co = sa.select(request_co_municipalities.c.request_id).where(
            request_co_municipalities.c.municipality_id == user.municipality_id)
        return stmt.where(sa.or_(SupportRequest.municipality_id == user.municipality_id,
                                 SupportRequest.id.in_(co)))
    if scope == REGIONS:
        return stmt.where(SupportRequest.region_id.in_(liaison_region_filter(user)))
    if scope == ASSIGNED:
        mine = sa.select(ExpertAssignment.request_id).where(
            ExpertAssignment.expert_id == user.id,
            ExpertAssignment.status.in_(ACTIVE_ASSIGNMENT_STATUSES))
        return stmt.where(SupportRequest.id.in_(mine))
    return stmt.where(sa.false())


class InMunicipality:
    """An object of `kind` not made yet, in a municipality: what can_in() checks (adding a
    contact, proposing one, the handover screen of a municipality)."""

    def __init__(self, kind, municipality_id):
        self.permission_kind = kind
        self.municipality_id = municipality_id


def can_in(user, action, kind, municipality):
    return can(user, action, InMunicipality(kind, getattr(municipality, "id", municipality)))


def require_in(user, action, kind, municipality):
    if not can_in(user, action, kind, municipality):
        raise PermissionDenied(f"{getattr(user, 'id', None)} may not {action} {kind} in "
                               f"{getattr(municipality, 'id', municipality)}")
    return municipality


def require(user, action, obj):
    if not can(user, action, obj):
        raise PermissionDenied(f"{getattr(user, 'id', None)} may not {action} {_object_kind(obj)}")
    return obj


def scope_municipalities(stmt, user, action="view", municipality_col=None):
    """Narrow a select to the municipalities the user may see for `action`."""
    from .models import Municipality

    col = municipality_col if municipality_col is not None else Municipality.id
    scope = scope_of(user, action, "municipality")
    if scope == ALL:
        return stmt
    if scope == OWN:
        return stmt.where(col == user.municipality_id)
    if scope == REGIONS:
        region_ids = liaison_region_filter(user)
        sub = sa.select(Municipality.id).where(Municipality.region_id.in_(region_ids))
        return stmt.where(col.in_(sub))
    return stmt.where(sa.false())


def scope_visits(stmt, user, action="view"):
    """Narrow a select over Visit: staff see their municipality's, experts the ones they attend."""
    from .models import Visit
    from .models.visit import visit_attendees, visit_municipalities

    scope = scope_of(user, action, "visit")
    if scope == ALL:
        return stmt
    if scope == OWN:
        mine = sa.select(visit_municipalities.c.visit_id).where(
            visit_municipalities.c.municipality_id == user.municipality_id)
        return stmt.where(Visit.id.in_(mine))
    if scope == SELF:
        mine = sa.select(visit_attendees.c.visit_id).where(visit_attendees.c.user_id == user.id)
        return stmt.where(sa.or_(Visit.id.in_(mine), Visit.liaison_id == user.id))
    return stmt.where(sa.false())


def scope_planned_rounds(stmt, user, action="view"):
    """Narrow a select over PlannedRound: staff see their own municipality's plans only."""
    from .models import PlannedRound

    scope = scope_of(user, action, "planned_round")
    if scope == ALL:
        return stmt
    if scope == OWN:
        return stmt.where(PlannedRound.municipality_id == user.municipality_id)
    return stmt.where(sa.false())


def scope_engagements(stmt, user, action="view"):
    """Narrow a select over Engagement: staff see their municipality's, experts the ones they
    work on (owner or expert); the engagement list page and the API both ask this."""
    from .models import Engagement
    from .models.engagement import engagement_experts

    scope = scope_of(user, action, "engagement")
    if scope == ALL:
        return stmt
    if scope == OWN:
        return stmt.where(Engagement.municipality_id == user.municipality_id)
    if scope == SELF:
        mine = sa.select(engagement_experts.c.engagement_id).where(
            engagement_experts.c.user_id == user.id)
        return stmt.where(sa.or_(Engagement.id.in_(mine), Engagement.owner_id == user.id))
    return stmt.where(sa.false())


def scope_round_records(stmt, user, action="view"):
    """Narrow a select over RoundRecord the way can() checks one: liaisons see the records of
    their regions' municipalities (the central team also those of regions without one), managers and admins all."""
    from .models import Municipality, RoundRecord

    scope = scope_of(user, action, "round")
    if scope == ALL:
        return stmt
    if scope == REGIONS:
        sub = sa.select(Municipality.id).where(
            Municipality.region_id.in_(liaison_region_filter(user)))
        return stmt.where(RoundRecord.municipality_id.in_(sub))
    return stmt.where(sa.false())


def scope_by_municipality(stmt, user, kind, municipality_col, action="view"):
    """Narrow a select over objects that belong to one municipality (contacts, proposals,
    departures) the way can() checks one of `kind`."""
    from .models import Municipality

    scope = scope_of(user, action, kind)
    if scope == ALL:
        return stmt
    if scope == OWN or (scope == INFO_DEPT and user.is_information_dept):
        return stmt.where(municipality_col == user.municipality_id)
    if scope == REGIONS:
        sub = sa.select(Municipality.id).where(
            Municipality.region_id.in_(liaison_region_filter(user)))
        return stmt.where(municipality_col.in_(sub))
    return stmt.where(sa.false())


def scope_status_municipalities(stmt, user, action="view"):
    """Narrow a select over Municipality to those whose tracker values (and standardisation) the
    user may read: municipal staff their own, the prefecture all."""
    from .models import Municipality

    return scope_by_municipality(stmt, user, "status", Municipality.id, action)


def scope_survey_responses(stmt, user, action="view"):
    """Narrow a select over SurveyResponse the way can() checks one: staff their municipality's,
    liaisons their regions' municipalities (the central team also those of regions without one), managers all."""
    from .models import SurveyResponse

    return scope_by_municipality(stmt, user, "survey_response", SurveyResponse.municipality_id,
                                 action)


def scope_surveys(stmt, user, action="view"):
    """Narrow a select over Survey: staff see the surveys sent to their municipality (never a
    draft), the prefecture side all of them. Only inquiries: a lecture's satisfaction survey is
    reached through its lecture (services/visits/lecture_survey.py), never listed as a 照会."""
    from .models import Survey, SurveyTarget

    scope = scope_of(user, action, "survey")
    stmt = stmt.where(Survey.kind == "inquiry")
    if scope == ALL:
        return stmt
    if scope == OWN:
        mine = sa.select(SurveyTarget.survey_id).where(
            SurveyTarget.municipality_id == user.municipality_id)
        return stmt.where(Survey.id.in_(mine), Survey.status != "draft")
    return stmt.where(sa.false())


def _holds_contact_role_sql(user, roles, on):
    from .models import Contact

    return sa.select(Contact.id).where(
        Contact.user_id == user.id, Contact.municipality_id == user.municipality_id,
        Contact.role.in_(list(roles)), Contact.valid_from <= on,
        sa.or_(Contact.valid_to.is_(None), Contact.valid_to >= on))


def course_open_to(user, course, on=None):
    """Is a published course open to this municipal user: their municipality is one of its
    targets, they are of its audience (情報部門 only, or all staff) and, when it names contact
    roles, they hold one of them in the directory. The one rule behind the catalogue, the
    course page, applying and the API (can() and scope_courses ask it)."""
    from .timeutil import JST, utcnow

    if course.status != "published" or user.municipality_id not in course.scope_municipality_ids():
        return False
    if course.audience == "info" and not user.is_information_dept:
        return False
    if course.target_contact_roles:
        on = on or utcnow().astimezone(JST).date()
        return db.session.scalar(sa.select(_holds_contact_role_sql(
            user, course.target_contact_roles, on).exists())) or False
    return True


def scope_courses(stmt, user, action="view", on=None):
    """Narrow a select over TrainingCourse as can() checks one: the prefecture sees every
    course, municipal staff the published courses open to them (course_open_to)."""
    from .models import Contact, TrainingCourse, TrainingCourseTarget
    from .timeutil import JST, utcnow

    scope = scope_of(user, action, "training_course")
    if scope == ALL:
        return stmt
    if scope != OWN:
        return stmt.where(sa.false())
    mine = sa.select(TrainingCourseTarget.course_id).where(
        TrainingCourseTarget.municipality_id == user.municipality_id)
    stmt = stmt.where(TrainingCourse.id.in_(mine), TrainingCourse.status == "published")
    if not user.is_information_dept:
        stmt = stmt.where(TrainingCourse.audience == "all")
    on = on or utcnow().astimezone(JST).date()
    held = set(db.session.scalars(sa.select(Contact.role).where(
        Contact.user_id == user.id, Contact.municipality_id == user.municipality_id,
        Contact.valid_from <= on, sa.or_(Contact.valid_to.is_(None), Contact.valid_to >= on))))
    # A course naming contact roles is open only to holders of one of them (JSON lists, read
    # here rather than in SQL on both databases: the catalogue is a few hundred courses).
    rows = db.session.execute(sa.select(TrainingCourse.id, TrainingCourse.target_contact_roles)
                              .where(TrainingCourse.id.in_(mine))).all()
    closed = [cid for cid, roles in rows if roles and not set(roles) & held]
    return stmt.where(TrainingCourse.id.not_in(closed)) if closed else stmt


def scope_training_applications(stmt, user, action="view"):
    """Narrow a select over TrainingApplication: staff their own municipality's, the
    prefecture all."""
    from .models import TrainingApplication

    return scope_by_municipality(stmt, user, "training_application",
                                 TrainingApplication.municipality_id, action)


def scope_leader_trainees(stmt, user, action="view"):
    from .models import LeaderTrainee

    return scope_by_municipality(stmt, user, "leader_trainee", LeaderTrainee.municipality_id,
                                 action)


def may_cancel_application(user, application):
    """The applicant themselves (while it is their municipality's), or the cancel row."""
    return (can(user, "view", application) and application.user_id == getattr(user, "id", None)
            ) or can(user, "cancel", application)


def may_answer_invitation(user, inv):
    """The answer row of the table, and the user is the invitee, or answers for a contact of
    the municipality as its 情報部門 (the CIO's office has no account of its own)."""
    if not can(user, "answer", inv):
        return False
    if scope_of(user, "answer", "meeting_invitation") == ALL:
        return True
    return inv.user_id == user.id or (inv.user_id is None and user.is_information_dept)


def may_close_action_item(user, item):
    """The close row of the table on the item's owner: staff close the items their
    municipality owns (not those of another owner, even at a meeting they attended); the
    person who owns an item closes it too."""
    if item.owner_user_id is not None and item.owner_user_id == getattr(user, "id", None) \
            and can(user, "view", item.meeting):
        return True
    scope = scope_of(user, "close", _object_kind(item))
    if scope == ALL:
        return True
    if scope == OWN:
        return (item.owner_municipality_id is not None
                and item.owner_municipality_id == user.municipality_id)
    return False


def may_read_minutes(user, meeting):
    """Published minutes are read by whoever sees the meeting; internal ones by the
    prefecture side only."""
    if meeting.minutes_published_at is None:
        return can(user, "manage", meeting)
    if meeting.minutes_internal:
        return can(user, "view_internal", meeting)
    return can(user, "view", meeting)


def scope_meetings(stmt, user, action="view"):
    """Narrow a select over Meeting: staff see the meetings their municipality is invited to,
    experts the ones they are invited to (never one in preparation); the prefecture all."""
    from .models import Meeting, MeetingInvitation
    from .workflows.meetings import MeetingStatus

    scope = scope_of(user, action, "meeting")
    if scope == ALL:
        return stmt
    if scope == OWN:
        mine = sa.select(MeetingInvitation.meeting_id).where(
            MeetingInvitation.municipality_id == user.municipality_id)
    elif scope == SELF:
        mine = sa.select(MeetingInvitation.meeting_id).where(
            MeetingInvitation.user_id == user.id)
    else:
        return stmt.where(sa.false())
    return stmt.where(Meeting.id.in_(mine), Meeting.status != MeetingStatus.PLANNED.value)


def scope_meeting_invitations(stmt, user, action="view"):
    """Narrow a select over MeetingInvitation: staff their own municipality's answers only."""
    from .models import MeetingInvitation

    scope = scope_of(user, action, "meeting_invitation")
    if scope == SELF:
        return stmt.where(MeetingInvitation.user_id == user.id)
    return scope_by_municipality(stmt, user, "meeting_invitation",
                                 MeetingInvitation.municipality_id, action)


def scope_action_items(stmt, user, action="view"):
    """Narrow a select over MeetingActionItem the way can() checks one: the prefecture all;
    staff the items that are not internal, of meetings they see or owned by their
    municipality."""
    from .models import Meeting, MeetingActionItem

    if scope_of(user, action, "meeting_internal_item") == ALL:
        return stmt
    scope = scope_of(user, action, "meeting_action_item")
    if scope == ALL:
        return stmt.where(MeetingActionItem.internal.is_(False))
    if scope == OWN:
        seen = scope_meetings(sa.select(Meeting.id), user)
        return stmt.where(MeetingActionItem.internal.is_(False), sa.or_(
            MeetingActionItem.owner_municipality_id == user.municipality_id,
            MeetingActionItem.meeting_id.in_(seen)))
    return stmt.where(sa.false())


def scope_projects(stmt, user, action="view"):
    """Narrow a select over Project: staff see the projects open to their municipality (never a
    draft), the prefecture side all of them."""
    from .models import Project, ProjectEligible

    scope = scope_of(user, action, "project")
    if scope == ALL:
        return stmt
    if scope == OWN:
        mine = sa.select(ProjectEligible.project_id).where(
            ProjectEligible.municipality_id == user.municipality_id)
        return stmt.where(Project.id.in_(mine), Project.status != "draft")
    return stmt.where(sa.false())


def scope_project_answers(stmt, user, action="view"):
    """Narrow a select over ProjectAnswer the way can() checks one: staff their municipality's,
    the prefecture side all."""
    from .models import ProjectAnswer

    return scope_by_municipality(stmt, user, "project_answer", ProjectAnswer.municipality_id,
                                 action)


def permission_table():
    """Rows (object, action, role, scope) for the admin page and the documentation test."""
    rows = []
    for kind, actions in PERMISSIONS.items():
        for action, roles in actions.items():
            for role, scope in roles.items():
                rows.append((kind, action, role, scope))
    return rows
