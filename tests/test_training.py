"""Training (研修): the application table, applying with the 情報部門's approval, the waiting
list and its promotion, who sees which course and application, completion with its exports
and certificate, material search, and the 市町DX推進リーダー programme up to the contact
directory and the municipality page."""
import io
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from supportdesk import permissions
from supportdesk.extensions import db
from supportdesk.models import AuditLog, Contact, InAppNotification, OutboxMessage
from supportdesk.roles import Role
from supportdesk.services import ValidationFailed
from supportdesk.services.contacts.directory import contacts_with_role
from supportdesk.services.training import applications as apps
from supportdesk.services.training.courses import courses_for, create_course, publish_course
from supportdesk.services.training.exports import (certificate_pdf, completions_csv,
                                                   completions_xlsx)
from supportdesk.services.training.figures import (completions_by_course,
                                                   completions_by_municipality, fiscal_totals)
from supportdesk.services.training.leaders import (add_trainee, complete_trainee, create_cohort,
                                                   log_progress, term_end)
from supportdesk.services.training.materials import add_material, search_materials
from supportdesk.workflows.training import (APPLICATION_TRANSITIONS, ApplicationStatus,
                                            allowed_application_actions)
from tests.factories import make_contact, make_liaison, make_staff, make_user, municipality

NOW = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)  # Monday 10:00 in Tokyo, 令和8年度


def make_course(author, *, now=NOW, capacity=2, requires_approval=True,
                municipality_names=("佐用町", "神河町"), publish=True, **extra):
    values = dict(title="データ利活用 基礎研修", description="EBPMの基礎とExcelでの集計。",
                  level="basic", format="in_person", venue="県庁3号館", starts_on=date(2027, 1, 20),
                  ends_on=date(2027, 1, 20), capacity=capacity, apply_by=date(2026, 12, 25),
                  requires_approval=requires_approval, audience="all",
                  municipality_ids=[municipality(n).id for n in municipality_names])
    values.update(extra)
    course = create_course(author, now=now, **values)
    if publish:
        publish_course(course, author, now=now)
    db.session.commit()
    return course


@pytest.fixture
def people(app):
    return dict(liaison=make_liaison("西播磨", "中播磨"),
                sayo_info=make_staff("佐用町", info_dept=True, name="佐用 情報"),
                sayo_a=make_staff("佐用町", name="佐用 一"), sayo_b=make_staff("佐用町", name="佐用 二"),
                sayo_c=make_staff("佐用町", name="佐用 三"),
                kamikawa_info=make_staff("神河町", info_dept=True),
                toyooka=make_staff("豊岡市", info_dept=True), manager=make_user("manager"))


def _events(event_type):
    return db.session.scalars(sa.select(InAppNotification.user_id).where(
        InAppNotification.event_type == event_type).order_by(InAppNotification.id)).all()


def test_the_application_table():
    assert allowed_application_actions("pending", Role.STAFF) == ["approve", "waitlist", "reject",
                                                                  "cancel"]
    assert allowed_application_actions("confirmed", Role.LIAISON) == ["cancel", "complete"]
    assert allowed_application_actions("waitlisted", Role.STAFF) == ["cancel"]
    # Only the desk promotes from the waiting list; nothing leads back to PENDING.
    assert {t.by for (s, a), t in APPLICATION_TRANSITIONS.items() if a == "promote"} == {
        frozenset({"system"})}
    assert all(t.to != ApplicationStatus.PENDING for t in APPLICATION_TRANSITIONS.values())
    assert term_end("one_week", date(2026, 7, 6)) == date(2026, 7, 12)
    assert term_end("six_months", date(2026, 10, 1)) == date(2027, 3, 31)
    assert term_end("six_months", date(2026, 8, 31)) == date(2027, 2, 27)


def test_apply_approve_waitlist_and_promotion_with_notices(people):
    course = make_course(people["liaison"], capacity=2)
    p = people
    a1 = apps.apply_to_course(course, p["sayo_a"], note="業務で集計が多いため", now=NOW)
    db.session.commit()
    assert a1.status == "pending"
    assert _events("training.applied") == [p["sayo_info"].id]  # the 情報部門 hears it
    # Only the own municipality's 情報部門 approves; another municipality's gets a refusal.
    with pytest.raises(permissions.PermissionDenied):
        apps.approve_application(a1, p["kamikawa_info"], now=NOW)
    with pytest.raises(permissions.PermissionDenied):
        apps.approve_application(a1, p["sayo_b"], now=NOW)
    db.session.rollback()
    apps.approve_application(a1, p["sayo_info"], now=NOW)
    a2 = apps.apply_to_course(course, p["sayo_b"], now=NOW)
    a3 = apps.apply_to_course(course, p["sayo_c"], now=NOW)
    with pytest.raises(ValidationFailed):
        apps.apply_to_course(course, p["sayo_c"], now=NOW)  # twice
    apps.approve_application(a2, p["sayo_info"], now=NOW)
    apps.approve_application(a3, p["sayo_info"], now=NOW)  # full: waiting list
    db.session.commit()
    assert (a1.status, a2.status, a3.status) == ("confirmed", "confirmed", "waitlisted")
    approved = db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.event_type == "training.approved", OutboxMessage.channel == "email")
        .order_by(OutboxMessage.id)).all()
    assert [m.to_address for m in approved] == [p["sayo_a"].email, p["sayo_b"].email,
                                                p["sayo_c"].email]
    assert "キャンセル待ち" in approved[2].subject and "受講決定" in approved[0].subject
    # A seat frees: the first of the waiting list gets it and hears it.
    apps.cancel_application(a2, p["sayo_b"], now=NOW)
    db.session.commit()
    assert (a2.status, a3.status) == ("cancelled", "confirmed")
    assert _events("training.seat_offered") == [p["sayo_c"].id]
    assert apps.seats_free(course) == 0 and apps.waiting_list(course) == []
    actions = set(db.session.scalars(sa.select(AuditLog.action)))
    assert {"training.course.create", "training.course.publish", "training.application.apply",
            "training.application.approve", "training.application.cancel",
            "training.application.promote"} <= actions


def test_a_course_without_approval_seats_at_once_and_the_deadline_closes_it(people):
    course = make_course(people["liaison"], capacity=1, requires_approval=False)
    first = apps.apply_to_course(course, people["sayo_a"], now=NOW)
    second = apps.apply_to_course(course, people["kamikawa_info"], now=NOW)
    db.session.commit()
    assert (first.status, second.status) == ("confirmed", "waitlisted")
    assert _events("training.applied") == [people["liaison"].id] * 2  # the organiser hears
    late = datetime(2026, 12, 25, 15, 0, tzinfo=UTC)  # 12/26 00:00 in Tokyo
    with pytest.raises(ValidationFailed):
        apps.apply_to_course(course, people["sayo_b"], now=late)


def test_without_a_information_department_account_nobody_could_approve(people):
    """香美町 has no 情報部門 account: its staff's application is not left waiting for good."""
    course = make_course(people["liaison"], capacity=3, municipality_names=("香美町",))
    a = apps.apply_to_course(course, make_staff("香美町"), now=NOW)
    db.session.commit()
    assert a.status == "confirmed"
    assert _events("training.applied") == [people["liaison"].id]


def test_staff_see_only_courses_open_to_them_and_their_own_applications(people):
    p = people
    course = make_course(p["liaison"])
    info_only = make_course(p["liaison"], title="情報部門向け セキュリティ研修", audience="info")
    cio_only = make_course(p["liaison"], title="CIO研修", contact_roles=["cio"])
    draft = make_course(p["liaison"], title="準備中の研修", publish=False)
    make_contact("佐用町", "cio", user=p["sayo_info"])
    assert [c.id for c in courses_for(p["sayo_a"])] == [course.id]
    assert {c.id for c in courses_for(p["sayo_info"])} == {course.id, info_only.id, cio_only.id}
    assert courses_for(p["toyooka"]) == []
    assert not permissions.can(p["toyooka"], "view", course)
    assert not permissions.can(p["sayo_a"], "view", info_only)
    assert not permissions.can(p["sayo_info"], "view", draft)
    assert not permissions.can(p["kamikawa_info"], "view", cio_only)
    assert {c.id for c in courses_for(p["liaison"])} == {course.id, info_only.id, cio_only.id,
                                                         draft.id}
    sayo_app = apps.apply_to_course(course, p["sayo_a"], now=NOW)
    kami_app = apps.apply_to_course(course, p["kamikawa_info"], now=NOW)
    db.session.commit()
    assert apps.applications_of(course, p["sayo_info"]) == [sayo_app]
    assert apps.applications_of(course, p["liaison"]) == [sayo_app, kami_app]
    assert not permissions.can(p["sayo_info"], "view", kami_app)
    assert apps.pending_approvals(p["sayo_info"]) == [sayo_app]
    assert apps.pending_approvals(p["sayo_a"]) == []


def test_completion_exports_certificate_and_figures(people):
    p = people
    course = make_course(p["liaison"], capacity=5, requires_approval=False)
    a = apps.apply_to_course(course, p["sayo_a"], now=NOW)
    b = apps.apply_to_course(course, p["kamikawa_info"], now=NOW)
    db.session.commit()
    done_at = datetime(2027, 1, 20, 8, 0, tzinfo=UTC)
    assert apps.complete_applications(course, p["liaison"], [a.id, b.id], now=done_at) == 2
    db.session.commit()
    body = completions_csv(course, p["liaison"])
    assert body.startswith("\ufeff".encode()) and "佐用 一" in body.decode("utf-8-sig")
    ws = load_workbook(io.BytesIO(completions_xlsx(course, p["liaison"]))).active
    assert [r[1] for r in ws.iter_rows(min_row=3, values_only=True)] == ["神河町", "佐用町"]
    with pytest.raises(permissions.PermissionDenied):
        completions_csv(course, p["sayo_info"])
    assert certificate_pdf(a, p["sayo_a"]).startswith(b"%PDF")
    with pytest.raises(permissions.PermissionDenied):
        certificate_pdf(b, p["sayo_a"])  # another municipality's
    by_muni = {m.name: (n, people_) for m, n, people_ in completions_by_municipality(2026)}
    assert by_muni["佐用町"] == (1, 1) and by_muni["豊岡市"] == (0, 0) and len(by_muni) == 41
    assert [(c.id, total, seats, waiting, done) for c, total, seats, waiting, done
            in completions_by_course(2026)] == [(course.id, 2, 2, 0, 2)]
    assert fiscal_totals()[0] == dict(fy=2026, courses=1, applications=2, completions=2,
                                      municipalities=2, leaders=0)


def test_material_is_searchable_with_the_courses_permissions(people):
    p = people
    course = make_course(p["liaison"])
    other = make_course(p["liaison"], title="但馬向け研修", municipality_names=("豊岡市",))
    add_material(course, p["liaison"], kind="video", title="RPA入門 動画",
                 url="https://video.example.lg.jp/rpa")
    add_material(course, p["liaison"], kind="text", title="振り返り",
                 body="ＲＰＡのシナリオは小さく作る。")
    add_material(other, p["liaison"], kind="slides", title="RPA事例スライド",
                 url="https://files.example.lg.jp/rpa.pdf")
    db.session.commit()
    assert [m.title for m in search_materials(p["sayo_a"], "rpa")] == ["振り返り", "RPA入門 動画"]
    assert [m.title for m in search_materials(p["toyooka"], "ｒｐａ 事例")] == ["RPA事例スライド"]
    assert len(search_materials(p["liaison"], "RPA")) == 3
    with pytest.raises(ValidationFailed):
        add_material(course, p["liaison"], kind="video", title="動画", url="javascript:alert(1)")


def test_a_leader_after_the_term_is_a_contact_and_on_the_municipality_page(people, client,
                                                                          login_as):
    p = people
    cohort = create_cohort(p["liaison"], name="令和8年度 第1期", fiscal_year=2026)
    trainee = add_trainee(cohort, p["liaison"], municipality_id=municipality("佐用町").id,
                          name="佐用 一", user_id=p["sayo_a"].id, department="企画課",
                          term="one_week", starts_on=date(2026, 11, 30),
                          host_department="県 デジタル改革課", mentor_id=p["liaison"].id,
                          learning_plan="庁内の申請手続のオンライン化計画を作る。", now=NOW)
    log_progress(trainee, p["liaison"], note="業務フローの棚卸しを終えた。", now=NOW)
    db.session.commit()
    assert trainee.ends_on == date(2026, 12, 6)
    with pytest.raises(ValidationFailed):  # on the last day (Tokyo) the term is not over yet
        complete_trainee(trainee, p["liaison"], now=datetime(2026, 12, 5, 16, 0, tzinfo=UTC))
    assert contacts_with_role(["dx_leader"], on=date(2026, 12, 7)) == []
    complete_trainee(trainee, p["liaison"], now=NOW)
    db.session.commit()
    [leader] = contacts_with_role(["dx_leader"], on=date(2026, 12, 7))
    assert (leader.name, leader.user_id, leader.municipality.name) == ("佐用 一", p["sayo_a"].id,
                                                                     "佐用町")
    assert db.session.get(Contact, trainee.contact_id) is leader
    login_as(p["sayo_info"])
    page = client.get("/municipalities/28501").get_data(as_text=True)
    assert "市町DX推進リーダー" in page and "佐用 一" in page
    assert client.get(f"/training/trainees/{trainee.id}").status_code == 200
    login_as(p["toyooka"])
    assert client.get(f"/training/trainees/{trainee.id}").status_code == 404
