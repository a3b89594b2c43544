"""Survey pages: the builder through the forms, the answer form keeping what was typed, 404 for
another municipality, the exports and the dossier's section."""
import io

from openpyxl import load_workbook

from supportdesk.extensions import db
from supportdesk.models import Survey, SurveyResponse
from tests.factories import make_liaison, make_staff, make_survey


def test_a_liaison_builds_and_opens_a_survey_through_the_pages(app, client, login_as):
    liaison = make_liaison("西播磨")
    make_staff("佐用町", info_dept=True)
    login_as(liaison)
    assert client.get("/surveys/new").status_code == 200
    resp = client.post("/surveys/new", data={"title": "", "purpose": "目的", "deadline": "2099-01-31",
                                             "reminder_days": "3", "region_ids": ["1"]})
    assert resp.status_code == 200 and "件名を入力してください。" in resp.get_data(as_text=True)
    assert 'value="2099-01-31"' in resp.get_data(as_text=True)  # what was typed stays
    region = db.session.scalar(db.select(Survey.id))  # nothing saved
    assert region is None
    from tests.factories import region as region_of
    resp = client.post("/surveys/new", data={
        "title": "標準化チェックリスト", "purpose": "移行状況の確認", "deadline": "2099-01-31",
        "reminder_days": "3", "region_ids": [str(region_of("西播磨").id)]})
    assert resp.status_code == 302
    sid = db.session.scalar(db.select(Survey.id))
    resp = client.post(f"/surveys/{sid}/questions", data={"kind": "single_choice",
                                                         "label": "移行状況", "options": "済"})
    assert resp.status_code == 422 and "2つ以上" in resp.get_data(as_text=True)
    client.post(f"/surveys/{sid}/questions", data={"kind": "single_choice", "label": "移行状況",
                                                  "options": "未着手\n移行中\n移行済"})
    assert client.post(f"/surveys/{sid}/open").status_code == 302
    page = client.get(f"/surveys/{sid}").get_data(as_text=True)
    assert "回答受付中" in page and "佐用町" in page and "未着手" in page


def test_answer_form_keeps_typed_values_and_other_municipalities_get_404(app, client, login_as):
    survey = make_survey()
    n_q, c_q = survey.questions
    sayo = make_staff("佐用町", info_dept=True)
    login_as(make_staff("豊岡市", info_dept=True))
    assert client.get(f"/surveys/{survey.id}").status_code == 404
    assert client.post(f"/surveys/{survey.id}/answer", data={"action": "save"}).status_code == 404
    login_as(sayo)
    resp = client.post(f"/surveys/{survey.id}/answer", data={
        "action": "submit", n_q.field_name: "三人", c_q.field_name: "はい"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "数値を半角で入力してください。" in html
    assert 'value="三人"' in html and 'value="はい" checked' in html
    resp = client.post(f"/surveys/{survey.id}/answer", data={
        "action": "submit", n_q.field_name: "3", c_q.field_name: "はい"})
    assert resp.status_code == 302
    assert "回答済" in client.get(f"/surveys/{survey.id}").get_data(as_text=True)
    rid = db.session.scalar(db.select(SurveyResponse.id))
    assert client.get(f"/surveys/{survey.id}/responses/{rid}").status_code == 200
    login_as(make_staff("神河町", info_dept=True))  # also targeted, but not its answer
    assert client.get(f"/surveys/{survey.id}/responses/{rid}").status_code == 404
    assert client.get(f"/surveys/{survey.id}/responses/{rid}/files/1").status_code == 404
    login_as(sayo)
    sheet = client.get("/municipalities/28501").get_data(as_text=True)
    assert "調査・照会への回答" in sheet and survey.title in sheet


def test_exports_and_results_page(app, client, login_as):
    survey = make_survey()
    n_q, c_q = survey.questions
    sayo = make_staff("佐用町", info_dept=True)
    login_as(sayo)
    client.post(f"/surveys/{survey.id}/answer", data={"action": "submit", n_q.field_name: "3",
                                                      c_q.field_name: "はい"})
    assert client.get(f"/surveys/{survey.id}/results.xlsx").status_code == 403
    login_as(survey.created_by)
    resp = client.get(f"/surveys/{survey.id}/results.xlsx")
    wb = load_workbook(io.BytesIO(resp.data))
    assert [c.value for c in wb["回答"][3]][1:2] == ["佐用町"]
    csv = client.get(f"/surveys/{survey.id}/results.csv")
    assert csv.data.startswith(b"\xef\xbb\xbf") and "はい" in csv.data.decode("utf-8")
    page = client.get(f"/surveys/{survey.id}/results").get_data(as_text=True)
    assert "<svg" in page and "平均" in page
