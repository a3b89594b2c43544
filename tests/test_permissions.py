"""The permission table against real objects: every object kind, every action, every role.

Each sample object carries hand-written facts (its municipalities, regions, owner, assigned
experts). The expected answer is read from PERMISSIONS plus those facts, so the table a reader
checks on /admin/permissions is the one these assertions hold the code to.
"""
import html
import re
from datetime import timedelta

import pytest

from supportdesk.models.engagement import Engagement
from supportdesk.models.announcement import (Announcement, AnnouncementAttachment,
                                             AnnouncementRecipient)
from supportdesk.models.notification import ChatRoom, InAppNotification, OutboxMessage
from supportdesk.models.saved_view import SavedView
from supportdesk.models.meeting import (Meeting, MeetingActionItem, MeetingInvitation,
                                        MeetingSeries)
from supportdesk.services.visits.rounds import RoundPlan
import sqlalchemy as sa
from flask_login import AnonymousUserMixin

from supportdesk import permissions
from supportdesk.extensions import db
from supportdesk.forms.admin import ROLE_LABELS
from supportdesk.models import (AuditLog, Case, Contact, ContactProposal, Department,
                                HandoverConfirmation, ExpertAssignment, InboundMail, Municipality,
                                PlannedRound, Project, ProjectAnswer, ProjectDocument,
                                ProjectEligible, ProjectNotice, ReplyTemplate,
                                RequestAttachment, StatusItem, StatusValue, SupportRequest,
                                Survey, SurveyResponse, SurveyTarget, SystemMigration, Theme,
                                Visit)
from supportdesk.models.user import ROLES
from supportdesk.permissions import ALL, ASSIGNED, INFO_DEPT, OWN, REGIONS, SELF, PERMISSIONS
from supportdesk.timeutil import utcnow
from tests.factories import (make_expert, make_liaison, make_request, make_staff, make_user,
                             municipality, region)

KNOWN_SCOPES = {ALL, REGIONS, OWN, SELF, ASSIGNED, INFO_DEPT}


def assign(sreq, expert, by, status):
    db.session.add(ExpertAssignment(request_id=sreq.id, expert_id=expert.id, status=status,
                                    assigned_by_id=by.id))


class World:
    """Three municipalities in three regions (佐用町 in 西播磨, 豊岡市 in 但馬, 神戸市 in 神戸),
    users of every role, and objects of every kind hanging off them."""

    def __init__(self):
        self.sayo, self.toyooka, self.kobe = (municipality(n) for n in ("佐用町", "豊岡市", "神戸市"))
        self.users = {
            "staff_sayo": make_staff("佐用町"),
            "staff_toyooka": make_staff("豊岡市"),
            "staff_kobe": make_staff("神戸市"),
            "info_sayo": make_staff("佐用町", info_dept=True),
            "liaison_west": make_liaison("西播磨"),
            # The central team covers no regional liaison area, only Kobe.
            "liaison_central": make_user("liaison", regions=(), is_central_team=True),
            "expert1": make_expert(),
            "expert2": make_expert(kind="県職員"),
            "manager": make_user("manager"),
            "admin": make_user("admin"),
        }
        self.inactive = {role: make_user(role, active=False, regions=("西播磨",))
                         for role in ROLES}
        u = self.users
        filer = u["staff_sayo"]
        self.req_sayo = make_request(filer, title="佐用の相談", commit=False)
        # A joint request from 豊岡市 that 佐用町 joined: both municipalities see it.
        self.req_joint = make_request(u["staff_toyooka"], co=[self.sayo.name], title="合同講座",
                                      commit=False)
        self.req_kobe = make_request(u["staff_kobe"], title="神戸の相談", commit=False)
        assign(self.req_sayo, u["expert1"], u["liaison_west"], "accepted")
        assign(self.req_joint, u["expert1"], u["liaison_west"], "declined")
        assign(self.req_joint, u["expert2"], u["liaison_west"], "proposed")
        self.attachments = {sreq.id: self._attach(sreq, filer)
                            for sreq in (self.req_sayo, self.req_joint, self.req_kobe)}
        now = utcnow()
        self.visit_sayo = Visit(kind="round", title="定期巡回", starts_at=now,
                                ends_at=now + timedelta(hours=1),
                                created_by_id=u["liaison_west"].id,
                                municipalities=[self.sayo], attendees=[u["expert1"]])
        self.visit_kobe = Visit(kind="meeting", title="連絡会", starts_at=now,
                                ends_at=now + timedelta(hours=2),
                                created_by_id=u["liaison_central"].id, municipalities=[self.kobe])
        self.audit = AuditLog(action="test.row")
        self.case = Case(title="事例", organisation="姫路市", summary="概要")
        self.reply_template = ReplyTemplate(title="定型文", body="本文",
                                            created_by_id=u["liaison_west"].id)
        self.engagement = Engagement(municipality_id=self.sayo.id, request_id=self.req_sayo.id,
                                     owner_id=u["liaison_west"].id, title="伴走支援",
                                     starts_on=now.date(), created_by_id=u["liaison_west"].id,
                                     experts=[u["expert2"]])
        self.saved_view = SavedView(user_id=u["liaison_west"].id, name="自分の担当", query="")
        self.notification = InAppNotification(user_id=u["staff_sayo"].id, event_type="test",
                                              idempotency_key="perm-test-1",
                                              title="通知")
        db.session.add_all([self.visit_sayo, self.visit_kobe, self.audit, self.case,
                            self.reply_template, self.engagement, self.saved_view,
                            self.notification])
        db.session.commit()

    @staticmethod
    def _attach(sreq, by):
        att = RequestAttachment(request_id=sreq.id, filename="a.pdf", stored_name=f"s{sreq.id}",
                                content_type="application/pdf", size=1, sha256="0" * 64,
                                uploaded_by_id=by.id)
        db.session.add(att)
        return att

    def request_facts(self, sreq, munis, assigned):
        return dict(munis={m.id for m in munis}, regions={sreq.region_id},
                    assigned={self.users[e].id for e in assigned})

    def samples(self):
        """kind -> [(object, facts)]; a string object is a kind-level check."""
        u = self.users
        facts = {
            self.req_sayo.id: self.request_facts(self.req_sayo, [self.sayo], ["expert1"]),
            self.req_joint.id: self.request_facts(self.req_joint, [self.toyooka, self.sayo],
                                                  ["expert2"]),
            self.req_kobe.id: self.request_facts(self.req_kobe, [self.kobe], []),
        }
        muni = [(m, dict(munis={m.id}, regions={m.region_id}))
                for m in (self.sayo, self.toyooka, self.kobe)]
        requests_ = [(r, facts[r.id]) for r in (self.req_sayo, self.req_joint, self.req_kobe)]
        attachments = [(a, facts[rid]) for rid, a in self.attachments.items()]
        visits = [(self.visit_sayo, dict(munis={self.sayo.id}, regions={self.sayo.region_id},
                                         self={u["expert1"].id})),
                  (self.visit_kobe, dict(munis={self.kobe.id}, regions={self.kobe.region_id},
                                         self=set()))]
        profiles = [(u[e].expert_profile, dict(self={u[e].id})) for e in ("expert1", "expert2")]
        theme = db.session.scalar(sa.select(Theme).limit(1))
        return {
            "municipality": muni,
            "user": [(u["staff_sayo"], dict(self={u["staff_sayo"].id})),
                     (u["expert1"], dict(self={u["expert1"].id}))],
            "theme": [(theme, {})],
            "catalogue_entry": [("catalogue_entry", {})],
            "expert_profile": profiles,
            "audit_log": [(self.audit, {})],
            "request": requests_,
            "attachment": attachments,
            "visit": visits,
            "queue": [("queue", {})],
            "case": [(self.case, {})],
            "reply_template": [(self.reply_template, {})],
            "admin_area": [("admin_area", {})],
            "desk_settings": [("desk_settings", {})],
            # Kind-level checks: these areas have no per-object rule beyond the role.
            "expert_assignment": [("expert_assignment", {})],
            "own_municipality_requests": [("own_municipality_requests", {})],
            "calendar": [("calendar", {})],
            "engagement": [(self.engagement, dict(
                munis={self.sayo.id}, regions={self.sayo.region_id},
                self={u["liaison_west"].id, u["expert2"].id}))],
            "report": [("report", {})],
            "scheduler": [("scheduler", {})],
            "webhook": [("webhook", {})],
            "round": [(RoundPlan(m.region), dict(munis={x.id for x in m.region.municipalities},
                                                 regions={m.region_id}))
                      for m in (self.sayo, self.toyooka, self.kobe)],
            "announcement": self.announcement_samples(),
            "announcement_attachment": [
                (AnnouncementAttachment(announcement=a, filename="f.pdf"), facts)
                for a, facts in self.announcement_samples()],
            "notification": [(InAppNotification(user_id=u[n].id), dict(self={u[n].id}))
                             for n in ("staff_sayo", "liaison_west", "admin")],
            "saved_view": [(SavedView(user_id=u[n].id), dict(self={u[n].id}))
                           for n in ("liaison_west", "manager")],
            "chat_room": [(ChatRoom(name="room"), {})],
            "outbox": [(OutboxMessage(channel="webhook"), {})],
            "planned_round": [(PlannedRound(municipality_id=m.id, municipality=m),
                               dict(munis={m.id}, regions={m.region_id}))
                              for m in (self.sayo, self.toyooka)],
            "department": [(Department(name="デジタル改革課"), {})],
            "inbound_mail": [(InboundMail(outcome="held"), {})],
            "form_connection": [("form_connection", {})],
            "identity_provider": [("identity_provider", {})],
            "contact": [(Contact(municipality_id=m.id), dict(munis={m.id}, regions={m.region_id}))
                        for m in (self.sayo, self.toyooka, self.kobe)],
            "contact_proposal": [(ContactProposal(municipality_id=m.id),
                                  dict(munis={m.id}, regions={m.region_id}))
                                 for m in (self.sayo, self.kobe)],
            "handover": [(permissions.InMunicipality("handover", m.id),
                          dict(munis={m.id}, regions={m.region_id}))
                         for m in (self.sayo, self.toyooka, self.kobe)]
            + [(HandoverConfirmation(municipality_id=self.sayo.id),
                dict(munis={self.sayo.id}, regions={self.sayo.region_id}))],
            # The tracker's values and standardisation rows: a municipality's own.
            "status": [(StatusValue(municipality_id=m.id), dict(munis={m.id}, regions={m.region_id}))
                       for m in (self.sayo, self.toyooka, self.kobe)]
            + [(SystemMigration(municipality_id=self.sayo.id),
                dict(munis={self.sayo.id}, regions={self.sayo.region_id}))],
            "status_item": [(StatusItem(key="x"), {})],
            # A survey sent to 佐用町 and 豊岡市, and a municipality's answer.
            "survey": [(Survey(status="open", targets=[SurveyTarget(municipality_id=m.id)
                                                       for m in (self.sayo, self.toyooka)]),
                        dict(munis={self.sayo.id, self.toyooka.id},
                             regions={self.sayo.region_id, self.toyooka.region_id}))],
            **self.meeting_samples(),
            "survey_response": [(SurveyResponse(municipality_id=m.id),
                                 dict(munis={m.id}, regions={m.region_id}))
                                for m in (self.sayo, self.toyooka, self.kobe)],
            **self.training_samples(),
        }

    def training_samples(self):
        """A published course open to all staff of 佐用町 and 豊岡市 and its material; an
        application and a leader trainee of each municipality."""
        from supportdesk.models import (LeaderCohort, LeaderTrainee, TrainingApplication,
                                        TrainingCourse, TrainingCourseTarget, TrainingMaterial)

        two = (self.sayo, self.toyooka)
        course = TrainingCourse(status="published", audience="all", targets=[
            TrainingCourseTarget(municipality_id=m.id) for m in two])
        course_facts = dict(munis={m.id for m in two}, regions={m.region_id for m in two})
        each = [(m, dict(munis={m.id}, regions={m.region_id}))
                for m in (self.sayo, self.toyooka, self.kobe)]
        return {
            "training_course": [(course, course_facts)],
            "training_material": [(TrainingMaterial(course=course), course_facts)],
            "training_application": [(TrainingApplication(municipality_id=m.id), f)
                                     for m, f in each],
            "training_report": [("training_report", {})],
            "retention": [("retention", {})],
            "leader_cohort": [(LeaderCohort(name="第1期"), {})],
            "leader_trainee": [(LeaderTrainee(municipality_id=m.id), f) for m, f in each],
        }

    def meeting_samples(self):
        """A meeting invited to 佐用町 (its CIO) and expert2; one in preparation (nobody outside
        the prefecture yet); an item owned by 豊岡市; an internal item; the invitations."""
        expert = self.users["expert2"]
        invs = [MeetingInvitation(municipality_id=self.sayo.id, name="CIO", level="cio"),
                MeetingInvitation(user=expert, user_id=expert.id, name="人材", level="picked")]
        sent = Meeting(status="invited", invitations=invs)
        planned = Meeting(status="planned", invitations=[
            MeetingInvitation(municipality_id=self.sayo.id, name="CIO", level="cio")])
        sayo = dict(munis={self.sayo.id}, regions={self.sayo.region_id}, self={expert.id})
        return {
            "meeting_series": [(MeetingSeries(kind="cio_forum"), {})],
            "meeting": [(sent, sayo), (planned, dict(munis=set(), regions=set(), self=set()))],
            "meeting_invitation": [
                (invs[0], dict(munis={self.sayo.id}, regions={self.sayo.region_id}, self=set())),
                (invs[1], dict(munis=set(), regions=set(), self={expert.id}))],
            "meeting_action_item": [(MeetingActionItem(
                meeting=Meeting(status="invited", invitations=[MeetingInvitation(
                    municipality_id=self.sayo.id, name="CIO", level="cio")]),
                owner_municipality_id=self.toyooka.id, internal=False),
                dict(munis={self.sayo.id, self.toyooka.id},
                     regions={self.sayo.region_id, self.toyooka.region_id}))],
            "meeting_internal_item": [(MeetingActionItem(
                meeting=Meeting(status="held", invitations=[MeetingInvitation(
                    municipality_id=self.sayo.id, name="CIO", level="cio")]), internal=True),
                sayo)],
            # A joint project open to 佐用町 and 豊岡市 (a draft reaches nobody), an answer, and
            # a notice (with its document) sent to 佐用町.
            "project": [(Project(status="open", eligibles=[
                ProjectEligible(municipality_id=m.id) for m in (self.sayo, self.toyooka)]),
                dict(munis={self.sayo.id, self.toyooka.id},
                     regions={self.sayo.region_id, self.toyooka.region_id})),
                (Project(status="draft", eligibles=[ProjectEligible(municipality_id=self.sayo.id)]),
                 dict(munis=set(), regions=set()))],
            "project_answer": [(ProjectAnswer(municipality_id=m.id),
                                dict(munis={m.id}, regions={m.region_id}))
                               for m in (self.sayo, self.toyooka, self.kobe)],
            "project_document": [
                (ProjectNotice(municipality_ids=[self.sayo.id]),
                 dict(munis={self.sayo.id}, regions={self.sayo.region_id})),
                (ProjectDocument(notice=ProjectNotice(municipality_ids=[self.toyooka.id])),
                 dict(munis={self.toyooka.id}, regions={self.toyooka.region_id}))],
            "service_kind": [("service_kind", {})],
        }

    def announcement_samples(self):
        """One sent to 佐用町 (its recipient) and one still scheduled (reaching nobody yet)."""
        sent = Announcement(title="お知らせ", recipients=[
            AnnouncementRecipient(municipality_id=self.sayo.id)])
        return [(sent, dict(munis={self.sayo.id}, regions={self.sayo.region_id})),
                (Announcement(title="予約"), dict(munis=set(), regions=set()))]

    def covered_regions(self, user):
        ids = {r.id for r in user.regions}
        if user.is_central_team:
            ids.add(region("神戸").id)  # Kobe: the region without a regional liaison
        return ids


def expected(world, user, scope, obj, facts):
    if scope is None:
        return False
    if scope == ALL or isinstance(obj, str):
        return True
    if scope == OWN:
        return user.municipality_id in facts["munis"]
    if scope == INFO_DEPT:
        return user.is_information_dept and user.municipality_id in facts["munis"]
    if scope == REGIONS:
        return bool(facts["regions"] & world.covered_regions(user))
    if scope == SELF:
        return user.id in facts["self"]
    if scope == ASSIGNED:
        return user.id in facts["assigned"]
    raise AssertionError(f"unknown scope {scope}")


@pytest.fixture
def world(app):
    return World()


def test_table_uses_known_roles_and_scopes():
    for kind, actions in PERMISSIONS.items():
        for action, roles in actions.items():
            assert set(roles) <= set(ROLES), (kind, action)
            assert set(roles.values()) <= KNOWN_SCOPES, (kind, action)


def test_every_kind_action_role_against_real_objects(world):
    samples = world.samples()
    missing = set(PERMISSIONS) - set(samples)
    assert not missing, f"add sample objects for {missing} to tests/test_permissions.py"
    checked = 0
    for kind, actions in PERMISSIONS.items():
        for action, roles in actions.items():
            for name, user in world.users.items():
                scope = roles.get(user.role)
                # The kind-level check: does the role have this action at all?
                assert permissions.can(user, action, kind) is (scope is not None), \
                    (kind, action, name)
                for obj, facts in samples[kind]:
                    want = expected(world, user, scope, obj, facts)
                    got = permissions.can(user, action, obj)
                    assert got is want, f"{name} {action} {kind} {obj!r}: {got}, expected {want}"
                    checked += 1
    assert checked > 500


def test_inactive_and_anonymous_users_get_nothing(world):
    anonymous = AnonymousUserMixin()
    for kind, objects in world.samples().items():
        for action in PERMISSIONS[kind]:
            for obj, _facts in objects + [(kind, {})]:
                assert permissions.can(anonymous, action, obj) is False
                assert permissions.can(None, action, obj) is False
                for role, user in world.inactive.items():
                    assert permissions.can(user, action, obj) is False, (role, action, kind)


def test_key_cases_spelled_out(world):
    u, can = world.users, permissions.can
    # Municipal staff: their own municipality, never another one.
    assert can(u["staff_sayo"], "view", world.sayo)
    assert not can(u["staff_sayo"], "view", world.toyooka)
    assert can(u["staff_sayo"], "view", world.req_joint)  # co-applicant of the joint lecture
    assert not can(u["staff_sayo"], "view", world.req_kobe)
    assert not can(u["staff_toyooka"], "view", world.req_sayo)
    # Liaisons edit profiles in their regions; the central team has Kobe.
    assert can(u["liaison_west"], "edit_profile", world.sayo)
    assert not can(u["liaison_west"], "edit_profile", world.toyooka)
    assert not can(u["liaison_west"], "edit_profile", world.kobe)
    assert region("神戸").has_liaison is False
    assert can(u["liaison_central"], "edit_profile", world.kobe)
    assert not can(u["liaison_central"], "edit_profile", world.sayo)
    # Experts: only requests they are on (a declined assignment gives nothing) and their visits.
    assert can(u["expert1"], "view", world.req_sayo)
    assert not can(u["expert1"], "view", world.req_joint)
    assert can(u["expert2"], "view", world.req_joint)
    assert can(u["expert1"], "view", world.attachments[world.req_sayo.id])
    assert not can(u["expert2"], "view", world.attachments[world.req_sayo.id])
    assert can(u["expert1"], "record", world.visit_sayo)
    assert not can(u["expert2"], "view", world.visit_sayo)
    assert can(u["expert1"], "view", u["expert1"].expert_profile)
    assert not can(u["expert1"], "view", u["expert2"].expert_profile)


def _ids(stmt):
    return set(db.session.scalars(stmt))


def test_scope_municipalities_per_role(world):
    every = _ids(sa.select(Municipality.id))
    assert len(every) == 41
    base = sa.select(Municipality.id)
    scoped = {name: _ids(permissions.scope_municipalities(base, user))
              for name, user in world.users.items()}
    assert scoped["staff_sayo"] == {world.sayo.id}
    assert scoped["staff_kobe"] == {world.kobe.id}
    for name in ("liaison_west", "liaison_central", "expert1", "manager", "admin"):
        assert scoped[name] == every, name
    west = {m.id for m in region("西播磨").municipalities}
    edit = {name: _ids(permissions.scope_municipalities(base, user, "edit_profile"))
            for name, user in world.users.items()}
    assert edit["liaison_west"] == west and len(west) == 7
    assert edit["liaison_central"] == {world.kobe.id}
    assert edit["admin"] == every
    for name in ("staff_sayo", "expert1", "manager"):
        assert edit[name] == set(), name
    for user in list(world.inactive.values()) + [AnonymousUserMixin()]:
        assert _ids(permissions.scope_municipalities(base, user)) == set()


def test_scope_requests_per_role(world):
    base = sa.select(SupportRequest.id)
    every = {world.req_sayo.id, world.req_joint.id, world.req_kobe.id}
    want = {
        "staff_sayo": {world.req_sayo.id, world.req_joint.id},
        "info_sayo": {world.req_sayo.id, world.req_joint.id},
        "staff_toyooka": {world.req_joint.id},
        "staff_kobe": {world.req_kobe.id},
        "liaison_west": every,
        "liaison_central": every,
        "expert1": {world.req_sayo.id},
        "expert2": {world.req_joint.id},
        "manager": every,
        "admin": every,
    }
    for name, user in world.users.items():
        assert _ids(permissions.scope_requests(base, user)) == want[name], name
    # An action a role lacks scopes to nothing, e.g. a manager may not assign experts.
    assert _ids(permissions.scope_requests(base, world.users["manager"], "assign")) == set()
    for user in list(world.inactive.values()) + [AnonymousUserMixin()]:
        assert _ids(permissions.scope_requests(base, user)) == set()


def test_list_scoping_agrees_with_object_checks(world):
    """Whatever a list, search or export shows is exactly what the object check allows."""
    munis = db.session.scalars(sa.select(Municipality)).all()
    requests_ = db.session.scalars(sa.select(SupportRequest)).all()
    users = list(world.users.values()) + list(world.inactive.values())
    for user in users:
        for action in PERMISSIONS["municipality"]:
            listed = _ids(permissions.scope_municipalities(sa.select(Municipality.id), user, action))
            assert listed == {m.id for m in munis if permissions.can(user, action, m)}, \
                (user.role, action)
        for action in PERMISSIONS["request"]:
            listed = _ids(permissions.scope_requests(sa.select(SupportRequest.id), user, action))
            assert listed == {r.id for r in requests_ if permissions.can(user, action, r)}, \
                (user.role, action)


def test_contact_list_scoping_agrees_with_object_checks(world):
    """The directory's lists (pages, API, proposals to decide) show what the object check allows."""
    from datetime import date

    rows = [Contact(municipality_id=m.id, role="cio", name="x", valid_from=date(2024, 4, 1))
            for m in (world.sayo, world.toyooka, world.kobe)]
    db.session.add_all(rows)
    db.session.flush()
    for user in list(world.users.values()) + list(world.inactive.values()):
        for action in PERMISSIONS["contact"]:
            listed = _ids(permissions.scope_by_municipality(
                sa.select(Contact.id), user, "contact", Contact.municipality_id, action))
            assert listed == {c.id for c in rows if permissions.can(user, action, c)}, \
                (user.role, user.is_information_dept, action)


def test_scope_requests_by_region(world, monkeypatch):
    """A table row with the regions scope narrows request lists to the liaison's regions."""
    monkeypatch.setitem(PERMISSIONS["request"], "view", dict(PERMISSIONS["request"]["view"],
                                                             liaison=REGIONS))
    base = sa.select(SupportRequest.id)
    assert _ids(permissions.scope_requests(base, world.users["liaison_west"])) == {world.req_sayo.id}
    assert _ids(permissions.scope_requests(base, world.users["liaison_central"])) == \
        {world.req_kobe.id}
    assert permissions.can(world.users["liaison_central"], "view", world.req_kobe)
    assert not permissions.can(world.users["liaison_central"], "view", world.req_sayo)


# --- the same rules seen through the views ---------------------------------------------------

def test_staff_other_municipality_is_404_not_403(client, login_as):
    login_as(make_staff("佐用町"))
    assert client.get("/municipalities/28501").status_code == 200
    for code in ("28209", "28100"):  # 豊岡市, 神戸市
        assert client.get(f"/municipalities/{code}").status_code == 404
        assert client.get(f"/municipalities/{code}/profile").status_code == 404
    page = client.get("/municipalities/").get_data(as_text=True)
    assert "佐用町" in page and "豊岡市" not in page


def test_liaison_profile_outside_regions_is_404(client, login_as):
    login_as(make_liaison("西播磨"))
    assert client.get("/municipalities/28501/profile").status_code == 200
    assert client.get("/municipalities/28209").status_code == 200  # viewing is allowed
    assert client.get("/municipalities/28209/profile").status_code == 404
    resp = client.post("/municipalities/28209/profile", data={"profile_note": "越権"})
    assert resp.status_code == 404
    db.session.expire_all()
    assert municipality("豊岡市").profile_note is None


def test_central_team_edits_kobe(client, login_as):
    login_as(make_user("liaison", regions=(), is_central_team=True))
    assert client.get("/municipalities/28100/profile").status_code == 200


@pytest.mark.parametrize("role", [r for r in ROLES if r != "admin"])
def test_admin_pages_forbidden_for_non_admins(app, client, login_as, role):
    login_as(make_user(role, regions=("西播磨",)))
    rules = [r for r in app.url_map.iter_rules()
             if r.endpoint.startswith("admin.") and "GET" in r.methods]
    assert len(rules) >= 8
    for rule in rules:
        _domain, path = rule.build({a: 1 for a in rule.arguments}, append_unknown=False)
        assert client.get(path).status_code == 403, path
    assert client.post("/admin/users/new", data={"email": "x@example.jp"}).status_code == 403


def test_permission_page_shows_the_table_the_code_uses(app, client, login_as):
    login_as(make_user("admin"))
    page = client.get("/admin/permissions").get_data(as_text=True)
    cell = r"<td>([^<]*)</td>"
    rows = set(re.findall(r"<tr>" + cell * 4 + r"</tr>", page))
    with app.test_request_context():
        labels = {role: str(label) for role, label in ROLE_LABELS.items()}
    want = {(kind, action, html.escape(labels[role]), scope)
            for kind, action, role, scope in permissions.permission_table()}
    assert rows == want
    assert {kind for kind, *_ in rows} == set(PERMISSIONS)
