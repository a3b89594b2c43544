"""One desk on two networks: links built for each recipient's network in every channel (mail
delivered over loopback SMTP, in-app, chat webhook, iCalendar), unknown Host headers refused
(no poisoned reset link), and the admin area limited to chosen host names and address ranges."""
import re
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import urlsplit

import icalendar
import pytest
import sqlalchemy as sa

from supportdesk import ConfigurationError
from supportdesk.config import env_overrides
from supportdesk.extensions import db
from supportdesk.links import absolute, external_url, network_of
from supportdesk.models import AuditLog, InAppNotification, OutboxMessage, User
from supportdesk.notifications.outbox import drain
from supportdesk.roles import Role
from supportdesk.services import ValidationFailed
from supportdesk.services.accounts.users import update_user
from supportdesk.services.visits.calendar_feed import build_feed
from supportdesk.services.visits.lifecycle import create_visit
from supportdesk.timeutil import utcnow
from tests.factories import (PASSWORD, make_expert, make_liaison, make_request, make_staff,
                             make_user, municipality)
from tests.notify_helpers import make_room, notify_config

LGWAN = "https://desk.pref-hyogo.lg.jp"
INTERNET = "https://desk.dx-hyogo.example.jp"
LGWAN_HOST, INTERNET_HOST = urlsplit(LGWAN).hostname, urlsplit(INTERNET).hostname
TWO_NETWORKS = {"NETWORKS": {"lgwan": LGWAN, "internet": INTERNET}}
LINK = re.compile(r"https?://[^/\s\"<>]+/[^\s\"<>]*")


def hosts_in(text):
    return {urlsplit(m).hostname for m in LINK.findall(text or "")}


@pytest.fixture
def app(make_app, smtp):
    app = make_app(**notify_config(smtp.port, **TWO_NETWORKS))
    ctx = app.app_context()
    ctx.push()
    yield app
    db.session.remove()
    ctx.pop()


# --- which network a recipient reads on ---------------------------------------------------

def test_network_of_each_recipient_kind(make_app):
    two = make_app(**TWO_NETWORKS)
    with two.app_context():
        cases = {
            "municipal staff": (SimpleNamespace(role="municipal_staff", network=None), LGWAN),
            "liaison": (SimpleNamespace(role="liaison", network=None), LGWAN),
            "expert": (SimpleNamespace(role="expert", network=None), INTERNET),
            "expert on LGWAN": (SimpleNamespace(role="expert", network="lgwan"), LGWAN),
            "staff on the internet": (SimpleNamespace(role="municipal_staff", network="internet"),
                                      INTERNET),
            "stale override": (SimpleNamespace(role="expert", network="gone"), INTERNET),
            "municipality room": (SimpleNamespace(scope="municipality"), LGWAN),
            "prefecture room": (SimpleNamespace(scope="prefecture"), LGWAN),
            "a role": (Role.EXPERT, INTERNET),
            "nobody known (form service)": (None, LGWAN),  # the first network
        }
        got = {name: absolute("/x", who) for name, (who, _) in cases.items()}
        assert got == {name: base + "/x" for name, (_, base) in cases.items()}
        assert external_url("calendar.feed", Role.EXPERT, token="t") == (
            INTERNET + "/calendar/feed/t.ics")
    # DEFAULT_NETWORK picks the network of recipients of no known network.
    with make_app(DEFAULT_NETWORK="internet", **TWO_NETWORKS).app_context():
        assert absolute("/x") == INTERNET + "/x"
    # No setting: one network, BASE_URL, for everyone (as before).
    with make_app().app_context():
        for who in (SimpleNamespace(role="expert", network="internet"), Role.STAFF, None):
            assert network_of(who) == "default" and absolute("/x", who) == (
                "http://127.0.0.1:5000/x")


def test_network_settings_from_the_environment_and_refused_when_wrong(make_app):
    env = env_overrides({
        "SUPPORTDESK_NETWORKS": f"lgwan={LGWAN}, internet={INTERNET}",
        "SUPPORTDESK_ROLE_NETWORKS": "expert=internet,liaison=internet",
        "SUPPORTDESK_HOSTS": "desk-probe.internal, .alt.example.jp",
        "SUPPORTDESK_ADMIN_HOSTS": LGWAN_HOST,
        "SUPPORTDESK_ADMIN_NETWORKS": "10.0.0.0/8, 192.168.1.0/24"})
    cfg = make_app(**env).config
    assert cfg["NETWORKS"] == {"lgwan": LGWAN, "internet": INTERNET}
    assert cfg["ROLE_NETWORKS"] == {"expert": "internet", "liaison": "internet"}
    assert [str(n) for n in cfg["ADMIN_NETWORKS"]] == ["10.0.0.0/8", "192.168.1.0/24"]
    assert set(cfg["TRUSTED_HOSTS"]) == {LGWAN_HOST, INTERNET_HOST, "desk-probe.internal",
                                         ".alt.example.jp", "localhost", "127.0.0.1"}
    for bad in ({"ADMIN_NETWORKS": "10.0.0.0/33"}, {"NETWORKS": "lgwan"},
                {"NETWORKS": {"lgwan": "desk.lg.jp"}}):
        with pytest.raises(ConfigurationError, match="Network settings"):
            make_app(**bad)


# --- every channel, per recipient ----------------------------------------------------------

def test_each_channel_builds_its_links_for_the_recipients_network(app, client, login_as, smtp):
    staff = make_staff("佐用町", info_dept=True, email="joho@town.sayo.example.jp")
    expert = make_expert(name="鈴木専門", email="suzuki@expert.example.jp")
    expert_on_lgwan = make_expert(name="田中専門", email="tanaka@expert.example.jp",
                                  network="lgwan")
    room = make_room(municipality_name="佐用町")
    liaison = make_liaison("西播磨")
    sreq = make_request(staff, kind="lecture", liaison=liaison, state="triage")
    db.session.query(OutboxMessage).delete()
    db.session.query(InAppNotification).delete()
    db.session.commit()
    start = utcnow().replace(microsecond=0) + timedelta(days=10)
    # The staff member's lecture request: the visit's filer (MUNICIPALITY), the experts
    # (ATTENDEES) and the municipality's room hear the confirmation.
    visit = create_visit(liaison, kind="lecture", title="講座", starts_at=start, sreq=sreq,
                         ends_at=start + timedelta(hours=2), municipalities=[municipality("佐用町")],
                         attendees=[expert, expert_on_lgwan], confirm=True, venue="役場",
                         now=utcnow())
    db.session.commit()
    expected = {staff.id: LGWAN_HOST, expert.id: INTERNET_HOST, expert_on_lgwan.id: LGWAN_HOST}

    mails = {r.user_id: r for r in db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.channel == "email", OutboxMessage.event_type == "visit.confirmed"))}
    assert set(mails) == set(expected)
    for uid, host in expected.items():
        assert urlsplit(mails[uid].link).hostname == host
        assert hosts_in(mails[uid].body) == {host} and hosts_in(mails[uid].html) == {host}
    bell = {n.user_id: n.link for n in db.session.scalars(sa.select(InAppNotification))}
    assert {uid: urlsplit(link).hostname for uid, link in bell.items()} == expected
    # The bell opens the link on whatever host the user is on.
    login_as(expert)
    [note] = [n for n in db.session.scalars(sa.select(InAppNotification))
              if n.user_id == expert.id]
    assert client.post(f"/notifications/{note.id}/open").headers["Location"] == (
        f"/visits/{visit.id}")
    [chat] = db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.channel == "webhook", OutboxMessage.room_id == room.id)).all()
    assert urlsplit(chat.link).hostname == LGWAN_HOST == urlsplit(chat.payload["link"]).hostname
    assert hosts_in(chat.body) == {LGWAN_HOST}

    # Delivered through the real SMTP server: each mailbox gets its own network's link.
    drain(now=utcnow() + timedelta(days=5))
    delivered = {to[0]: mail for to, mail in smtp.sink.messages}
    for user in (staff, expert, expert_on_lgwan):
        mail = delivered[user.email]
        text, html = (mail.get_body((kind,)).get_content() for kind in ("plain", "html"))
        assert hosts_in(text) == hosts_in(html) == {expected[user.id]}, user.email

    # iCalendar: the feed URL shown to the user and the visit's URL inside the feed.
    for user in (staff, expert):
        cal = icalendar.Calendar.from_ical(build_feed(user))
        [event] = cal.walk("VEVENT")
        assert str(event["url"]) == absolute(f"/visits/{visit.id}", user)
        assert urlsplit(str(event["url"])).hostname == expected[user.id]
        login_as(user)
        page = client.post("/calendar/feed", data={"op": "rotate"}).get_data(as_text=True)
        feed_url = page.split('data-testid="feed-url"')[0].rsplit('value="', 1)[1].split('"')[0]
        assert urlsplit(feed_url).hostname == expected[user.id]


# --- Host header ---------------------------------------------------------------------------

def test_unknown_host_is_refused_and_a_reset_link_never_follows_the_request(app, client, smtp):
    user = make_staff(email="taro@town.sayo.example.jp")
    evil = client.post("/password/forgot", data={"email": user.email},
                       headers={"Host": "evil.example"})
    assert evil.status_code == 400
    assert "このホスト名では" in evil.get_data(as_text=True)
    assert client.get("/api/v1/requests", headers={"Host": "evil.example"}).status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0

    # Through the internet name (served) with a forged X-Forwarded-Host: the staff member's
    # link is still on the LGWAN name, from the configuration.
    ok = client.post("/password/forgot", data={"email": user.email}, base_url=INTERNET,
                     headers={"X-Forwarded-Host": "evil.example"})
    assert ok.status_code == 302
    drain()
    [(to, mail)] = smtp.sink.messages
    text = mail.get_body(("plain",)).get_content()
    assert to == [user.email] and hosts_in(text) == {LGWAN_HOST}
    assert f"{LGWAN}/password/reset/" in text


def test_default_configuration_serves_loopback_only(make_app):
    client = make_app().test_client()
    for host, status in (("localhost", 200), ("127.0.0.1:5000", 200), ("evil.example", 400)):
        assert client.get("/login", headers={"Host": host}).status_code == status, host
    served = make_app(HOSTS=".alt.example.jp", **TWO_NETWORKS).test_client()
    for host, status in ((LGWAN_HOST, 200), (INTERNET_HOST + ":443", 200),
                         ("a.alt.example.jp", 200), ("alt.example.jp.evil.example", 400)):
        assert served.get("/login", headers={"Host": host}).status_code == status, host


# --- the admin area ------------------------------------------------------------------------

def login(client, user, base, addr):
    return client.post("/login", data={"email": user.email, "password": PASSWORD},
                       base_url=base, environ_base={"REMOTE_ADDR": addr})


def test_admin_pages_and_admin_login_only_in_the_admin_zone(make_app):
    app = make_app(ADMIN_HOSTS=LGWAN_HOST, ADMIN_NETWORKS="10.0.0.0/8", **TWO_NETWORKS)
    with app.app_context():
        admin, staff = make_user("admin", email="admin@pref.example.jp"), make_staff()
        inside, outside = app.test_client(), app.test_client()
        assert login(inside, admin, LGWAN, "10.1.2.3").status_code == 302
        assert inside.get("/admin/users", base_url=LGWAN,
                          environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200
        # Same session, from an address outside the range: the admin area does not exist.
        assert inside.get("/admin/users", base_url=LGWAN,
                          environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 404
        # Admin login through the internet name is refused, with the right password.
        resp = login(outside, admin, INTERNET, "10.1.2.3")
        assert resp.status_code == 200 and "管理者アカウントは" in resp.get_data(as_text=True)
        assert outside.get("/account/password", base_url=INTERNET).status_code == 302
        assert outside.get("/admin/users", base_url=INTERNET).status_code == 404
        assert db.session.scalar(sa.select(AuditLog.actor_id).where(
            AuditLog.action == "login.admin_zone_refused")) == admin.id
        # Everyone else logs in anywhere.
        assert login(outside, staff, INTERNET, "203.0.113.9").status_code == 302
        assert outside.get("/account/password", base_url=INTERNET).status_code == 200

    # Behind a proxy (TRUSTED_PROXIES) the client address is X-Forwarded-For's.
    proxied = make_app(ADMIN_NETWORKS="10.0.0.0/8", TRUSTED_PROXIES=1)
    with proxied.app_context():
        admin = db.session.scalar(sa.select(User).where(User.role == "admin"))
        client = proxied.test_client()
        assert client.post("/login", data={"email": admin.email, "password": PASSWORD},
                           headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 200
        assert client.post("/login", data={"email": admin.email, "password": PASSWORD},
                           headers={"X-Forwarded-For": "10.9.9.9"}).status_code == 302


def test_admin_sets_a_users_network(app, client, login_as):
    admin, expert = make_user("admin"), make_expert(name="鈴木専門")
    login_as(admin)
    page = client.get(f"/admin/users/{expert.id}").get_data(as_text=True)
    assert 'name="network"' in page and "lgwan" in page and "internet" in page
    form = {"email": expert.email, "display_name": expert.display_name, "role": "expert",
            "municipality_id": 0, "locale": "ja", "active": "y", "network": "lgwan"}
    assert client.post(f"/admin/users/{expert.id}", data=form).status_code == 302
    db.session.refresh(expert)
    assert expert.network == "lgwan" and absolute("/x", expert) == LGWAN + "/x"
    audit = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "user.updated"))
    assert audit.detail["changes"]["network"] == [None, "lgwan"]
    assert client.post(f"/admin/users/{expert.id}",
                       data={**form, "network": "nowhere"}).status_code == 200
    assert client.post(f"/admin/users/{expert.id}", data={**form, "network": ""}).status_code == 302
    db.session.refresh(expert)
    assert expert.network is None
    with pytest.raises(ValidationFailed):
        update_user(admin, expert, network="nowhere")
