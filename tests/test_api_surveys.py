"""Surveys over the API: the same scoping as the pages (a municipality sees its own answer only,
another municipality gets 404, a liaison the answers of its regions)."""
from supportdesk.extensions import db
from supportdesk.services.surveys.answering import submit_response
from tests.factories import make_liaison, make_staff, make_survey
from tests.test_api import bearer


def test_surveys_and_answers_with_the_pages_scoping(app, client):
    survey = make_survey()
    n_q, c_q = survey.questions
    sayo = make_staff("佐用町", info_dept=True)
    kamikawa = make_staff("神河町", info_dept=True)
    for who, n in ((sayo, "3"), (kamikawa, "5")):
        submit_response(survey, who, values={n_q.field_name: n, c_q.field_name: "はい"})
    db.session.commit()

    mine = client.get("/api/v1/surveys", headers=bearer(sayo)).get_json()
    assert [s["id"] for s in mine["items"]] == [survey.id]
    one = client.get(f"/api/v1/surveys/{survey.id}", headers=bearer(sayo)).get_json()
    assert one["municipality_codes"] == ["28501"] and one["questions"][0]["kind"] == "number"
    answers = client.get(f"/api/v1/surveys/{survey.id}/answers", headers=bearer(sayo)).get_json()
    assert [(a["municipality"], a["answers"][str(n_q.id)]) for a in answers["items"]] == [
        ("佐用町", 3)]

    outsider = make_staff("豊岡市", info_dept=True)
    assert client.get("/api/v1/surveys", headers=bearer(outsider)).get_json()["items"] == []
    assert client.get(f"/api/v1/surveys/{survey.id}", headers=bearer(outsider)).status_code == 404
    assert client.get(f"/api/v1/surveys/{survey.id}/answers",
                      headers=bearer(outsider)).status_code == 404

    nishiharima = make_liaison("西播磨")  # 神河町 is in 中播磨
    items = client.get(f"/api/v1/surveys/{survey.id}/answers",
                       headers=bearer(nishiharima)).get_json()["items"]
    assert [a["municipality"] for a in items] == ["佐用町"]
    doc = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/surveys/{survey_id}/answers" in doc["paths"]
