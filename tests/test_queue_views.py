"""The /queue pages: access, table and badges, filters, pages, saved views and bulk assignment."""
import logging
import re
from datetime import datetime
from html import unescape

import sqlalchemy as sa
import time_machine

from supportdesk.extensions import db
from supportdesk.models import RequestEvent, SavedView, SupportRequest
from supportdesk.timeutil import JST
from tests.factories import make_expert, make_liaison, make_request, make_staff, make_user


def html(resp):
    assert resp.status_code == 200, resp.status_code
    return resp.get_data(as_text=True)


def row_ids(text):
    return [int(i) for i in re.findall(r'data-request-id="(\d+)"', text)]


def test_only_prefecture_roles_reach_the_queue(client, login_as):
    make_request(title="佐用町の相談")
    assert client.get("/queue/").status_code == 302  # anonymous: to the login page
    login_as(make_staff("佐用町"))
    assert client.get("/queue/").status_code == 403
    assert client.post("/queue/assign", data={}).status_code == 403
    login_as(make_expert())
    assert client.get("/queue/").status_code == 403
    login_as(make_user("manager"))
    assert client.get("/queue/").status_code == 200


def test_liaison_lands_on_the_queue_and_sees_the_table(client, login_as):
    liaison = make_liaison("西播磨")
    sreq = make_request(title="窓口DXの相談", themes=("frontyard",), assignee=liaison)
    make_request(title="姫路市の相談", municipality_name="姫路市")
    login_as(liaison)
    home = client.get("/")
    assert home.status_code == 302 and home.headers["Location"].endswith("/queue/")
    text = html(client.get("/queue/"))
    assert row_ids(text) == [sreq.id]
    assert sreq.number in text and f'href="/requests/{sreq.id}"' in text
    for part in ("佐用町", "相談", "受付", "フロントヤード改革・窓口DX", liaison.display_name,
                 "受付キュー"):
        assert part in text
    assert "姫路市の相談" not in text
    assert "期限超過" in text or "本日期限" in text or "営業日" in text


def test_badges_and_overdue_filter_over_a_holiday_through_the_page(client, login_as):
    liaison = make_liaison("西播磨")
    submitted = datetime(2026, 11, 2, 10, 0, tzinfo=JST)  # 11/03 文化の日
    sreq = make_request(title="祝日をはさむ", now=submitted)
    # Log in at each frozen moment: a session cookie signed "in the future" is refused.
    with time_machine.travel(datetime(2026, 11, 4, 9, 0, tzinfo=JST), tick=False):
        login_as(liaison)
        assert "残り1営業日" in html(client.get("/queue/"))
        assert row_ids(html(client.get("/queue/?overdue=1"))) == []
    with time_machine.travel(datetime(2026, 11, 5, 18, 0, tzinfo=JST), tick=False):
        login_as(liaison)
        assert "本日期限" in html(client.get("/queue/"))
    with time_machine.travel(datetime(2026, 11, 6, 9, 0, tzinfo=JST), tick=False):
        login_as(liaison)
        text = html(client.get("/queue/?overdue=1"))
        assert row_ids(text) == [sreq.id] and "期限超過" in text


def test_next_links_walk_every_row_once(app, client, login_as):
    app.config["QUEUE_PER_PAGE"] = 4
    liaison = make_liaison("西播磨")
    created = [make_request(title=f"依頼{i}", commit=False).id for i in range(10)]
    db.session.commit()
    login_as(liaison)
    url, seen, pages = "/queue/?sort=submitted&dir=desc", [], 0
    while url:
        text = html(client.get(url))
        seen += row_ids(text)
        pages += 1
        m = re.search(r'<nav class="pager"><a href="([^"]+)"', text)
        url = unescape(m.group(1)) if m else None
    assert pages == 3 and sorted(seen) == sorted(created) and len(seen) == 10


def test_filter_form_sort_links_and_counts(client, login_as):
    liaison = make_liaison("西播磨")
    make_request(title="受付1")
    make_request(title="受付2", kind="lecture")
    make_request(title="調整中", state="triage")
    make_request(title="完了", state="closed")
    login_as(liaison)
    text = html(client.get("/queue/?state=triage"))
    assert len(row_ids(text)) == 1
    assert re.search(r'data-state="submitted">受付 <span class="count">2</span>', text)
    assert re.search(r'data-state="closed">完了 <span class="count">1</span>', text)
    assert 'name="q"' in text and "sort=updated" in text and "sort=due" in text
    assert len(row_ids(html(client.get("/queue/?kind=lecture")))) == 1


def test_saved_views_are_per_user(client, login_as):
    liaison = make_liaison("西播磨")
    login_as(liaison)
    resp = client.post("/queue/views", data={"name": "講座の期限超過",
                                              "query": "kind=lecture&overdue=1&after=abc"})
    assert resp.status_code == 302
    view = db.session.scalar(sa.select(SavedView).where(SavedView.user_id == liaison.id))
    assert view.query == "kind=lecture&overdue=1"
    text = html(client.get("/queue/"))
    assert "講座の期限超過" in text and "?kind=lecture&amp;overdue=1" in text
    # Empty name: refused with a message, nothing saved.
    client.post("/queue/views", data={"name": " ", "query": ""})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SavedView)) == 1
    other = make_liaison("西播磨")
    login_as(other)
    assert "講座の期限超過" not in html(client.get("/queue/"))
    assert client.post(f"/queue/views/{view.id}/delete").status_code == 404
    login_as(liaison)
    assert client.post(f"/queue/views/{view.id}/delete").status_code == 302
    assert db.session.get(SavedView, view.id) is None


def test_bulk_assign_writes_events_and_refuses_what_cannot_be_worked(client, login_as, caplog):
    actor = make_liaison("西播磨")
    target = make_liaison("中播磨")
    prior = make_liaison("西播磨")
    a = make_request(title="未割当")
    b = make_request(title="別の担当", assignee=prior, municipality_name="姫路市")
    closed = make_request(title="完了済み", state="closed")
    draft = make_request(title="下書き", state="draft")
    closed_by = closed.assignee_id  # the liaison who took and closed it
    login_as(actor)
    caplog.set_level(logging.INFO, logger="supportdesk.notifications")
    resp = client.post("/queue/assign", data={
        "assignee": target.id, "ids": [a.id, b.id, closed.id, draft.id, 999999],
        "back": "/queue/?state=all"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/queue/?state=all")
    db.session.expire_all()
    assert db.session.get(SupportRequest, a.id).assignee_id == target.id
    assert db.session.get(SupportRequest, b.id).assignee_id == target.id
    assert db.session.get(SupportRequest, closed.id).assignee_id == closed_by
    assert db.session.get(SupportRequest, draft.id).assignee_id is None
    events = db.session.scalars(sa.select(RequestEvent).where(RequestEvent.kind == "assign",
                                                             RequestEvent.actor_id == actor.id)
                                .order_by(RequestEvent.request_id)).all()
    assert [(e.request_id, e.actor_id, e.data) for e in events] == [
        (a.id, actor.id, {"before": None, "after": target.id}),
        (b.id, actor.id, {"before": prior.id, "after": target.id})]
    assert sum("notify request.assigned" in r.getMessage() for r in caplog.records) == 2
    flashes = html(client.get("/queue/?state=all"))
    assert "2件の担当者" in flashes and "3件は割り当てできませんでした" in flashes


def test_bulk_assign_service_refuses_actors_without_the_permission(app):
    ctx = app.test_request_context()  # the refusal message is translated
    ctx.push()
    from supportdesk.services import ValidationFailed
    from supportdesk.services.requests.queue_assign import bulk_assign

    liaison = make_liaison("西播磨")
    sreq = make_request(title="相談")
    events_before = db.session.scalar(sa.select(sa.func.count()).select_from(RequestEvent))
    done, refused = bulk_assign(make_user("manager"), [sreq.id], liaison)
    assert done == [] and refused == [sreq.id]
    done, refused = bulk_assign(make_staff("佐用町"), [sreq.id], liaison)
    assert done == [] and refused == [sreq.id]
    try:
        bulk_assign(liaison, [sreq.id], make_staff("佐用町"))
    except ValidationFailed as exc:
        assert exc.field == "assignee"
    else:
        raise AssertionError("a non-liaison assignee must be refused")
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RequestEvent)) == \
        events_before
    ctx.pop()


def test_bulk_assign_and_saved_views_need_the_csrf_token(make_app):
    from tests.factories import PASSWORD

    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        liaison = make_liaison("西播磨")
        sreq = make_request(title="相談")
        liaison_id, liaison_email, sreq_id = liaison.id, liaison.email, sreq.id
        db.session.remove()
    # Requests run outside that app context: flask.g (where the CSRF token is cached) must not
    # outlive a request.
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"',
                      client.get("/login").get_data(as_text=True)).group(1)
    client.post("/login", data={"email": liaison_email, "password": PASSWORD, "csrf_token": token})
    text = client.get("/queue/").get_data(as_text=True)
    assert 'name="ids"' in text
    resp = client.post("/queue/assign", data={"assignee": liaison_id, "ids": [sreq_id]})
    assert resp.status_code == 400
    assert client.post("/queue/views", data={"name": "x"}).status_code == 400
    token = re.search(r'name="csrf_token" value="([^"]+)"', text).group(1)
    resp = client.post("/queue/assign", data={"assignee": liaison_id, "ids": [sreq_id],
                                              "csrf_token": token})
    assert resp.status_code == 302
    with app.app_context():
        assert db.session.get(SupportRequest, sreq_id).assignee_id == liaison_id
        db.session.remove()


def test_filter_summary_counts_the_filters_in_force(client, login_as):
    make_request(title="佐用町の相談")
    login_as(make_liaison("西播磨"))

    def count(query=""):
        m = re.search(r'data-testid="active-filters">(\d+)<', html(client.get(f"/queue/{query}")))
        return int(m.group(1)) if m else 0

    # The defaults (open states, the liaison's own regions, any sort order) are no filter.
    assert count() == 0
    assert count("?region=mine&state=submitted&state=triage&state=expert_selection"
                 "&state=scheduled&state=delivered&state=answered&state=on_hold"
                 "&sort=due&dir=desc") == 0
    assert count("?q=生成AI") == 1
    assert count("?q=生成AI&kind=lecture&overdue=1&region=all&state=closed") == 5
    page = html(client.get("/queue/?kind=lecture"))
    assert '<details class="filters-box" data-testid="queue-filters">' in page
    assert "(1件の条件で絞り込み中)" in page


def test_the_queue_links_built_without_url_for_are_url_fors(app):
    """views/queue.py _with_query writes the page's own links as url_for would."""
    from flask import url_for

    from supportdesk.services.requests.queue import QueueFilter
    from supportdesk.views.queue import _with_query

    filters = [QueueFilter(), QueueFilter(states=("submitted", "triage"), kind="lecture",
                                          sort="due", direction="desc"),
               QueueFilter(q="窓口 DX&AI/RPA?x=1 #2 'a'(b)*!$,;:@", assignee="me",
                           region="all", overdue=True, after="eyJhIjoxfQ")]
    with app.test_request_context("/"):
        for flt in filters:
            for changes in ({}, {"states": ("all",), "after": ""}, {"sort": "updated"}):
                args = flt.to_args(**changes)
                assert _with_query(url_for("queue.index"), args) == \
                    url_for("queue.index", **args), args


def test_saved_views_and_the_overdue_flag_come_from_one_statement(app):
    """list_views_and: the user's views in name order, each user's own, and the flag's value,
    with no view or with some, the flag true or false."""
    from supportdesk.services.requests.saved_views import list_views_and, save_view

    liaison, other = make_liaison("西播磨"), make_liaison("西播磨")
    assert list_views_and(liaison, sa.true()) == ([], True)
    assert list_views_and(liaison, sa.false()) == ([], False)
    save_view(liaison, "b 講座", "kind=lecture")
    save_view(liaison, "a 期限", "overdue=1")
    save_view(other, "c 他人", "")
    db.session.flush()
    views, flag = list_views_and(liaison, sa.false())
    assert [(v.name, v.query) for v in views] == [("a 期限", "overdue=1"), ("b 講座", "kind=lecture")]
    assert flag is False
    assert list_views_and(liaison, sa.true())[1] is True



def test_row_themes_ride_with_the_rows_in_their_order_inactive_and_new_ones_too(client, login_as):
    """The rows bring their theme ids (no statement of their own); the labels come from a map
    of every theme kept per process: a deactivated theme still shows on its requests, and a
    theme another worker added (the version this request read does not know it) shows at once."""
    from supportdesk.models import Theme
    from supportdesk.models.support_request import request_themes
    from tests.factories import theme

    liaison = make_liaison("西播磨")
    sreq = make_request(title="テーマの順", themes=("security", "ai_rpa"))
    login_as(liaison)

    def badges():
        text = html(client.get("/queue/"))
        row = text[text.index(f'data-request-id="{sreq.id}"'):]
        cell = row[row.index('<td class="themes">'):row.index("</td>", row.index("themes"))]
        return re.findall(r'<span class="badge">([^<]+)</span>', cell)

    first, second = sorted((theme("security"), theme("ai_rpa")),
                           key=lambda t: (t.sort_order, t.id))
    assert badges() == [first.name_ja, second.name_ja]
    seen = []
    sa.event.listen(db.engine, "before_cursor_execute", lambda c, cur, s, *a: seen.append(s))
    badges()
    assert not [s for s in seen if "FROM request_themes JOIN themes" in s]
    theme("ai_rpa").active = False  # (no version bump: the map must not depend on `active`)
    new = Theme(code="new_theme", name_ja="新設テーマ", name_en="New theme", sort_order=999)
    db.session.add(new)
    db.session.flush()
    db.session.execute(request_themes.insert().values(request_id=sreq.id, theme_id=new.id))
    db.session.commit()
    assert badges() == [first.name_ja, second.name_ja, "新設テーマ"]


def test_kept_filter_forms_follow_the_filter_the_role_and_the_language(client, login_as):
    """The filter form and header row are kept per process (views/queue.py _kept_fragments):
    each filter shows its own values, a liaison's form offers 担当圏域 and a manager's does not,
    and an English reader gets the English form."""
    from supportdesk.models import User

    liaison, manager = make_liaison("西播磨"), make_user("manager")
    make_request(title="佐用町の相談")

    def form(url):
        text = html(client.get(url))
        return text[text.index('role="search"'):text.index("</form>", text.index('role="search"'))]

    login_as(liaison)
    default = form("/queue/")
    assert '<option value="mine" selected>担当圏域</option>' in default
    assert form("/queue/") == default
    lecture = form("/queue/?kind=lecture&sort=due")
    assert '<option value="lecture" selected>' in lecture and lecture != default
    assert '<input type="hidden" name="sort" value="due">' in lecture
    assert '<option value="lecture" selected>' not in form("/queue/")
    login_as(manager)
    managers = form("/queue/")
    assert 'value="mine"' not in managers and '<option value="all" selected>' in managers
    db.session.get(User, manager.id).locale = "en"
    db.session.commit()
    english = form("/queue/")
    assert '<label for="f-q">Keywords</label>' in english and "キーワード" not in english
    text = html(client.get("/queue/?sort=updated&dir=desc"))
    assert 'aria-sort="descending"' in text and "▼" in text
