"""Each lecture's participants are asked, not only the filer: the filer forwards a link (a token
URL, no login) to the participants of a held lecture; each answer is counted in the report apart
from the staff's own; the demo has a lecture with participant answers."""
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import ParticipantSurveyLink, SatisfactionResponse
from supportdesk.services.visits.lifecycle import confirm_visit, create_visit, record_visit
from supportdesk.timeutil import JST, utcnow
from tests.factories import make_expert, make_liaison, make_staff, make_user, municipality


def lecture(liaison, *, held=True, days_ago=2):
    now = utcnow()
    v = create_visit(liaison, kind="lecture", title="生成AI入門講座",
                     starts_at=now - timedelta(days=days_ago, hours=3),
                     ends_at=now - timedelta(days=days_ago, hours=1),
                     municipalities=[municipality("佐用町")], attendees=[make_expert()],
                     now=now - timedelta(days=20))
    confirm_visit(v, liaison, now=now - timedelta(days=20))
    if held:
        record_visit(v, liaison, covered="講義", attendees_business=3, now=now)
    db.session.commit()
    return v


@pytest.fixture
def held(app):
    liaison = make_liaison("西播磨")
    return {"liaison": liaison, "visit": lecture(liaison), "staff": make_staff("佐用町")}


def share(client, visit):
    return client.post(f"/visits/{visit.id}/participant-link")


def link_of(visit):
    return db.session.scalar(sa.select(ParticipantSurveyLink)
                             .where(ParticipantSurveyLink.visit_id == visit.id))


def participant_answers(visit):
    return db.session.scalars(sa.select(SatisfactionResponse).where(
        SatisfactionResponse.visit_id == visit.id,
        SatisfactionResponse.source == "participant")).all()


def test_filer_gets_a_link_to_forward_and_the_page_shows_it(held, client, login_as):
    login_as(held["staff"])
    assert share(client, held["visit"]).status_code == 302
    link = link_of(held["visit"])
    assert link is not None and len(link.token) >= 32
    page = client.get(f"/visits/{held['visit'].id}").get_data(as_text=True)
    assert f"/survey/{link.token}" in page
    # Asking again gives the same link, not a second one.
    share(client, held["visit"])
    assert db.session.scalar(sa.select(sa.func.count(ParticipantSurveyLink.id))) == 1


def test_no_link_for_another_municipality_or_a_lecture_not_yet_held(held, client, login_as):
    login_as(make_staff("上郡町"))
    assert share(client, held["visit"]).status_code == 404
    upcoming = lecture(held["liaison"], held=False, days_ago=-5)
    login_as(held["staff"])
    resp = share(client, upcoming)
    assert resp.status_code in (302, 409, 422)
    assert link_of(upcoming) is None and link_of(held["visit"]) is None


def test_participants_answer_without_logging_in_once_per_browser(held, app, client, login_as):
    login_as(held["staff"])
    share(client, held["visit"])
    token = link_of(held["visit"]).token
    anon = app.test_client()
    form = anon.get(f"/survey/{token}")
    assert form.status_code == 200 and "生成AI入門講座" in form.get_data(as_text=True)
    assert anon.post(f"/survey/{token}", data={"rating": "5", "comment": "分かりやすかった"}
                     ).status_code in (200, 302)
    again = anon.post(f"/survey/{token}", data={"rating": "1"})
    assert "既に回答" in again.get_data(as_text=True)
    other = app.test_client()
    assert other.post(f"/survey/{token}", data={"rating": "4"}).status_code in (200, 302)
    answers = participant_answers(held["visit"])
    assert sorted(a.rating for a in answers) == [4, 5]
    assert all(a.respondent_id is None for a in answers)
    assert "分かりやすかった" in [a.comment for a in answers]


def test_bad_input_keeps_the_comment_and_shows_the_error(held, app, client, login_as):
    login_as(held["staff"])
    share(client, held["visit"])
    token = link_of(held["visit"]).token
    resp = app.test_client().post(f"/survey/{token}", data={"comment": "資料がほしい"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "満足度を選んでください。" in page and "資料がほしい" in page
    resp = app.test_client().post(f"/survey/{token}", data={"rating": "9"})
    assert resp.status_code == 422 and participant_answers(held["visit"]) == []


def test_unknown_or_expired_link_is_not_found(held, app, client, login_as):
    anon = app.test_client()
    assert anon.get("/survey/not-a-token").status_code == 404
    assert anon.post("/survey/not-a-token", data={"rating": "5"}).status_code == 404
    login_as(held["staff"])
    share(client, held["visit"])
    link = link_of(held["visit"])
    link.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert anon.get(f"/survey/{link.token}").status_code == 404
    assert anon.post(f"/survey/{link.token}", data={"rating": "5"}).status_code == 404
    assert participant_answers(held["visit"]) == []


def test_answers_stop_at_the_recorded_number_of_participants(held, app, client, login_as):
    login_as(held["staff"])
    share(client, held["visit"])
    token = link_of(held["visit"]).token
    for _ in range(3):  # the record counts 3 participants
        assert app.test_client().post(f"/survey/{token}", data={"rating": "3"}).status_code in (
            200, 302)
    resp = app.test_client().post(f"/survey/{token}", data={"rating": "3"})
    assert resp.status_code == 422 and "上限" in resp.get_data(as_text=True)
    assert len(participant_answers(held["visit"])) == 3


def test_answers_are_rate_limited_per_address(make_app):
    app = make_app(PARTICIPANT_SURVEY_RATE_LIMIT="2 per minute")
    with app.app_context():
        liaison = make_liaison("西播磨")
        v = lecture(liaison)
        staff = make_staff("佐用町")
        from supportdesk.services.visits.participant_survey import participant_link

        token = participant_link(v, staff).token
        db.session.commit()
        codes = [app.test_client().post(f"/survey/{token}", data={"rating": "4"}).status_code
                 for _ in range(3)]
        assert codes[:2] != [429, 429] and codes[2] == 429
        assert len(participant_answers(v)) == 2


def test_report_counts_filer_and_participant_answers_apart(held, app, client, login_as):
    login_as(held["staff"])
    client.post(f"/visits/{held['visit'].id}/satisfaction", data={"rating": "4"})
    share(client, held["visit"])
    token = link_of(held["visit"]).token
    for rating in ("5", "3"):
        app.test_client().post(f"/survey/{token}", data={"rating": rating})
    login_as(make_user("manager"))
    month = held["visit"].starts_at.astimezone(JST)
    page = client.get(f"/reports/monthly/{month:%Y-%m}").get_data(as_text=True)

    def value(label):
        row = re.search(r'<th scope="row">' + re.escape(label) + r'</th>\s*<td class="num">([\d.]+)',
                        page)
        return row.group(1) if row else None

    assert value("満足度アンケートの回答数") == "3"
    assert value("うち申込市町の職員") == "1"
    assert value("うち講座の参加者(共有リンク)") == "2"
    assert value("満足度の平均(参加者)") == "4.0"


def test_demo_has_a_lecture_with_participant_answers(app):
    from supportdesk.demo.requests import seed_demo_requests
    from supportdesk.demo.users import seed_demo_users
    from supportdesk.demo.visits import MARKER_TITLE, seed_demo_visits
    from supportdesk.models import Visit

    seed_demo_users()
    seed_demo_requests()
    seed_demo_visits()
    db.session.commit()
    visit = db.session.scalar(sa.select(Visit).where(Visit.title == MARKER_TITLE))
    assert link_of(visit) is not None
    assert len(participant_answers(visit)) >= 5
