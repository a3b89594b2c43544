"""Reference lists (themes, municipalities, regions, liaisons, 定型文) are cached per process,
and an admin's change shows at once, in this process and in every other one."""
import re

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


def _bulk_fieldset(page):
    start = page.index('<fieldset class="card bulk-actions"')
    return page[start:page.index("</fieldset>", start)]


def test_the_bulk_actions_kept_per_process_show_a_new_liaison_and_template_at_once(app, client):
    """The queue's bulk-action fieldset is rendered once per language, set of actions and
    reference version (views/queue.py _bulk_actions): an admin's new liaison and new 定型文
    are in its pickers on the next view."""
    from supportdesk.services.accounts.users import create_user
    from supportdesk.services.requests.conversation import save_reply_template

    admin = make_user("admin")
    _login(client, make_liaison("西播磨"))
    first = _bulk_fieldset(client.get("/queue/").get_data(as_text=True))
    assert "新任リエゾン" not in first and "会議日程の確認" not in first
    assert first == _bulk_fieldset(client.get("/queue/").get_data(as_text=True))
    create_user(admin, email="new-liaison@test.example.jp", display_name="新任リエゾン",
                role="liaison", region_ids=[])
    save_reply_template(admin, title="会議日程の確認", body="{番号} の日程を確認します。")
    db.session.commit()
    after = _bulk_fieldset(client.get("/queue/").get_data(as_text=True))
    assert re.search(r'<select id="assignee" name="assignee"[^>]*>.*>新任リエゾン</option>', after,
                     re.S)
    assert re.search(r'<select id="template_id" name="template_id">.*>会議日程の確認</option>',
                     after, re.S)


def test_each_session_gets_its_own_csrf_token_beside_the_kept_bulk_actions(make_app):
    """The kept fieldset holds nothing of a session: the bulk form's token is the viewer's."""
    other = make_app(WTF_CSRF_ENABLED=True)
    with other.app_context():
        liaison = make_liaison("西播磨").email
        manager = make_user("manager").email
        db.session.commit()
    tokens = []
    for email in (liaison, manager):
        c = other.test_client()
        login_page = c.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
        assert c.post("/login", data={"email": email, "password": PASSWORD,
                                      "csrf_token": token}).status_code == 302
        page = c.get("/queue/").get_data(as_text=True)
        form = page[page.index('data-testid="bulk-form">'):page.index("</form>",
                                                                     page.index("bulk-form"))]
        found = re.findall(r'<input [^>]*name="csrf_token"[^>]*value="([^"]+)"', form)
        assert len(found) == 1, form[:300]
        assert "csrf_token" not in _bulk_fieldset(page)
        tokens.append(found[0])
        # The saved-view form's token (written without a form object) is accepted.
        views = page[page.index('action="/queue/views"'):]
        views_token = re.search(r'name="csrf_token" value="([^"]+)"', views).group(1)
        assert c.post("/queue/views", data={"name": "既定", "query": "",
                                            "csrf_token": views_token}).status_code == 302
        assert c.post("/queue/views", data={"name": "既定2", "query": ""}).status_code == 400
        with other.app_context():
            db.session.remove()
    assert tokens[0] != tokens[1]
    from supportdesk.models import SavedView

    with other.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SavedView)
                                 .where(SavedView.name == "既定")) == 2
