"""Calendar month/week views per role and the personal iCalendar feed."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import CalendarFeedToken
from supportdesk.services.visits.lifecycle import create_visit
from supportdesk.timeutil import JST, utcnow
from supportdesk.views import PUBLIC_ENDPOINTS
from tests.factories import (PASSWORD, make_expert, make_liaison, make_staff, make_user,
                             municipality)


def mkvisit(liaison, title, start, munis=("佐用町",), experts=(), confirm=True):
    v = create_visit(liaison, kind="lecture", title=title, starts_at=start,
                     ends_at=start + timedelta(hours=2),
                     municipalities=[municipality(m) for m in munis], attendees=list(experts),
                     confirm=confirm, venue="役場3階会議室", now=start - timedelta(days=30))
    db.session.commit()
    return v


def setup_visits():
    west, central = make_liaison("西播磨", name="西リエゾン"), make_liaison("中播磨", name="中リエゾン")
    expert, other_expert = make_expert(name="鈴木専門"), make_expert(name="田中専門")
    sayo = mkvisit(west, "佐用町講座", datetime(2025, 11, 4, 10, tzinfo=JST), experts=[expert])
    joint = mkvisit(west, "合同講座", datetime(2025, 11, 12, 14, tzinfo=JST),
                    munis=("佐用町", "宍粟市"))
    himeji = mkvisit(central, "姫路市講座", datetime(2025, 11, 20, 9, tzinfo=JST),
                     munis=("姫路市",), experts=[other_expert])
    return dict(west=west, central=central, expert=expert, other_expert=other_expert, sayo=sayo,
                joint=joint, himeji=himeji)


def titles(client, query="view=month&date=2025-11-15"):
    resp = client.get(f"/calendar/?{query}")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    return {t for t in ("佐用町講座", "合同講座", "姫路市講座") if t in html}, html


def test_month_view_per_role(app, client, login_as):
    s = setup_visits()
    login_as(s["west"])
    seen, html = titles(client)
    assert seen == {"佐用町講座", "合同講座", "姫路市講座"}
    assert "文化の日" in html and 'data-date="2025-11-03"' in html  # holiday named in its cell
    assert 'class="day sat' in html
    login_as(make_user("manager"))
    assert titles(client)[0] == {"佐用町講座", "合同講座", "姫路市講座"}
    login_as(s["expert"])  # experts see the visits they attend
    assert titles(client)[0] == {"佐用町講座"}
    login_as(make_staff("宍粟市"))
    assert titles(client)[0] == {"合同講座"}
    login_as(make_staff("姫路市"))
    assert titles(client)[0] == {"姫路市講座"}
    # Staff cannot widen the view with filters.
    assert titles(client, f"view=month&date=2025-11-15&person={s['west'].id}")[0] == {"姫路市講座"}


def test_filters_by_region_and_person(app, client, login_as):
    s = setup_visits()
    login_as(s["west"])
    naka = db.session.scalar(sa.text("select id from regions where name = '中播磨'"))
    assert titles(client, f"view=month&date=2025-11-15&region={naka}")[0] == {"姫路市講座"}
    assert titles(client, f"view=month&date=2025-11-15&person={s['expert'].id}")[0] == {
        "佐用町講座"}
    assert titles(client, f"view=month&date=2025-11-15&person={s['west'].id}")[0] == {
        "佐用町講座", "合同講座"}


def test_week_view_shows_only_that_week_in_jst(app, client, login_as):
    s = setup_visits()
    # 00:30 JST on Monday is still Sunday in UTC: it belongs to Monday's cell.
    mkvisit(s["west"], "早朝講座", datetime(2025, 11, 10, 0, 30, tzinfo=JST))
    login_as(s["west"])
    seen, html = titles(client, "view=week&date=2025-11-12")
    assert seen == {"合同講座"}
    assert "早朝講座" in html and "00:30" in html
    monday = html.index('data-date="2025-11-10"')
    assert monday < html.index("早朝講座") < html.index('data-date="2025-11-11"')


def test_feed_round_trips_through_icalendar_and_revocation_is_404(app, client, login_as):
    s = setup_visits()
    assert "calendar.feed" in PUBLIC_ENDPOINTS
    login_as(s["expert"])
    resp = client.post("/calendar/feed", data={"op": "rotate"})
    html = resp.get_data(as_text=True)
    url = html.split('data-testid="feed-url"')[0].rsplit('value="', 1)[1].split('"')[0]
    path = url[url.index("/calendar/feed/"):]
    token = path.rsplit("/", 1)[1].removesuffix(".ics")
    row = db.session.scalar(sa.select(CalendarFeedToken))
    assert row.token_hash != token and token not in row.token_hash
    client.post("/logout")
    # Move the visit into the feed window (the feed covers the recent past and the future).
    s["sayo"].starts_at = utcnow().replace(microsecond=0) + timedelta(days=3)
    s["sayo"].ends_at = s["sayo"].starts_at + timedelta(hours=2)
    db.session.commit()
    resp = client.get(path)
    assert resp.status_code == 200 and resp.mimetype == "text/calendar"
    cal = icalendar.Calendar.from_ical(resp.data)
    events = cal.walk("VEVENT")
    assert len(events) == 1 and cal.walk("VTIMEZONE")
    ev = events[0]
    start = ev.decoded("dtstart")
    assert start.tzinfo is not None and str(ev["dtstart"].params["TZID"]) == "Asia/Tokyo"
    assert start == s["sayo"].starts_at
    assert start.utcoffset() == timedelta(hours=9)
    assert str(ev["uid"]).startswith(f"visit-{s['sayo'].id}@")
    assert "佐用町講座" in str(ev["summary"]) and "佐用町" in str(ev["summary"])
    assert str(ev["location"]) == "役場3階会議室"
    uid = str(ev["uid"])
    assert str(icalendar.Calendar.from_ical(client.get(path).data).walk("VEVENT")[0]["uid"]) == uid
    # Rotating invalidates the old URL; revoking the new one too.
    login_as(s["expert"])
    html = client.post("/calendar/feed", data={"op": "rotate"}).get_data(as_text=True)
    new_path = html.split('data-testid="feed-url"')[0].rsplit('value="', 1)[1].split('"')[0]
    new_path = new_path[new_path.index("/calendar/feed/"):]
    assert client.get(path).status_code == 404
    assert client.get(new_path).status_code == 200
    client.post("/calendar/feed", data={"op": "revoke"})
    assert client.get(new_path).status_code == 404
    assert client.get("/calendar/feed/not-a-token.ics").status_code == 404


def test_staff_feed_has_only_their_municipality(app, client, login_as):
    s = setup_visits()
    for v in (s["sayo"], s["himeji"]):
        v.starts_at = utcnow().replace(microsecond=0) + timedelta(days=5)
        v.ends_at = v.starts_at + timedelta(hours=1)
        v.attendees = []
    db.session.commit()
    login_as(make_staff("姫路市"))
    html = client.post("/calendar/feed", data={"op": "rotate"}).get_data(as_text=True)
    url = html.split('data-testid="feed-url"')[0].rsplit('value="', 1)[1].split('"')[0]
    cal = icalendar.Calendar.from_ical(client.get(url[url.index("/calendar/feed/"):]).data)
    assert [str(e["summary"]) for e in cal.walk("VEVENT")] == ["[出前講座] 姫路市講座(姫路市)"]
    assert cal.walk("VEVENT")[0].decoded("dtstart").tzinfo.key == ZoneInfo("Asia/Tokyo").key


def test_anonymous_and_csrf(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    assert client.get("/calendar/").status_code == 302
    assert client.get("/visits/").status_code == 302
    with app.app_context():
        user = make_liaison()
        email = user.email
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    assert client.post("/login", data={"email": email, "password": PASSWORD,
                                       "csrf_token": token}).status_code == 302
    assert client.post("/calendar/feed", data={"op": "rotate"}).status_code == 400
    with app.app_context():
        assert db.session.query(CalendarFeedToken).count() == 0


def test_a_period_without_visits_says_so(app, client, login_as):
    s = setup_visits()
    login_as(s["west"])
    seen, html = titles(client, "view=week&date=2025-11-26")
    assert seen == set() and 'data-testid="calendar-empty"' in html
    assert "この期間の訪問はありません。" in html
    seen, html = titles(client, "view=week&date=2025-11-12")
    assert seen == {"合同講座"} and 'data-testid="calendar-empty"' not in html
