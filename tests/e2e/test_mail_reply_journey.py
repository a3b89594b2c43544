"""Browser (Chromium): a liaison answers a consultation in the desk; the staff member, who lives
in her mail client, answers the notification mail (ISO-2022-JP, with the quote and her
signature); the MTA pipes it to `flask mail-in`; the liaison finds the request at the top of
her queue (newest activity first) and reads the reply, marked as received by mail, with the original beside it."""
from datetime import timedelta

import pytest

from supportdesk.extensions import db
from supportdesk.notifications.outbox import drain
from supportdesk.timeutil import utcnow
from tests.e2e.helpers import login
from tests.factories import make_liaison, make_request, make_staff
from tests.mail_helpers import build_mail
from tests.notify_helpers import notify_config

pytestmark = pytest.mark.e2e


@pytest.fixture
def live_app(make_app, smtp):
    return make_app(WTF_CSRF_ENABLED=True, **notify_config(
        smtp.port, MAIL_REPLY_DOMAIN="reply.desk.example.lg.jp"))


def test_a_mail_reply_reaches_the_liaisons_queue(live_app, live_server, browser_page, smtp):
    with live_app.app_context():
        liaison = make_liaison("西播磨")
        staff = make_staff("佐用町", email="fukushi@town.sayo.example.lg.jp")
        older = make_request(staff, liaison=liaison, state="triage", title="前からある相談")
        sreq = make_request(staff, liaison=liaison, state="triage", title="児童手当の電子申請")
        make_request(staff, liaison=liaison, state="triage", title="後から来た相談")
        ids = dict(sreq=sreq.id, number=sreq.number, liaison=liaison.email, staff=staff.email,
                   older=older.id)
        db.session.commit()
    page = browser_page
    login(page, live_server, ids["liaison"])
    page.goto(f"{live_server}/requests/{ids['sreq']}")
    page.fill("#body", "様式の案をお送りします。ご確認ください。")
    page.click("[data-testid=send-comment]")
    page.wait_for_selector("text=様式の案をお送りします。")

    with live_app.app_context():
        drain(now=utcnow() + timedelta(days=5))
        # Her mails about this request (the liaison's reply is the last one).
        mails = [m for rcpts, m in smtp.sink.messages if ids["staff"] in rcpts
                 and (m["Reply-To"] or "").split("+")[-1].split(".")[1:2] == [str(ids["sreq"])]]
        mail = mails[-1]
        assert "様式の案をお送りします" in mail.get_body(("plain",)).get_content()
        reply_to = mail["Reply-To"]
        raw = build_mail(
            frm=f"佐用町 福祉 <{ids['staff']}>", to=reply_to, charset="iso-2022-jp",
            subject="Re: " + str(mail["Subject"]),
            body="確認しました。来週、課内で回覧します。\n\n-- \n佐用町 健康福祉課\n\n"
                 "2026年12月3日(木) 10:15 市町DX支援デスク <desk@pref.example.jp>:\n"
                 "> 様式の案をお送りします。ご確認ください。\n")
        result = live_app.test_cli_runner().invoke(args=["mail-in"], input=raw)
        assert result.exit_code == 0 and "comment" in result.output, result.output

    # The queue, newest activity first: the 更新 column, clicked twice (▲ then ▼).
    page.goto(f"{live_server}/queue/")
    page.click("th a:has-text('更新')")
    page.wait_for_selector("th[aria-sort=ascending] >> text=更新")
    page.click("th a:has-text('更新')")
    page.wait_for_selector("th[aria-sort=descending] >> text=更新")
    first = page.locator("tbody tr").first
    assert first.get_attribute("data-request-id") == str(ids["sreq"])
    first.locator("td.title a").click()
    page.wait_for_selector("text=確認しました。来週、課内で回覧します。")
    comment = page.locator("li.comment").filter(has_text="確認しました。")
    assert comment.locator("[data-testid=by-mail]").inner_text() == "メールで返信"
    assert comment.locator("a:has-text('受信メールの原本')").count() == 1
    text = comment.inner_text()
    assert "> 様式の案" not in text and "健康福祉課" not in text  # quote and signature cut
