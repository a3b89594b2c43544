"""Lecture satisfaction on the survey engine: the 5-point question stays the default, a liaison
adds questions to a lecture's survey, the filer and the participants (anonymous, by link, once
per browser, until the link's chosen days run out) answer them, the visit page sums them up as
an inquiry's results, and the lecture survey is no 照会 (not listed, 404 on the survey pages)."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import SatisfactionResponse, Survey
from supportdesk.permissions import PermissionDenied
from supportdesk.services import ValidationFailed
from supportdesk.services.surveys.building import surveys_for
from supportdesk.services.visits.lecture_survey import (add_lecture_question,
                                                        lecture_questions, lecture_results)
from supportdesk.services.visits.participant_survey import (participant_link,
                                                            submit_participant_answer)
from supportdesk.timeutil import utcnow
from tests.factories import make_liaison, make_staff
from tests.test_participant_survey import lecture, link_of


def test_added_questions_are_asked_of_filer_and_participants_and_summed(app, client, login_as):
    liaison = make_liaison("西播磨")
    visit = lecture(liaison)
    staff = make_staff("佐用町")
    assert lecture_questions(visit) == []  # by default only the 5-point question
    login_as(liaison)
    page = client.get(f"/visits/{visit.id}/survey-questions")
    assert page.status_code == 200
    resp = client.post(f"/visits/{visit.id}/survey-questions",
                       data={"kind": "single_choice", "label": "業務に活かせそうですか",
                             "options": "はい\nいいえ", "required": "y"})
    assert resp.status_code == 302
    client.post(f"/visits/{visit.id}/survey-questions",
                data={"kind": "number", "label": "受講した人数(同席者含む)"})
    # A bad question keeps what was typed and says why beside the field.
    bad = client.post(f"/visits/{visit.id}/survey-questions",
                      data={"kind": "single_choice", "label": "選択肢が一つ", "options": "A"})
    assert bad.status_code == 422 and "選択肢を2つ以上" in bad.get_data(as_text=True)
    assert "選択肢が一つ" in bad.get_data(as_text=True)
    choice, number = lecture_questions(visit)
    survey = db.session.scalar(sa.select(Survey).where(Survey.visit_id == visit.id))
    assert survey.kind == "lecture"

    # The filer, signed in: a required added question must be answered.
    login_as(staff)
    form = client.get(f"/visits/{visit.id}/satisfaction").get_data(as_text=True)
    assert "業務に活かせそうですか" in form
    missing = client.post(f"/visits/{visit.id}/satisfaction", data={"rating": "4"})
    assert missing.status_code == 200 and "この質問は回答が必要です" in missing.get_data(as_text=True)
    ok = client.post(f"/visits/{visit.id}/satisfaction",
                     data={"rating": "4", choice.field_name: "はい", number.field_name: "3"})
    assert ok.status_code == 302

    # Participants, anonymous, through a link open for the days chosen when it was made.
    shared = client.post(f"/visits/{visit.id}/participant-link", data={"days": "7"})
    assert shared.status_code == 302
    link = link_of(visit)
    assert (link.expires_at - link.created_at) == timedelta(days=7)
    anon = app.test_client()
    assert "業務に活かせそうですか" in anon.get(f"/survey/{link.token}").get_data(as_text=True)
    typed = anon.post(f"/survey/{link.token}", data={"rating": "5", "comment": "よかった",
                                                    number.field_name: "多い"})
    assert typed.status_code == 422
    body = typed.get_data(as_text=True)
    assert "数値を半角で" in body and "よかった" in body and "多い" in body
    done = anon.post(f"/survey/{link.token}", data={"rating": "5", choice.field_name: "はい",
                                                   number.field_name: "10"})
    assert done.status_code == 200
    assert "survey_" in done.headers.get("Set-Cookie", "")
    again = anon.post(f"/survey/{link.token}", data={"rating": "1", choice.field_name: "いいえ"})
    assert again.status_code == 200  # the browser already answered: nothing more is counted
    rows = db.session.scalars(sa.select(SatisfactionResponse).where(
        SatisfactionResponse.visit_id == visit.id).order_by(SatisfactionResponse.id)).all()
    assert [(r.source, r.rating, r.respondent_id is None) for r in rows] == [
        ("filer", 4, False), ("participant", 5, True)]
    assert rows[1].answers == {str(choice.id): "はい", str(number.id): 10}

    results = lecture_results(visit, rows)
    assert results["responses"] == 2 and results["average"] == 4.5
    summary = {item["question"].id: item for item in results["questions"]}
    assert ("はい", 2) in summary[choice.id]["bars"]
    assert ("平均", 6.5) in summary[number.id]["lines"]
    login_as(liaison)
    page = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert 'data-testid="lecture-survey"' in page and "業務に活かせそうですか" in page

    # A question can be taken out; another lecture's question answers 404 here.
    other = lecture(liaison)
    extra = add_lecture_question(other, liaison, kind="short_text", label="別の講座の質問")
    db.session.commit()
    gone = client.post(f"/visits/{visit.id}/survey-questions/{extra.id}/delete")
    assert gone.status_code == 404
    dropped = client.post(f"/visits/{visit.id}/survey-questions/{number.id}/delete")
    assert dropped.status_code == 302 and lecture_questions(visit) == [choice]

    # Not a 照会: never listed, and the survey pages and the API answer 404.
    assert survey not in surveys_for(liaison)
    assert client.get(f"/surveys/{survey.id}").status_code == 404
    assert client.get(f"/api/v1/surveys/{survey.id}").status_code == 404


def test_rules_of_a_lecture_survey(app):
    liaison = make_liaison("西播磨")
    visit = lecture(liaison)
    staff = make_staff("佐用町")
    now = utcnow()
    for kind in ("file", "table"):
        with pytest.raises(ValidationFailed) as refused:
            add_lecture_question(visit, liaison, kind=kind, label="添付", options=["a"], now=now)
        assert refused.value.field == "kind"
    with pytest.raises(PermissionDenied):  # only liaisons add questions
        add_lecture_question(visit, staff, kind="short_text", label="x", now=now)
    with pytest.raises(ValidationFailed) as refused:
        participant_link(visit, staff, now=now, days=365)
    assert refused.value.field == "days"
    # Without added questions an answer is what it always was (no answers stored).
    link = participant_link(visit, staff, now=now)
    answer = submit_participant_answer(link, rating=3, now=now)
    assert answer.answers is None and answer.source == "participant"


def test_demo_lecture_asks_an_added_question_of_its_participants(app):
    from supportdesk.demo.requests import seed_demo_requests
    from supportdesk.demo.users import seed_demo_users
    from supportdesk.demo.visits import MARKER_TITLE, seed_demo_visits
    from supportdesk.models import Visit

    seed_demo_users()
    seed_demo_requests()
    seed_demo_visits()
    db.session.commit()
    visit = db.session.scalar(sa.select(Visit).where(Visit.title == MARKER_TITLE))
    (question,) = lecture_questions(visit)
    answers = db.session.scalars(sa.select(SatisfactionResponse).where(
        SatisfactionResponse.visit_id == visit.id)).all()
    summary = lecture_results(visit, answers)["questions"][0]
    assert summary["question"].id == question.id and summary["answered"] == 5
