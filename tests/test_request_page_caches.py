"""What the request page keeps per process (services/reference.py `derived`, the chat copy's
texts) shows a change at once, and never crosses readers, municipalities or languages."""
import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import CatalogueEntry, Municipality
from supportdesk.services.catalogue import save_entry
from supportdesk.services.reference import bump_reference_version
from tests.factories import advance_request, make_liaison, make_request, make_user


def _support_section(html):
    assert 'id="support"' in html
    return html.split('id="support"', 1)[1].split("</section>", 1)[0]


def _chat_copy(html):
    return html.split('id="chat-copy-text"', 1)[1].split("</textarea>", 1)[0]


def test_support_form_shows_an_admins_change_at_once_in_each_readers_language(client, login_as):
    liaison = make_liaison("西播磨", name="日本語のリエゾン")
    english = make_liaison("西播磨", name="English liaison", locale="en")
    sreq = make_request(municipality_name="佐用町", assignee=liaison)
    url = f"/requests/{sreq.id}"
    login_as(liaison)
    form = _support_section(client.get(url).get_data(as_text=True))
    assert "専門的な助言" in form and "Expert advice" not in form
    assert ">佐用町</option>" in form

    login_as(english)
    form = _support_section(client.get(url).get_data(as_text=True))
    assert "Expert advice" in form and "専門的な助言" not in form

    admin = make_user("admin")
    advice = db.session.scalar(sa.select(CatalogueEntry).where(CatalogueEntry.key == "advice"))
    save_entry(admin, advice, name_ja="専門家による助言", name_en="Advice from an expert",
               sort_order=advice.sort_order, active=True)
    db.session.commit()
    form = _support_section(client.get(url).get_data(as_text=True))
    assert "Advice from an expert" in form and "専門家による助言" not in form

    login_as(liaison)
    form = _support_section(client.get(url).get_data(as_text=True))
    assert "専門家による助言" in form and "専門的な助言" not in form
    assert "Advice from an expert" not in form

    # A municipality renamed (a manual fix, with the version bumped): the next page says it.
    db.session.get(Municipality, sreq.municipality_id).name = "新佐用町"
    bump_reference_version()
    db.session.commit()
    form = _support_section(client.get(url).get_data(as_text=True))
    assert ">新佐用町</option>" in form and ">佐用町</option>" not in form


def test_reply_form_offers_the_internal_note_only_to_whom_the_table_allows(client, login_as):
    liaison = make_liaison("西播磨")
    sreq = make_request(municipality_name="佐用町", assignee=liaison)
    staff = sreq.filer
    url = f"/requests/{sreq.id}"
    login_as(liaison)
    html = client.get(url).get_data(as_text=True)
    assert 'name="internal"' in html and 'name="body"' in html
    login_as(staff)  # the same cached fields, without the internal note's box
    html = client.get(url).get_data(as_text=True)
    assert 'name="body"' in html and 'name="internal"' not in html
    assert 'id="support"' not in html
    login_as(liaison)
    assert 'name="internal"' in client.get(url).get_data(as_text=True)


def test_chat_copy_follows_the_request_at_once_and_is_each_requests_own(client, login_as):
    liaison = make_liaison("西播磨", name="担当の人")
    a = make_request(municipality_name="佐用町")
    b = make_request(municipality_name="たつの市")
    login_as(liaison)
    first = _chat_copy(client.get(f"/requests/{a.id}").get_data(as_text=True))
    assert a.number in first and "佐用町" in first and "担当の人" not in first
    other = _chat_copy(client.get(f"/requests/{b.id}").get_data(as_text=True))
    assert b.number in other and "たつの市" in other and a.number not in other

    advance_request(a, "triage", liaison)
    a.assignee = liaison
    db.session.commit()
    after = _chat_copy(client.get(f"/requests/{a.id}").get_data(as_text=True))
    assert after != first and "担当の人" in after and a.number in after


def test_case_picker_shows_a_new_case_at_once_escaped(client, login_as):
    from supportdesk.services.cases import save_case

    liaison = make_liaison("西播磨")
    sreq = make_request(municipality_name="佐用町", assignee=liaison)
    url = f"/requests/{sreq.id}"
    login_as(liaison)
    before = client.get(url).get_data(as_text=True)
    assert 'id="case-id"' in before and "<b>窓口" not in before
    case = save_case(liaison, title="<b>窓口</b>のDX", organisation="佐用町",
                     summary="書かない窓口")
    db.session.commit()
    picker = client.get(url).get_data(as_text=True).split('id="case-id"', 1)[1].split(
        "</select>", 1)[0]
    assert f'<option value="{case.id}">&lt;b&gt;窓口&lt;/b&gt;のDX【佐用町】</option>' in picker
    assert "<b>" not in picker


def test_request_page_names_its_themes_and_co_applicants_a_retired_theme_too(client, login_as):
    from supportdesk.models import Theme
    from supportdesk.services.accounts.users import save_theme

    liaison = make_liaison("西播磨")
    sreq = make_request(kind="lecture", municipality_name="佐用町", themes=("security", "ai_rpa"),
                        co=("たつの市",), assignee=liaison)
    security = db.session.scalar(sa.select(Theme).where(Theme.code == "security"))
    ai = db.session.scalar(sa.select(Theme).where(Theme.code == "ai_rpa"))
    login_as(liaison)
    url = f"/requests/{sreq.id}"
    html = client.get(url).get_data(as_text=True)
    first, second = sorted((security, ai), key=lambda t: (t.sort_order, t.id))
    assert f"<dd>{first.name_ja}、{second.name_ja}</dd>" in html
    assert "佐用町・たつの市" in html.split('class="meta"', 1)[1].split("</p>", 1)[0]
    save_theme(make_user("admin"), security, code="security", name_ja="情報セキュリティ(旧)",
               active=False)
    db.session.commit()
    html = client.get(url).get_data(as_text=True)
    assert "情報セキュリティ(旧)" in html and ai.name_ja in html
