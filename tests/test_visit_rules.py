"""Who may create and change visits is one rule (permissions: visit "manage", liaisons only),
asked by the page, the API and the service alike. Before, the permission table gave admins
"manage" too: the pages opened the forms for them and the service refused them afterwards."""
import pytest
from datetime import datetime

from supportdesk.extensions import db
from supportdesk.services.visits.lifecycle import cancel_visit, create_visit
from supportdesk.timeutil import JST
from tests.factories import make_liaison, make_user, municipality
from tests.test_api import bearer

START = datetime(2099, 6, 2, 10, 0, tzinfo=JST)
END = datetime(2099, 6, 2, 12, 0, tzinfo=JST)


def test_only_liaisons_create_visits_on_the_page_and_the_api(app, client, login_as):
    admin, liaison = make_user("admin"), make_liaison("西播磨")
    db.session.commit()
    body = {"kind": "round", "title": "定期巡回", "starts_at": START.isoformat(),
            "ends_at": END.isoformat(), "municipality_codes": [municipality("佐用町").code]}
    assert client.post("/api/v1/visits", headers=bearer(admin, "write"), json=body
                       ).status_code == 403
    assert client.post("/api/v1/visits", headers=bearer(liaison, "write"), json=body
                       ).status_code == 201
    login_as(admin)
    # Before, the form opened for admins and only the service refused them (after typing).
    assert client.get("/visits/new").status_code == 404
    assert "訪問を登録" not in client.get("/visits/").get_data(as_text=True)
    login_as(liaison)
    assert client.get("/visits/new").status_code == 200


def test_an_admin_reads_a_visit_but_neither_page_nor_service_lets_them_cancel_it(app, client,
                                                                              login_as):
    from supportdesk.permissions import PermissionDenied

    admin, liaison = make_user("admin"), make_liaison("西播磨")
    visit = create_visit(liaison, kind="round", title="定期巡回", starts_at=START, ends_at=END,
                         municipalities=[municipality("佐用町")], confirm=True)
    db.session.commit()
    login_as(admin)
    assert client.get(f"/visits/{visit.id}").status_code == 200
    assert client.get(f"/visits/{visit.id}/cancel").status_code == 404  # the form: liaisons only
    with pytest.raises(PermissionDenied):
        cancel_visit(visit, admin, reason="台風のため")


def test_rating_a_lecture_is_one_rule_for_the_page_and_the_service(app, client, login_as):
    """The visit page offers the rating form exactly when the service would take the answer;
    staff see only their own answers, the prefecture side sees all (visible_answers)."""
    from datetime import timedelta

    from supportdesk.services import ValidationFailed
    from supportdesk.services.visits.lifecycle import record_visit, submit_satisfaction
    from tests.factories import make_staff

    liaison = make_liaison("西播磨")
    first, second = make_staff("佐用町"), make_staff("佐用町")
    held = datetime(2026, 10, 5, 14, 0, tzinfo=JST)
    visit = create_visit(liaison, kind="lecture", title="生成AI講座", starts_at=held,
                         ends_at=held + timedelta(hours=2),
                         municipalities=[municipality("佐用町")], confirm=True,
                         now=held - timedelta(days=20))
    record_visit(visit, liaison, covered="基礎", now=held + timedelta(hours=3))
    db.session.commit()
    page = f"/visits/{visit.id}"
    rate_link = f"/visits/{visit.id}/satisfaction"
    assert rate_link in login_as(first).get(page).get_data(as_text=True)
    submit_satisfaction(visit, first, rating=5, comment="とても良かった")
    db.session.commit()
    html = login_as(first).get(page).get_data(as_text=True)
    assert rate_link not in html and "とても良かった" in html
    with pytest.raises(ValidationFailed):
        submit_satisfaction(visit, first, rating=4)
    db.session.rollback()
    html = login_as(second).get(page).get_data(as_text=True)
    assert rate_link in html and "とても良かった" not in html  # a colleague's answer stays theirs
    assert "とても良かった" in login_as(liaison).get(page).get_data(as_text=True)
    assert rate_link not in login_as(liaison).get(page).get_data(as_text=True)
