"""Joint projects (この指とまれ): the table and the cost rule, proposing by service kind and opening,
answers with their history (the municipality until the deadline, then only the liaison), who
sees what (pages, documents and the API: another municipality gets 404), notices with the upload
checks, the report per region and fiscal year, the dossier, and the demo leak survey."""
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from supportdesk import permissions
from supportdesk.extensions import db
from supportdesk.models import (AuditLog, InAppNotification, OutboxMessage, ProjectAnswerRevision,
                                ProjectDocument)
from supportdesk.roles import Role
from supportdesk.services import ValidationFailed
from supportdesk.services.projects import costs, figures
from supportdesk.services.projects.answers import answer_project, record_answer
from supportdesk.services.projects.building import (create_project, open_project,
                                                    update_project)
from supportdesk.services.projects.notices import post_notice
from supportdesk.services.projects.service_kinds import set_service_kinds
from supportdesk.timeutil import JST, utcnow
from supportdesk.workflows.projects import ProjectAction, allowed_project_actions
from tests.factories import make_liaison, make_staff, make_user, municipality, office_file
from tests.test_api import bearer

NOW = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)      # Monday 10:00 in Tokyo
DEADLINE = date(2026, 12, 18)
AFTER = datetime(2026, 12, 21, 0, 0, tzinfo=UTC)   # the Monday after the deadline


def soon():
    """A join deadline still ahead whatever day the suite runs (pages and API use the clock)."""
    return utcnow().astimezone(JST).date() + timedelta(days=10)


def settings(**over):
    base = dict(title="衛星データを活用した漏水調査", purpose="衛星画像のAI解析で漏水の疑いがある管路を絞り込む。",
                fiscal_year=2026, eligibility="service_kinds", region_ids=[],
                service_kinds=["water"], join_deadline=DEADLINE, cost_kind="fixed",
                cost_fixed_yen=1_200_000, cost_base_yen=None, cost_per_capita_yen=None,
                funding_name="デジタル田園都市国家構想交付金", subsidy_rate_num=1, subsidy_rate_den=2,
                contract_note="県が一括で委託契約", coordinator="市町振興課")
    base.update(over)
    return base


def water_project(liaison, names=("佐用町", "神河町"), **over):
    set_service_kinds(liaison, {municipality(n).id: {"water"} for n in names}, now=NOW)
    project = create_project(liaison, now=NOW, milestones=[("一括契約", date(2027, 1, 15))],
                             **settings(**over))
    open_project(project, liaison, now=NOW)
    db.session.commit()
    return project


def test_the_table_and_the_cost_rule():
    assert allowed_project_actions("draft", Role.LIAISON) == [ProjectAction.OPEN]
    assert allowed_project_actions("open", Role.MANAGER) == [ProjectAction.CLOSE]
    assert allowed_project_actions("open", Role.STAFF) == []
    fixed = SimpleNamespace(cost_kind="fixed", cost_fixed_yen=1_200_000, subsidy_rate_num=1,
                            subsidy_rate_den=2)
    assert costs.share_for(fixed, None) == costs.Share(1_200_000, 600_000, 600_000)
    per_capita = SimpleNamespace(cost_kind="per_capita", cost_base_yen=100_000,
                                 cost_per_capita_yen=3, subsidy_rate_num=2, subsidy_rate_den=3)
    assert costs.share_for(per_capita, SimpleNamespace(population=10_001)).gross == 130_003
    assert costs.share_for(per_capita, SimpleNamespace(population=10_001)).subsidy == 86_668
    assert costs.share_for(per_capita, SimpleNamespace(population=None)).gross is None
    agreed = SimpleNamespace(cost_kind="agreed", subsidy_rate_num=None, subsidy_rate_den=None)
    answers = [SimpleNamespace(agreed_yen=500_000), SimpleNamespace(agreed_yen=None)]
    s = costs.cost_summary(agreed, answers)
    assert (s.participants, s.known, s.net, s.per_participant) == (2, 1, 500_000, 500_000)


def test_proposal_by_service_kind_answers_and_their_history(app):
    liaison = make_liaison("西播磨")
    sayo = make_staff("佐用町", info_dept=True)
    kamikawa = make_staff("神河町", info_dept=True)
    toyooka = make_staff("豊岡市", info_dept=True)
    with pytest.raises(ValidationFailed) as err:
        create_project(liaison, now=NOW, **settings(service_kinds=[]))
    assert err.value.field == "service_kinds"
    project = water_project(liaison)
    assert {e.municipality.name for e in project.eligibles} == {"佐用町", "神河町"}
    told = db.session.scalars(sa.select(InAppNotification.user_id).where(
        InAppNotification.event_type == "project.opened")).all()
    assert sorted(told) == sorted([sayo.id, kamikawa.id])
    assert permissions.can(sayo, "view", project) and not permissions.can(toyooka, "view", project)

    answer_project(project, sayo, answer="join", contact="佐用町 水道課 山田", now=NOW)
    _row, changed = answer_project(project, sayo, answer="join", contact="佐用町 水道課 山田",
                                   now=NOW)
    assert not changed  # the same answer again adds no revision
    answer_project(project, sayo, answer="decline", contact="佐用町 水道課 山田",
                   note="今年度は見送り", now=NOW)
    with pytest.raises(ValidationFailed):  # the municipality itself: not after the deadline
        answer_project(project, sayo, answer="join", contact="佐用町 水道課 山田", now=AFTER)
    with pytest.raises(ValidationFailed) as err:  # the liaison, after it: only with a note
        record_answer(project, liaison, municipality("佐用町"), answer="join",
                      contact="佐用町 水道課 山田", now=AFTER)
    assert err.value.field == "note"
    with pytest.raises(permissions.PermissionDenied):
        answer_project(project, toyooka, answer="join", contact="豊岡市 水道課", now=NOW)
    row, _ = record_answer(project, liaison, municipality("佐用町"), answer="join",
                           contact="佐用町 水道課 山田", note="12/21 電話で参加の連絡", now=AFTER)
    db.session.commit()
    history = db.session.scalars(sa.select(ProjectAnswerRevision).where(
        ProjectAnswerRevision.answer_id == row.id).order_by(ProjectAnswerRevision.revision)).all()
    assert [(h.answer, h.via_liaison, h.after_deadline) for h in history] == [
        ("join", False, False), ("decline", False, False), ("join", True, True)]
    assert db.session.scalar(sa.select(sa.func.count(AuditLog.id)).where(
        AuditLog.action == "project.answer")) == 3
    # The author hears each answer of the municipality (not the one they recorded themselves).
    assert db.session.scalar(sa.select(sa.func.count(InAppNotification.id)).where(
        InAppNotification.event_type == "project.answered",
        InAppNotification.user_id == liaison.id)) == 2

    # A municipality tagged later joins the open project (and hears the call) when the
    # service kinds change.
    set_service_kinds(liaison, {toyooka.municipality_id: {"water"}}, now=NOW)
    db.session.commit()
    assert permissions.can(toyooka, "view", project)
    # Narrowing the conditions keeps those who answered.
    tajima = municipality("豊岡市").region_id
    update_project(project, liaison, now=NOW, **settings(eligibility="regions",
                                                          region_ids=[tajima]))
    db.session.commit()
    names = {e.municipality.name for e in project.eligibles}
    assert {"佐用町", "豊岡市", "香美町"} <= names and "神河町" not in names  # 但馬, and who answered
    assert not permissions.can(kamikawa, "view", project)


def test_pages_show_each_municipality_only_its_own_answer(app, client, login_as):
    liaison = make_liaison("西播磨")
    sayo = make_staff("佐用町", info_dept=True)
    kamikawa = make_staff("神河町", info_dept=True)
    toyooka = make_staff("豊岡市", info_dept=True)
    manager = make_user("manager")
    project = water_project(liaison, join_deadline=soon())
    draft = create_project(liaison, now=NOW, **settings(title="下書きの事業"))
    late = water_project(liaison, title="締切済みの事業",
                         join_deadline=utcnow().astimezone(JST).date() - timedelta(days=1))
    answer_project(project, kamikawa, answer="join", contact="神河町 上下水道課 秘密の連絡先",
                   now=NOW)
    db.session.commit()

    login_as(sayo)
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "衛星データを活用した漏水調査" in page and "秘密の連絡先" not in page
    assert 'data-testid="save-answer"' in page and "1団体あたり" in page
    resp = client.post(f"/projects/{project.id}/answer", data={"answer": "join", "contact": ""})
    assert resp.status_code == 422 and "担当者(部署・氏名・連絡先)を入力してください。" in \
        resp.get_data(as_text=True)
    resp = client.post(f"/projects/{project.id}/answer",
                       data={"answer": "considering", "contact": "佐用町 水道課 山田"})
    assert resp.status_code == 302
    assert client.get(f"/projects/{draft.id}").status_code == 404
    page = client.get(f"/projects/{late.id}").get_data(as_text=True)
    assert 'data-testid="answer-closed"' in page and 'data-testid="save-answer"' not in page
    assert client.post(f"/projects/{late.id}/answer", data={
        "answer": "join", "contact": "佐用町"}).status_code == 422  # past the deadline
    assert client.get("/projects/report").status_code == 403
    assert client.get("/municipalities/28501").get_data(as_text=True).count(
        "衛星データを活用した漏水調査") == 1

    login_as(toyooka)
    assert client.get(f"/projects/{project.id}").status_code == 404
    assert client.post(f"/projects/{project.id}/answer",
                       data={"answer": "join", "contact": "x"}).status_code == 404
    assert "衛星データ" not in client.get("/projects").get_data(as_text=True)

    login_as(liaison)
    ms = project.milestones[0]
    resp = client.post(f"/projects/{project.id}/milestones/{ms.id}",
                       data={"mst-status": "done", "mst-note": "12/1 契約締結"})
    assert resp.status_code == 302 and db.session.get(type(ms), ms.id).status == "done"
    assert client.post(f"/projects/{draft.id}/milestones/{ms.id}",
                       data={"mst-status": "delayed"}).status_code == 404  # not its milestone

    login_as(manager)
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "秘密の連絡先" in page and 'data-testid="project-map"' in page
    report = client.get("/projects/report?fy=2026").get_data(as_text=True)
    assert "衛星データを活用した漏水調査" in report


def test_notices_and_documents_reach_the_participants_only(app, client, login_as):
    liaison = make_liaison("西播磨")
    sayo = make_staff("佐用町", info_dept=True)
    kamikawa = make_staff("神河町", info_dept=True)
    project = water_project(liaison)
    answer_project(project, sayo, answer="considering", contact="佐用町 水道課", now=NOW)
    answer_project(project, kamikawa, answer="decline", contact="神河町 水道課", now=NOW)
    db.session.commit()
    with pytest.raises(ValidationFailed) as err:
        post_notice(project, liaison, title="実施要領", body="添付します。",
                    uploads=[("tool.exe", b"MZ\x90\x00")], now=NOW)
    assert err.value.field == "attachments"
    db.session.rollback()
    docx = office_file("docx")
    notice = post_notice(project, liaison, title="実施要領", body="添付します。",
                         uploads=[("実施要領.docx", docx)], now=NOW)
    db.session.commit()
    assert notice.municipality_ids == [sayo.municipality_id]
    mailed = db.session.scalars(sa.select(OutboxMessage.user_id).where(
        OutboxMessage.event_type == "project.notice", OutboxMessage.channel == "email")).all()
    assert mailed == [sayo.id]
    doc = db.session.scalar(sa.select(ProjectDocument))
    url = f"/projects/{project.id}/documents/{doc.id}/download"
    login_as(sayo)
    with client.get(url) as resp:
        assert resp.status_code == 200 and resp.data == docx
    login_as(kamikawa)  # 見送り: not a participant
    assert client.get(url).status_code == 404


def test_api_has_the_same_scoping(app, client):
    liaison = make_liaison("西播磨")
    sayo = make_staff("佐用町", info_dept=True)
    kamikawa = make_staff("神河町", info_dept=True)
    toyooka = make_staff("豊岡市", info_dept=True)
    project = water_project(liaison, join_deadline=soon())
    answer_project(project, kamikawa, answer="join", contact="神河町 水道課", now=NOW)
    db.session.commit()

    mine = client.get("/api/v1/projects", headers=bearer(sayo)).get_json()
    assert [p["id"] for p in mine["items"]] == [project.id]
    one = client.get(f"/api/v1/projects/{project.id}", headers=bearer(sayo)).get_json()
    assert one["municipality_codes"] == ["28501"] and one["subsidy_rate"] == "1/2"
    assert one["costs"]["participants"] == 1 and one["costs"]["net_yen"] is None
    assert one["milestones"][0]["title"] == "一括契約"
    put = client.put(f"/api/v1/projects/{project.id}/answer", headers=bearer(sayo, "write"),
                     json={"answer": "join", "contact": "佐用町 水道課"})
    assert put.status_code == 200, put.get_data(as_text=True)
    assert put.get_json()["share_net_yen"] == 600_000
    answers = client.get(f"/api/v1/projects/{project.id}/answers",
                         headers=bearer(sayo)).get_json()["items"]
    assert [a["municipality"] for a in answers] == ["佐用町"]

    assert client.get("/api/v1/projects", headers=bearer(toyooka)).get_json()["items"] == []
    for path in (f"/api/v1/projects/{project.id}", f"/api/v1/projects/{project.id}/answers"):
        assert client.get(path, headers=bearer(toyooka)).status_code == 404
    everything = client.get(f"/api/v1/projects/{project.id}/answers",
                            headers=bearer(liaison)).get_json()["items"]
    assert sorted(a["municipality"] for a in everything) == ["佐用町", "神河町"]
    assert client.get(f"/api/v1/projects/{project.id}",
                      headers=bearer(liaison)).get_json()["costs"]["net_yen"] == 1_200_000
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "/api/v1/projects/{project_id}/answer" in paths


def test_report_per_region_and_fiscal_year(app):
    liaison = make_liaison("西播磨")
    sayo = make_staff("佐用町", info_dept=True)
    kamikawa = make_staff("神河町", info_dept=True)
    leak = water_project(liaison)
    other = create_project(liaison, now=NOW, **settings(title="AIチャットボットの共同調達",
                                                        eligibility="all", service_kinds=[]))
    open_project(other, liaison, now=NOW)
    create_project(liaison, now=NOW, **settings(title="次年度の事業", fiscal_year=2027))
    for project in (leak, other):
        answer_project(project, sayo, answer="join", contact="佐用町", now=NOW)
    answer_project(leak, kamikawa, answer="considering", contact="神河町", now=NOW)
    db.session.commit()
    rows = {r["region"]: r for r in figures.region_rows(2026)}
    assert (rows["西播磨"]["projects"], rows["西播磨"]["participations"],
            rows["西播磨"]["taking_part"]) == (2, 2, 1)
    assert (rows["中播磨"]["projects"], rows["中播磨"]["taking_part"]) == (2, 0)
    assert (rows[None]["projects"], rows[None]["participations"],
            rows[None]["taking_part"]) == (2, 2, 1)
    per_project = {r["project"].title: r for r in figures.project_rows(2026)}
    assert (per_project["衛星データを活用した漏水調査"]["join"],
            per_project["衛星データを活用した漏水調査"]["considering"],
            per_project["衛星データを活用した漏水調査"]["unanswered"]) == (1, 1, 0)
    assert per_project["AIチャットボットの共同調達"]["unanswered"] == 40
    assert figures.region_rows(2027)[-1]["projects"] == 0  # a draft is not open


def test_demo_leak_survey_has_about_twenty_participants(app):
    from supportdesk.demo.projects import DEMO_LIAISON, seed_demo_projects

    make_liaison("西播磨", central=True, email=DEMO_LIAISON)
    make_staff("神河町", info_dept=True)
    assert seed_demo_projects() == 1
    db.session.commit()
    rows = figures.project_rows(figures.project_years()[0])
    assert len(rows) == 1 and 18 <= rows[0]["join"] <= 24
    assert rows[0]["project"].subsidy_rate_den == 2
    assert seed_demo_projects() == 0  # idempotent


def test_a_project_owns_its_meeting_series_and_invites_its_participants(app, client, login_as):
    """A project's series invites the municipalities taking part (参加・検討中), not those that
    declined, and the project page lists it for the prefecture."""
    from supportdesk.services.meetings import meetings
    from supportdesk.services.projects.meetings import create_project_series

    liaison = make_liaison("西播磨")
    sayo = make_staff("佐用町", info_dept=True)
    kamikawa = make_staff("神河町", info_dept=True)
    project = water_project(liaison)
    answer_project(project, sayo, answer="join", contact="佐用町 水道課", now=NOW)
    answer_project(project, kamikawa, answer="decline", contact="神河町 水道課", now=NOW)
    s = create_project_series(project, liaison, title="漏水調査 参加市町会議", now=NOW)
    m = meetings.create_meeting(s, liaison, title="第1回 参加市町会議", starts_at=NOW + timedelta(days=20),
                                ends_at=NOW + timedelta(days=20, hours=1), venue="オンライン",
                                agenda="契約の進め方", answer_deadline=(NOW + timedelta(days=15)).date(),
                                now=NOW)
    meetings.invite(m, liaison, now=NOW)
    db.session.commit()
    assert {i.municipality_id for i in m.invitations} == {municipality("佐用町").id}
    login_as(liaison)
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "漏水調査 参加市町会議" in page and f"/meetings/series/{s.id}" in page
