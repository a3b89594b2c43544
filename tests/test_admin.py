"""Admin pages: users (create, edit, move, deactivate; never delete), themes, expert profiles,
municipality profiles. Bad input shows a Japanese message right after the field and keeps what
was typed."""
import html
import re

import pytest
import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import AuditLog, RequestEvent, SupportRequest, Theme, User
from supportdesk.models.user import ROLES
from tests.factories import (PASSWORD, make_expert, make_liaison, make_request, make_staff,
                             make_user,
                             municipality, region, theme)

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def field_error(page, field_id):
    """The error message rendered right after the control with this id (None if there is none)."""
    m = re.search(rf'<(input|select|textarea)\b[^>]*\bid="{re.escape(field_id)}"[^>]*>', page)
    assert m, f"no control with id {field_id}"
    rest = page[m.end():]
    if m.group(1) in ("select", "textarea"):
        rest = rest[rest.index(f"</{m.group(1)}>") + len(m.group(1)) + 3:]
    err = re.match(rf'\s*<p class="error" id="{re.escape(field_id)}-error">([^<]*)</p>', rest)
    return html.unescape(err.group(1)) if err else None


def control(page, field_id):
    m = re.search(rf'<(input|select|textarea)\b[^>]*\bid="{re.escape(field_id)}"[^>]*>', page)
    return m.group(0)


def selected_values(page, field_id):
    m = re.search(rf'<select\b[^>]*\bid="{re.escape(field_id)}"[^>]*>(.*?)</select>', page, re.S)
    return re.findall(r'<option selected value="([^"]*)"', m.group(1))


def assert_japanese_error(page, field_id):
    msg = field_error(page, field_id)
    assert msg, f"no error after {field_id}"
    assert JAPANESE.search(msg), msg
    assert f'aria-describedby="{field_id}-error"' in control(page, field_id)
    return msg


def user_by_email(email):
    db.session.expire_all()
    return db.session.scalar(sa.select(User).where(User.email == email))


def user_form(**values):
    data = {"email": "new.person@example.jp", "display_name": "新規 花子", "role": "liaison",
            "municipality_id": "0", "locale": "ja", "active": "y"}
    data.update(values)
    return data


@pytest.fixture
def admin_client(client, login_as):
    admin = make_user("admin")
    login_as(admin)
    client.admin = admin
    return client


# --- users -----------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_create_user_of_every_role(admin_client, role):
    sayo, west = municipality("佐用町"), region("西播磨")
    data = user_form(email=f"{role}@example.jp", role=role, municipality_id=str(sayo.id),
                     region_ids=[str(west.id)], department="総務課", password="a long enough pass")
    resp = admin_client.post("/admin/users/new", data=data)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    user = user_by_email(f"{role}@example.jp")
    assert user.role == role and user.active
    # Only staff keep a municipality; only liaisons keep regions.
    assert user.municipality_id == (sayo.id if role == "municipal_staff" else None)
    assert user.region_ids == ({west.id} if role == "liaison" else set())
    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "user.created",
                                                        AuditLog.target_id == str(user.id)))
    assert entry.actor_id == admin_client.admin.id


def test_staff_without_municipality_gets_error_next_to_field_and_keeps_values(admin_client):
    data = user_form(email="staff.x@example.jp", display_name="市町 次郎", role="municipal_staff",
                     department="企画課")
    resp = admin_client.post("/admin/users/new", data=data)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert assert_japanese_error(page, "municipality_id") == "市町職員には所属市町が必要です。"
    assert 'value="staff.x@example.jp"' in control(page, "email")
    assert 'value="市町 次郎"' in control(page, "display_name")
    assert 'value="企画課"' in control(page, "department")
    assert selected_values(page, "role") == ["municipal_staff"]
    assert user_by_email("staff.x@example.jp") is None


def test_bad_email_and_short_password_messages(admin_client):
    resp = admin_client.post("/admin/users/new", data=user_form(email="not-an-email",
                                                                display_name="",
                                                                password="short"))
    page = resp.get_data(as_text=True)
    assert assert_japanese_error(page, "email") == "メールアドレスの形式が正しくありません。"
    assert 'value="not-an-email"' in control(page, "email")
    assert_japanese_error(page, "display_name")
    assert_japanese_error(page, "password")
    assert "入力内容を確認してください。" in page
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1  # only the admin


def test_duplicate_email_error(admin_client):
    make_staff(email="taken@example.jp")
    resp = admin_client.post("/admin/users/new", data=user_form(email="Taken@example.jp"))
    page = resp.get_data(as_text=True)
    assert assert_japanese_error(page, "email") == "このメールアドレスは既に登録されています。"
    assert 'value="Taken@example.jp"' in control(page, "email")
    # Editing another user onto the same address is refused the same way.
    other = make_liaison(email="other@example.jp")
    resp = admin_client.post(f"/admin/users/{other.id}",
                             data=user_form(email="taken@example.jp", region_ids=["1"]))
    assert field_error(resp.get_data(as_text=True), "email") == "このメールアドレスは既に登録されています。"
    assert user_by_email("other@example.jp") is not None


def test_edit_role_municipality_and_regions(admin_client):
    liaison = make_liaison("西播磨")
    tajima, tamba = region("但馬"), region("丹波")
    data = user_form(email=liaison.email, display_name=liaison.display_name, role="liaison",
                     region_ids=[str(tajima.id), str(tamba.id)], is_team_lead="y")
    assert admin_client.post(f"/admin/users/{liaison.id}", data=data).status_code == 302
    user = user_by_email(liaison.email)
    assert user.region_ids == {tajima.id, tamba.id} and user.is_team_lead
    # The edit page shows the current regions selected.
    page = admin_client.get(f"/admin/users/{liaison.id}").get_data(as_text=True)
    assert set(selected_values(page, "region_ids")) == {str(tajima.id), str(tamba.id)}
    # Liaison -> municipal staff: regions go, a municipality comes.
    toyooka = municipality("豊岡市")
    data.update(role="municipal_staff", municipality_id=str(toyooka.id))
    assert admin_client.post(f"/admin/users/{liaison.id}", data=data).status_code == 302
    user = user_by_email(liaison.email)
    assert (user.role, user.municipality_id, user.region_ids) == \
        ("municipal_staff", toyooka.id, set())


def test_move_and_deactivate_keeps_history_attributed(admin_client, client):
    staff = make_staff("佐用町", department="総務課")
    sayo, kamikawa = municipality("佐用町"), municipality("神河町")
    sreq = make_request(staff, title="RPAの導入相談")
    db.session.add(AuditLog(actor_id=staff.id, action="login.success"))
    db.session.commit()
    staff_id = staff.id

    # April: the contact moves to 神河町 ...
    data = user_form(email=staff.email, display_name=staff.display_name, role="municipal_staff",
                     municipality_id=str(kamikawa.id), department="総務課")
    assert admin_client.post(f"/admin/users/{staff_id}", data=data).status_code == 302
    # ... and later leaves the job: deactivated, not deleted.
    data.pop("active")
    assert admin_client.post(f"/admin/users/{staff_id}", data=data).status_code == 302

    user = user_by_email(staff.email)
    assert user.id == staff_id and user.active is False and user.municipality_id == kamikawa.id
    events = db.session.scalars(
        sa.select(RequestEvent).where(RequestEvent.request_id == sreq.id)).all()
    assert events and {e.actor_id for e in events} == {staff_id}  # filed, submitted, shared
    assert db.session.get(SupportRequest, sreq.id).filer_id == staff_id
    actions = db.session.scalars(
        sa.select(AuditLog.action).where(AuditLog.actor_id == staff_id)).all()
    assert "login.success" in actions
    changes = [e.detail["changes"] for e in db.session.scalars(
        sa.select(AuditLog).where(AuditLog.action == "user.updated",
                                  AuditLog.target_id == str(staff_id)).order_by(AuditLog.id))]
    assert changes[0]["municipality_id"] == [sayo.id, kamikawa.id]
    assert changes[1]["active"] == [True, False]
    # The list still shows them, marked inactive.
    listing = admin_client.get("/admin/users?q=" + staff.email).get_data(as_text=True)
    assert staff.email in listing and "無効" in listing
    # A deactivated account cannot log in.
    admin_client.post("/logout")
    resp = client.post("/login", data={"email": staff.email, "password": PASSWORD})
    assert resp.status_code != 302


def test_no_route_deletes_users(app, admin_client):
    # The one DELETE route removes the caller's own saved queue view (API), never a user.
    deleting = {r.endpoint for r in app.url_map.iter_rules() if "DELETE" in r.methods}
    assert deleting == {"api.delete_saved_view"}
    for rule in app.url_map.iter_rules():
        if "/users" in rule.rule:
            assert "delete" not in rule.rule.lower(), rule
    staff = make_staff()
    assert admin_client.post(f"/admin/users/{staff.id}/delete").status_code in (404, 405)
    assert user_by_email(staff.email) is not None


# --- themes ----------------------------------------------------------------------------------

def test_theme_create_and_edit(admin_client):
    data = {"code": "metaverse", "name_ja": "メタバース", "name_en": "Metaverse",
            "sort_order": "500", "active": "y"}
    assert admin_client.post("/admin/themes/new", data=data).status_code == 302
    created = theme("metaverse")
    assert (created.name_ja, created.sort_order, created.active) == ("メタバース", 500, True)
    data.update(name_ja="メタバース活用", active="")
    del data["active"]
    assert admin_client.post(f"/admin/themes/{created.id}", data=data).status_code == 302
    db.session.expire_all()
    assert (theme("metaverse").name_ja, theme("metaverse").active) == ("メタバース活用", False)
    assert "メタバース活用" in admin_client.get("/admin/themes").get_data(as_text=True)


def test_theme_duplicate_code_error_next_to_field(admin_client):
    existing = db.session.scalar(sa.select(Theme).order_by(Theme.id).limit(1))
    data = {"code": existing.code, "name_ja": "重複", "name_en": "Duplicate", "sort_order": "1"}
    page = admin_client.post("/admin/themes/new", data=data).get_data(as_text=True)
    assert assert_japanese_error(page, "code") == "このコードは既に使われています。"
    assert f'value="{existing.code}"' in control(page, "code")
    assert 'value="重複"' in control(page, "name_ja")
    count = db.session.scalar(sa.select(sa.func.count(Theme.id)).where(Theme.code == existing.code))
    assert count == 1


def test_theme_bad_number_keeps_typed_value(admin_client):
    data = {"code": "x1", "name_ja": "分野", "name_en": "Theme", "sort_order": "abc"}
    page = admin_client.post("/admin/themes/new", data=data).get_data(as_text=True)
    assert_japanese_error(page, "sort_order")
    assert 'value="abc"' in control(page, "sort_order")
    assert theme("x1") is None


# --- expert profiles -------------------------------------------------------------------------

def test_expert_profile_edit(admin_client):
    expert = make_expert(kind="DXアドバイザー", themes=())
    listing = admin_client.get("/admin/experts").get_data(as_text=True)
    assert expert.display_name in listing
    ai, gen = theme("ai_rpa"), theme("generative_ai")
    data = {"kind": "国のDXアドバイザー", "home_region_id": str(region("但馬").id),
            "organisation": "デジタル庁", "theme_ids": [str(ai.id), str(gen.id)], "bio": "紹介文",
            "available": "y"}
    assert admin_client.post(f"/admin/experts/{expert.id}", data=data).status_code == 302
    db.session.expire_all()
    profile = db.session.get(User, expert.id).expert_profile
    assert profile.kind == "国のDXアドバイザー" and profile.home_region.name == "但馬"
    assert {t.code for t in profile.themes} == {"ai_rpa", "generative_ai"}
    page = admin_client.get(f"/admin/experts/{expert.id}").get_data(as_text=True)
    assert set(selected_values(page, "theme_ids")) == {str(ai.id), str(gen.id)}
    # Unknown kind: a Japanese message, nothing saved.
    data["kind"] = "宇宙人"
    page = admin_client.post(f"/admin/experts/{expert.id}", data=data).get_data(as_text=True)
    assert_japanese_error(page, "kind")
    # A user who is not an expert has no expert profile page.
    assert admin_client.get(f"/admin/experts/{make_staff().id}").status_code == 404


def test_expert_without_profile_gets_one(admin_client):
    expert = make_user("expert")
    data = {"kind": "先行市町職員", "home_region_id": "0", "theme_ids": []}
    assert admin_client.post(f"/admin/experts/{expert.id}", data=data).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, expert.id).expert_profile.kind == "先行市町職員"


# --- municipality profiles -------------------------------------------------------------------

PROFILE = {"population_band": "5万人未満", "dx_staff_band": "2", "cio_appointed": "y",
           "dx_step": "1", "profile_note": "基幹業務システム標準化の移行中"}


def _assert_profile_saved(name, actor):
    db.session.expire_all()
    m = municipality(name)
    assert (m.population_band, m.dx_staff_band, m.cio_appointed, m.dx_plan_in_place, m.dx_step) == \
        ("5万人未満", "2", True, False, 1)
    assert m.profile_note == PROFILE["profile_note"] and m.profile_updated_at is not None
    entry = db.session.scalar(sa.select(AuditLog).where(
        AuditLog.action == "municipality.profile_updated", AuditLog.target_id == str(m.id)))
    assert entry.actor_id == actor.id


def test_admin_edits_any_municipality_profile(admin_client):
    resp = admin_client.post("/municipalities/28209/profile", data=PROFILE)  # 豊岡市
    assert resp.status_code == 302
    _assert_profile_saved("豊岡市", admin_client.admin)
    assert "基幹業務システム標準化の移行中" in admin_client.get("/municipalities/28209").get_data(as_text=True)


def test_liaison_edits_profile_in_region(client, login_as):
    liaison = make_liaison("西播磨")
    login_as(liaison)
    form = client.get("/municipalities/28501/profile").get_data(as_text=True)
    assert "<label" in form and 'for="dx_step"' in form
    assert client.post("/municipalities/28501/profile", data=PROFILE).status_code == 302
    _assert_profile_saved("佐用町", liaison)


def test_profile_bad_choice_error_next_to_field(client, login_as):
    login_as(make_liaison("西播磨"))
    page = client.post("/municipalities/28501/profile",
                       data=dict(PROFILE, dx_step="9")).get_data(as_text=True)
    assert_japanese_error(page, "dx_step")
    assert 'value="基幹業務システム標準化の移行中"' not in page  # textarea keeps it as content
    assert "基幹業務システム標準化の移行中</textarea>" in page
    assert selected_values(page, "population_band") == ["5万人未満"]
    db.session.expire_all()
    assert municipality("佐用町").dx_step is None


# --- audit trail and accessibility of the forms ------------------------------------------------

def test_admin_changes_are_readable_in_the_audit_log(admin_client):
    admin_client.post("/admin/users/new", data=user_form(email="audited@example.jp",
                                                         region_ids=[str(region("淡路").id)]))
    user = user_by_email("audited@example.jp")
    data = user_form(email=user.email, role="manager")
    admin_client.post(f"/admin/users/{user.id}", data=data)
    page = admin_client.get("/admin/audit?action=user.").get_data(as_text=True)
    assert "user.created" in page and "user.updated" in page
    assert admin_client.admin.email in page
    # Details are readable: Japanese as typed, HTML-escaped.
    assert "&#34;role&#34;: [&#34;liaison&#34;, &#34;manager&#34;]" in page
    assert "新規 花子" in page
    admin_client.post("/admin/users/new", data=user_form(email="xss@example.jp",
                                                         display_name="<script>x()</script>"))
    page = admin_client.get("/admin/audit?action=user.").get_data(as_text=True)
    assert "<script>x()" not in page and "&lt;script&gt;x()" in page


@pytest.mark.parametrize("url", ["/admin/users/new", "/admin/themes/new",
                                 "/municipalities/28501/profile"])
def test_every_form_control_has_a_bound_label(admin_client, url):
    page = admin_client.get(url).get_data(as_text=True)
    form = page[page.index('<form method="post"'):]
    ids = re.findall(r'<(?:input|select|textarea)\b(?![^>]*type="hidden")[^>]*\bid="([^"]+)"', form)
    assert len(ids) >= 4
    for field_id in ids:
        assert f'<label for="{field_id}"' in form, field_id
