"""Real browser: a liaison pushes an announcement to one region; a municipal user there sees the
bell rise, reads it and downloads its file; a user outside the region sees nothing."""
import pytest

from supportdesk.extensions import db
from tests.e2e.helpers import login
from tests.e2e.notify_fixtures import notify_browser, notify_live_server  # noqa: F401
from tests.factories import make_liaison, make_staff

pytestmark = pytest.mark.e2e
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"


def bell(page, base):
    page.goto(base + "/notifications")
    return int(page.text_content("[data-testid=bell-count]"))


def test_liaison_pushes_to_one_region_and_only_its_users_hear(notify_live_server,  # noqa: F811
                                                               notify_browser):  # noqa: F811
    base = notify_live_server.url
    with notify_live_server.app.app_context():
        liaison = make_liaison("西播磨", name="西播磨 リエゾン")
        inside = make_staff("佐用町", info_dept=True, name="佐用 情報")
        outside = make_staff("豊岡市", info_dept=True, name="豊岡 情報")
        emails = liaison.email, inside.email, outside.email
        db.session.remove()

    inside_page, outside_page, liaison_page = (notify_browser() for _ in range(3))
    dialogs = []
    for page in (inside_page, outside_page, liaison_page):
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    login(inside_page, base, emails[1])
    login(outside_page, base, emails[2])
    assert bell(inside_page, base) == 0 and bell(outside_page, base) == 0

    login(liaison_page, base, emails[0])
    liaison_page.goto(base + "/announcements")
    liaison_page.click("[data-testid=new-announcement]")
    liaison_page.fill("#title", "<script>alert(1)</script>DX研修のご案内")
    liaison_page.select_option("#category", "研修・セミナー")
    liaison_page.fill("#body", "12月に西播磨でカイゼンDX研修を開催します。")
    liaison_page.select_option("#region_ids", label="西播磨")
    liaison_page.set_input_files("#attachments", files=[
        {"name": "研修案内.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    liaison_page.click("[data-testid=send-announcement]")
    liaison_page.wait_for_selector("text=お知らせを送信しました。")
    assert "佐用町" in liaison_page.text_content("table")
    assert "佐用 情報(未読)" in liaison_page.text_content("table")

    assert bell(inside_page, base) == 1
    inside_page.click("[data-testid=bell]")
    inside_page.click("[data-testid=open-notification]")
    inside_page.wait_for_selector("[data-testid=announcement-title]")
    assert "DX研修のご案内" in inside_page.text_content("[data-testid=announcement-title]")
    assert "カイゼンDX研修" in inside_page.text_content("main")
    assert int(inside_page.text_content("[data-testid=bell-count]")) == 0
    announcement_url = inside_page.url
    link = inside_page.locator("[data-testid=announcement-attachments] a", has_text="研修案内.pdf")
    file_url = link.get_attribute("href")
    with inside_page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "研修案内.pdf"
    with open(download.value.path(), "rb") as fh:
        assert fh.read() == PDF

    assert bell(outside_page, base) == 0
    outside_page.goto(base + "/announcements")
    assert outside_page.locator("[data-testid=announcement-row]").count() == 0
    response = outside_page.goto(announcement_url)
    assert response.status == 404
    assert outside_page.request.get(base + file_url).status == 404

    liaison_page.reload()
    assert "佐用 情報(既読" in liaison_page.text_content("table")
    assert dialogs == []
