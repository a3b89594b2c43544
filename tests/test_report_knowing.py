"""The monthly report and the fiscal-year view count surveys sent, the answer rate and time to
answer, DX status values recorded and the handover's completion; each of these figures links to
the list behind it, which holds exactly what was counted, scoped like the report."""
from datetime import UTC, date, datetime

import pytest

from supportdesk.extensions import db
from supportdesk.services.reports.figures import month_period
from supportdesk.services.reports.knowing import status_figures, surveys_behind
from supportdesk.services.reports.monthly import build_fiscal_summary, build_monthly_report
from supportdesk.services.surveys.answering import submit_response
from tests.factories import (make_liaison, make_staff, make_status_value, make_survey, make_user,
                             municipality, region)

# A month after the seed (whose imported values are set today) and in a fiscal year of its own.
NOW = datetime(2027, 6, 7, 1, 0, tzinfo=UTC)  # Monday 10:00 in Tokyo
LATER = datetime(2027, 6, 10, 1, 0, tzinfo=UTC)


@pytest.fixture
def december(app):
    liaison = make_liaison("西播磨", "中播磨")
    kamikawa = make_staff("神河町", info_dept=True)
    survey = make_survey(liaison, deadline=date(2027, 6, 18), now=NOW, questions=[
        dict(kind="single_choice", label="CIOを任命していますか", options=["はい", "いいえ"],
             status_item_key="cio_appointed")])
    q = survey.questions[0]
    submit_response(survey, kamikawa, values={q.field_name: "はい"}, now=LATER)
    make_status_value(municipality("佐用町"), "dx_plan_in_place", "はい", as_of=date(2027, 6, 1),
                      actor=liaison, source_kind="edit", now=LATER)
    db.session.commit()
    return {"survey": survey, "liaison": liaison}


def test_figures_and_the_lists_behind_them_agree(december):
    p = month_period(2027, 6)
    assert status_figures(p) == {"status_updates": 2, "status_municipalities": 2,
                                 "standardisation_updates": 0}
    assert status_figures(p, [region("但馬").id])["status_updates"] == 0
    behind = surveys_behind(p)
    assert [row["survey"].id for row in behind["sent"]] == [december["survey"].id]
    assert behind["sent"][0]["targets"] == 2 and behind["sent"][0]["on_time"] == 1
    assert len(behind["due"]) == behind["figures"]["answers_due"] == 2
    assert sorted((d["municipality"].name, d["on_time"]) for d in behind["due"]) == [
        ("佐用町", False), ("神河町", True)]
    assert [a["days"] for a in behind["answered"]] == [3.0]
    assert behind["answer_days_median"] == behind["figures"]["answer_days_median"] == 3.0

    report = build_monthly_report(2027, 6)
    rows = {row["params"]["key"]: row for row in report["sections"]["dx_status"]}
    assert rows["status_updates"]["value"] == 2
    assert rows["status_updates"]["params"]["drill"] == "status_updates"
    surveys = {row["params"]["key"]: row for row in report["sections"]["surveys"]}
    assert surveys["answer_rate"]["value"] == 50.0 and surveys["answer_rate"]["params"]["drill"]

    fy = build_fiscal_summary(2027)
    compare = {row["label"]: row for row in fy["compare"]}
    assert compare["開始した調査・照会"]["value"] == 1 and compare["開始した調査・照会"]["prev"] == 0
    assert compare["記録されたDX状況の値"]["value"] == 2
    assert compare["記録されたDX状況の値"]["drill"] == "status_updates"
    assert fy["handover"]["fiscal_year"] == 2027 and fy["handover"]["total"] == 41


def test_report_pages_link_to_the_lists_scoped_like_the_report(december, client, login_as):
    login_as(make_user("manager"))
    page = client.get("/reports/monthly/2027-06?live=1").get_data(as_text=True)
    assert "/reports/monthly/2027-06/status-updates#values" in page
    assert "/reports/monthly/2027-06/surveys#due" in page
    drill = client.get("/reports/monthly/2027-06/surveys")
    assert drill.status_code == 200
    body = drill.get_data(as_text=True)
    assert "CIOを任命" not in body and december["survey"].title in body and "神河町" in body
    status = client.get("/reports/monthly/2027-06/status-updates").get_data(as_text=True)
    assert "佐用町" in status and "神河町" in status and "照会の回答" in status
    fiscal = client.get("/reports/fiscal/2027").get_data(as_text=True)
    assert "/reports/fiscal/2027/surveys#sent" in fiscal and 'data-testid="fy-handover"' in fiscal
    assert client.get("/reports/fiscal/2027/status-updates").status_code == 200
    assert client.get("/reports/fiscal/1900/surveys").status_code == 404
    assert client.get("/reports/monthly/2026-13/surveys").status_code == 404
    # A liaison of other regions sees none of these municipalities' rows.
    login_as(make_liaison("但馬"))
    other = client.get("/reports/monthly/2027-06/status-updates").get_data(as_text=True)
    assert "佐用町" not in other and "神河町" not in other
    # Municipal staff have no reports.
    login_as(make_staff("佐用町"))
    assert client.get("/reports/monthly/2027-06/surveys").status_code in (403, 404)
