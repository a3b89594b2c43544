"""Training pages: who reaches which page (another municipality's application or a course not
open to the user answers 404), applying and approving through the forms, a refused value kept
beside its field, and every page of the feature rendering for the prefecture."""
from datetime import date

import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import TrainingApplication
from supportdesk.services.training import applications as apps
from supportdesk.services.training.leaders import add_trainee, create_cohort
from supportdesk.services.training.materials import add_material
from tests.factories import make_liaison, make_staff, make_user, municipality
from tests.test_training import NOW, make_course


def test_apply_and_approve_through_the_pages_and_404_for_the_others(app, client, login_as):
    liaison = make_liaison("西播磨")
    sayo_info = make_staff("佐用町", info_dept=True)
    sayo = make_staff("佐用町", name="佐用 申込")
    toyooka = make_staff("豊岡市", info_dept=True)
    course = make_course(liaison, capacity=1, apply_by=date(2099, 1, 1),
                         starts_on=date(2099, 1, 2), ends_on=date(2099, 1, 2))
    url = f"/training/courses/{course.id}"

    login_as(toyooka)
    assert client.get(url).status_code == 404
    assert client.post(f"{url}/apply", data={}).status_code == 404
    assert course.title not in client.get("/training").get_data(as_text=True)

    login_as(sayo)
    assert course.title in client.get("/training").get_data(as_text=True)
    resp = client.post(f"{url}/apply", data={"note": "x" * 2001})
    assert resp.status_code == 422 and "x" * 2001 in resp.get_data(as_text=True)
    resp = client.post(f"{url}/apply", data={"note": "集計業務で使いたい"}, follow_redirects=True)
    assert "情報部門の承認をお待ちください" in resp.get_data(as_text=True)
    application = db.session.scalar(sa.select(TrainingApplication))
    # Not the 情報部門: no approving, even with the URL.
    assert client.post(f"/training/applications/{application.id}/approve").status_code == 404

    login_as(toyooka)
    assert client.post(f"/training/applications/{application.id}/approve").status_code == 404
    assert client.get(f"/training/applications/{application.id}/certificate.pdf").status_code \
        == 404

    login_as(sayo_info)
    page = client.get("/training").get_data(as_text=True)
    assert "承認待ちの受講申込" in page and "佐用 申込" in page
    resp = client.post(f"/training/applications/{application.id}/approve",
                       data={"next": "index"}, follow_redirects=True)
    assert "受講が決まりました" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert application.status == "confirmed"

    login_as(liaison)
    page = client.get(url).get_data(as_text=True)
    assert "佐用 申込" in page and "受講決定" in page
    refused = client.post(f"{url}/complete", data={}, follow_redirects=True)
    assert "修了を記録する受講者を選んでください" in refused.get_data(as_text=True)
    done = client.post(f"{url}/complete", data={"application_ids": [application.id]},
                       follow_redirects=True)
    assert "1人の修了を記録しました" in done.get_data(as_text=True)
    assert "佐用 申込" in client.get(f"{url}/completions.csv").get_data(as_text=True)
    login_as(sayo)
    assert client.get(f"/training/applications/{application.id}/certificate.pdf").status_code \
        == 200
    assert client.get(f"{url}/completions.csv").status_code == 403


def test_every_training_page_renders_for_the_prefecture(app, client, login_as):
    liaison = make_liaison("西播磨")
    staff = make_staff("佐用町")
    course = make_course(liaison, requires_approval=False)
    add_material(course, liaison, kind="text", title="振り返りメモ", body="RPAは小さく始める。")
    a = apps.apply_to_course(course, staff, now=NOW)
    cohort = create_cohort(liaison, name="令和8年度 第1期", fiscal_year=2026)
    trainee = add_trainee(cohort, liaison, municipality_id=municipality("佐用町").id,
                          name="佐用 二", term="six_months", starts_on=date(2026, 10, 1),
                          host_department="デジタル改革課", learning_plan="計画", now=NOW)
    db.session.commit()
    for user in (liaison, make_user("manager")):
        login_as(user)
        for path in ("/training", f"/training/courses/{course.id}", "/training/materials?q=rpa",
                     "/training/report", "/training/report?fy=2026", "/training/leaders",
                     f"/training/leaders/cohorts/{cohort.id}", f"/training/trainees/{trainee.id}",
                     "/municipalities/28501"):
            resp = client.get(path)
            assert resp.status_code == 200, (user.role, path)
    login_as(liaison)
    assert client.get(f"/training/courses/{course.id}/edit").status_code == 200
    assert client.get("/training/courses/new").status_code == 200
    assert "振り返りメモ" in client.get("/training/materials?q=ｒｐａ").get_data(as_text=True)
    page = client.get("/training/report").get_data(as_text=True)
    assert "年度ごとの合計" not in page  # the fiscal-year totals are the managers'
    login_as(make_user("manager"))
    assert "年度ごとの合計" in client.get("/training/report").get_data(as_text=True)
    login_as(staff)
    assert client.get("/training/leaders").status_code == 403
    assert client.get("/training/report").status_code == 403
    assert client.get(f"/training/trainees/{trainee.id}").status_code == 200  # own municipality
    assert a.status == "confirmed"


def test_the_cancel_button_says_what_it_does_in_english(app, client, login_as):
    """The button that cancels an application said "Cancelled" (it shared its msgid with the
    application's status 取消し): it must read as an action, the status as a state."""
    liaison = make_liaison("西播磨")
    sayo = make_staff("佐用町", name="佐用 申込")
    course = make_course(liaison, capacity=2, apply_by=date(2099, 1, 1),
                         starts_on=date(2099, 1, 2), ends_on=date(2099, 1, 2))
    apps.apply_to_course(course, sayo, now=NOW)
    sayo.locale = "en"
    db.session.commit()
    login_as(liaison)  # the liaison's row of the application list, with its cancel button
    liaison.locale = "en"
    db.session.commit()
    page = client.get(f"/training/courses/{course.id}").get_data(as_text=True)
    row = page.split('data-testid="application-row"')[1].split("</tr>")[0]
    button = row.split('/cancel"')[1].split("</form>")[0]
    assert "Cancel application" in button and "Cancelled" not in button
