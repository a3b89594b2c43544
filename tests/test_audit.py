"""The audit log: admin changes are recorded, rows cannot be changed, only admins read them."""
import pytest
import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import AuditLog, Region
from supportdesk.models.audit import AppendOnlyError
from supportdesk.services.audit import record_audit
from supportdesk.services.accounts.users import (create_user, save_expert_profile, save_theme,
                                        update_municipality_profile, update_user)
from tests.factories import (make_expert, make_liaison, make_staff, make_user, municipality,
                             theme)


def rows(action):
    return db.session.scalars(sa.select(AuditLog).where(AuditLog.action == action)).all()


def test_admin_changes_to_users_and_roles_are_audited(app):
    admin = make_user("admin")
    user = create_user(admin, email="New.Person@Town.example.jp", display_name="新任 職員",
                       role="municipal_staff", password="a long enough passphrase",
                       municipality_id=municipality("佐用町").id)
    db.session.commit()
    [created] = rows("user.created")
    assert (created.actor_id, created.target_type, created.target_id) == (
        admin.id, "User", str(user.id))
    assert "passphrase" not in repr(created.detail)
    nishiharima = db.session.scalar(sa.select(Region).where(Region.name == "西播磨"))
    update_user(admin, user, role="liaison", region_ids=[nishiharima.id])
    update_user(admin, user, active=False)
    update_user(admin, user, display_name=user.display_name)  # no change, no row
    db.session.commit()
    role_change, deactivation = rows("user.updated")
    assert role_change.detail["changes"]["role"] == ["municipal_staff", "liaison"]
    assert role_change.detail["changes"]["region_ids"] == [[], [nishiharima.id]]
    assert deactivation.detail["changes"]["active"] == [True, False]
    assert {r.actor_id for r in (role_change, deactivation)} == {admin.id}


def test_admin_password_reset_is_audited_without_the_password(app):
    admin = make_user("admin")
    user = make_staff()
    update_user(admin, user, password="reset by the admin 2026")
    db.session.commit()
    [row] = rows("user.updated")
    assert row.detail["password_reset"] is True
    assert "reset by the admin" not in repr(row.detail)


def test_theme_profile_and_expert_changes_are_audited(app):
    admin = make_user("admin")
    liaison = make_liaison("西播磨")
    created = save_theme(admin, code="new-theme", name_ja="新しい分野", name_en="New",
                         sort_order=99, active=True)
    save_theme(admin, theme("ai_rpa"), code="ai_rpa", name_ja="AI・RPA(改)", name_en="AI",
               sort_order=1, active=True)
    update_municipality_profile(liaison, municipality("佐用町"), dx_step="2", cio_appointed=True)
    expert = make_expert()
    save_expert_profile(admin, expert, kind="県職員", theme_ids=[created.id])
    db.session.commit()
    assert [r.target_id for r in rows("theme.created")] == [str(created.id)]
    [updated] = rows("theme.updated")
    assert updated.detail["after"]["name_ja"] == "AI・RPA(改)"
    [profile] = rows("municipality.profile_updated")
    assert profile.actor_id == liaison.id
    assert profile.target_id == str(municipality("佐用町").id)
    assert profile.detail["changes"]["dx_step"][1] == 2
    assert rows("expert_profile.saved")[0].actor_id == admin.id


def test_audit_rows_cannot_be_changed_or_deleted_through_the_orm(app):
    record_audit("test.event", now=None, note="original")
    db.session.commit()
    entry = db.session.scalar(sa.select(AuditLog))
    entry.action = "tampered"
    with pytest.raises(AppendOnlyError):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.scalar(sa.select(AuditLog)))
    with pytest.raises(AppendOnlyError):
        db.session.flush()
    db.session.rollback()
    for stmt in (sa.update(AuditLog).values(action="tampered"), sa.delete(AuditLog),
                 sa.update(AuditLog.__table__).values(action="tampered"),
                 sa.delete(AuditLog.__table__)):
        with pytest.raises(AppendOnlyError):
            db.session.execute(stmt)
        db.session.rollback()
    assert db.session.scalars(sa.select(AuditLog.action)).all() == ["test.event"]


@pytest.mark.parametrize("role", ["municipal_staff", "liaison", "expert", "manager"])
def test_audit_page_is_refused_to_every_role_but_admin(app, login_as, role):
    user = make_liaison() if role == "liaison" else make_user(role)
    client = login_as(user)
    assert client.get("/admin/audit").status_code == 403


def test_admin_reads_the_audit_page(app, client, login_as):
    assert client.get("/admin/audit").status_code == 302  # anonymous: to the login page
    victim = make_staff()
    client.post("/login", data={"email": victim.email, "password": "wrong password here"})
    login_as(make_user("admin"))
    resp = client.get("/admin/audit")
    assert resp.status_code == 200
    body = resp.get_data(as_text=True)
    assert "login.failure" in body and "login.success" in body
    assert victim.email in body
    assert "login.failure" not in client.get("/admin/audit?action=login.success").get_data(
        as_text=True)


def test_a_probe_for_another_municipalitys_request_is_a_404_and_an_audit_row(app, client,
                                                                               login_as):
    """Staff of 佐用町 guess the URL of 上郡町's request, in the UI and through the API."""
    from supportdesk.services.accounts.api_tokens import create_token
    from tests.factories import make_request

    theirs = make_request(make_staff("上郡町"), title="上郡町の内部の相談")
    prober = make_staff("佐用町")
    _token, clear = create_token(prober, name="rpa", scope="read")
    db.session.commit()
    login_as(prober)
    resp = client.get(f"/requests/{theirs.id}")
    assert resp.status_code == 404 and "上郡町の内部の相談" not in resp.get_data(as_text=True)
    api = app.test_client().get(f"/api/v1/requests/{theirs.id}",
                                headers={"Authorization": f"Bearer {clear}"})
    assert api.status_code == 404 and "上郡町" not in api.get_data(as_text=True)
    db.session.expire_all()
    denied = rows("access.denied")
    assert [(r.actor_id, r.detail["method"], r.detail["path"]) for r in denied] == [
        (prober.id, "GET", f"/requests/{theirs.id}"),
        (prober.id, "GET", f"/api/v1/requests/{theirs.id}")]
    assert all("view" in r.detail["reason"] for r in denied)
    # Their own municipality's request is no probe: nothing more is written.
    mine = make_request(prober, title="佐用町の相談")
    assert client.get(f"/requests/{mine.id}").status_code == 200
    assert len(rows("access.denied")) == 2
