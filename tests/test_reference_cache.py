"""Reference lists (themes, municipalities, regions, liaisons, 定型文) are cached per process,
and an admin's change shows at once, in this process and in every other one."""
import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import ReferenceVersion
from tests.factories import PASSWORD, make_liaison, make_user, theme


def _login(client, user):
    email = user if isinstance(user, str) else user.email
    assert client.post("/login", data={"email": email, "password": PASSWORD}).status_code == 302


def _statements(engine):
    seen = []
    sa.event.listen(engine, "before_cursor_execute",
                    lambda conn, cur, stmt, *a: seen.append(stmt))
    return seen


def test_admin_change_shows_at_once_in_another_process(app, make_app, client):
    liaison = make_liaison("西播磨")
    admin = make_user("admin")
    t = theme("frontyard")
    old_name, theme_id, name_en, sort_order = t.name_ja, t.id, t.name_en, t.sort_order
    liaison, admin = liaison.email, admin.email
    db.session.rollback()  # end this worker's transaction (SQLite: it holds the write lock)
    other = make_app()  # a second worker on the same database, with its own cache
    reader = other.test_client()
    _login(reader, liaison)
    assert old_name in reader.get("/queue/").get_data(as_text=True)
    with other.app_context():
        seen = _statements(db.engine)
        reader.get("/queue/")
    assert not [s for s in seen if s.lstrip().startswith("SELECT themes.")], \
        "the second view reads the themes from the cache"

    _login(client, admin)
    resp = client.post(f"/admin/themes/{theme_id}", data={
        "code": "frontyard", "name_ja": "書かない窓口(改称)", "name_en": name_en,
        "sort_order": sort_order, "active": "y"})
    assert resp.status_code == 302
    db.session.rollback()  # the fixture's app context outlives the request: end its read
    page = reader.get("/queue/").get_data(as_text=True)
    assert "書かない窓口(改称)" in page and old_name not in page


def test_a_new_liaison_is_offered_at_once_and_a_rolled_back_change_is_not(app, client):
    from supportdesk.services.accounts.users import create_user

    admin = make_user("admin")
    _login(client, make_user("manager"))
    assert "新任リエゾン" not in client.get("/queue/").get_data(as_text=True)
    create_user(admin, email="new-liaison@test.example.jp", display_name="没リエゾン",
                role="liaison", region_ids=[])
    db.session.rollback()  # the admin's form failed later: nothing to show, nothing cached
    assert "没リエゾン" not in client.get("/queue/").get_data(as_text=True)
    create_user(admin, email="new-liaison@test.example.jp", display_name="新任リエゾン",
                role="liaison", region_ids=[])
    db.session.commit()
    assert "新任リエゾン" in client.get("/queue/").get_data(as_text=True)
    assert db.session.scalar(sa.select(ReferenceVersion.version)) >= 1
