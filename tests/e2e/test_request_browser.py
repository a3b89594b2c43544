"""Real browser (Chromium): a lecture is filed with candidate dates; a liaison finds it in the
queue, takes it, assigns an expert and answers with a 定型文 inserted by the page's script; the
municipality sees the reply and the new state."""
import threading

import pytest
from werkzeug.serving import make_server

from supportdesk.extensions import db
from supportdesk.services.requests.conversation import save_reply_template
from tests.factories import PASSWORD, make_expert, make_liaison, make_staff

pytestmark = pytest.mark.e2e
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture
def app(make_app):
    """This journey runs with CSRF protection on, as in production."""
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(10)
    server.server_close()


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _login(browser, base, email):
    context = browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo")
    page = context.new_page()
    errors = []
    # Script errors and CSP violations; missing files are checked by URL (the browser's own
    # favicon.ico request is the one 404 to expect).
    page.on("console", lambda msg: errors.append(msg.text)
            if msg.type == "error" and not msg.text.startswith("Failed to load resource") else None)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
    page.goto(base + "/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_load_state()
    return page, errors


def test_lecture_filed_taken_and_answered_with_a_template(app, live_server, browser):
    staff = make_staff("佐用町")
    liaison = make_liaison("西播磨")
    expert = make_expert("DXアドバイザー", themes=("kaizen_nocode",), name="カイゼン 講師")
    save_reply_template(liaison, title="日程調整のお願い",
                        body="候補日の中から講師の日程を調整します。")
    db.session.commit()
    staff, liaison, expert_id = staff.email, liaison.email, expert.id
    db.session.remove()  # the server threads use their own sessions

    page, staff_errors = _login(browser, live_server, staff)
    page.goto(live_server + "/requests/new")
    page.click("[data-testid=kind-lecture]")
    page.fill("#title", "カイゼンDX講座を開催したい")
    page.select_option("#program", "kaizen")
    page.check("input[name=formats][value=lecture]")
    page.fill("#candidates-0-day", "2099-05-10")
    page.fill("#candidates-0-start", "13:30")
    page.fill("#candidates-0-end", "16:30")
    page.fill("#candidates-1-day", "2099-05-17")
    page.fill("#candidates-1-start", "09:30")
    page.fill("#candidates-1-end", "12:00")
    page.fill("#body", "申請書の転記作業を減らしたい")
    page.click("[data-testid=submit]")
    page.wait_for_selector("[data-testid=request-number]")
    number = page.text_content("[data-testid=request-number]").strip()
    assert number.startswith("R") and page.text_content("[data-testid=state]").strip() == "受付"
    assert "2099-05-10 13:30" in page.text_content("[data-testid=candidates]")
    request_url = page.url

    lpage, liaison_errors = _login(browser, live_server, liaison)
    # The liaison's home is the queue: the new request is there, oldest first.
    assert lpage.url.rstrip("/").endswith("/queue")
    lpage.click(f"tr:has-text('{number}') >> a:has-text('カイゼンDX講座を開催したい')")
    lpage.wait_for_url(request_url)
    lpage.click("[data-testid=action-triage] button")
    lpage.wait_for_selector("text=調整中")
    lpage.check(f"input[name=expert_ids][value='{expert_id}']")
    lpage.click("text=選んだ人材に派遣を依頼")
    lpage.wait_for_selector("[data-testid=assignments]")
    assert "カイゼン 講師" in lpage.text_content("[data-testid=assignments]")
    # The template script is deferred: under load the element can exist before it runs.
    lpage.wait_for_load_state("load")
    lpage.select_option("[data-testid=template-select]", label="日程調整のお願い")
    assert lpage.input_value("#body") == "候補日の中から講師の日程を調整します。"
    lpage.click("[data-testid=send-comment]")
    lpage.wait_for_selector("text=返信を送りました。")

    page.reload()
    assert page.text_content("[data-testid=state]").strip() == "調整中"
    assert "候補日の中から講師の日程を調整します。" in page.text_content("[data-testid=comments]")
    assert staff_errors == [] and liaison_errors == []  # no CSP violations or script errors
