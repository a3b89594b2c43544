"""Real browser: a liaison makes a CIOフォーラム for two towns and invites their CIOs; both
answer (one sends a substitute, after being told to name them); after the meeting the liaison
records attendance and the minutes with an action item owned by one town, whose CIO closes it."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import Meeting
from supportdesk.timeutil import JST, utcnow
from tests.e2e.helpers import login, logout
from tests.factories import make_contact, make_liaison, make_staff

pytestmark = pytest.mark.e2e


def test_cio_forum_from_invitation_to_a_closed_action_item(live_app, live_server, browser_page):
    base, page = live_server, browser_page
    with live_app.app_context():
        liaison = make_liaison("西播磨", "中播磨", name="播磨 リエゾン")
        sayo = make_staff("佐用町", name="佐用 副町長")
        kami = make_staff("神河町", name="神河 副町長")
        make_contact("佐用町", "cio", name="佐用 副町長", user=sayo)
        make_contact("神河町", "cio", name="神河 副町長", user=kami)
        emails = liaison.email, sayo.email, kami.email
        db.session.remove()
    day = (utcnow().astimezone(JST) + timedelta(days=10)).date()

    login(page, base, emails[0])
    page.goto(base + "/meetings")
    page.click("[data-testid=new-series]")
    page.select_option("#kind", "cio_forum")
    page.fill("#title", "CIOフォーラム")
    page.check("input[name=member_roles][value=cio]")
    page.select_option("#member_municipality_ids", label=["佐用町", "神河町"])
    page.click("[data-testid=save-series]")
    page.wait_for_selector("text=会議のシリーズを作成しました。")
    page.click("[data-testid=new-meeting]")
    page.fill("#title", "第1回CIOフォーラム")
    page.fill("#starts_at", f"{day.isoformat()}T14:00")
    page.fill("#ends_at", f"{day.isoformat()}T16:00")
    page.fill("#venue", "県庁3号館")
    page.fill("#answer_deadline", (day - timedelta(days=3)).isoformat())
    page.click("[data-testid=save-meeting]")
    page.wait_for_selector("text=会議を作成しました。")
    meeting_url = page.url
    page.click("[data-testid=meeting-invite]")
    page.wait_for_selector("text=案内を送りました。")
    assert page.locator("[data-testid=answer-row]").count() == 2
    logout(page)

    login(page, base, emails[1])
    page.goto(base + "/notifications")
    assert "第1回CIOフォーラム" in page.text_content("main")
    page.goto(meeting_url)
    page.check("[data-testid=my-answers] input[value=attend]")
    page.click("[data-testid=send-answer]")
    page.wait_for_selector("text=出欠を回答しました。")
    logout(page)

    login(page, base, emails[2])
    page.goto(meeting_url)
    page.check("[data-testid=my-answers] input[value=proxy]")
    page.click("[data-testid=send-answer]")
    page.wait_for_selector("text=代理出席の場合は、出席する方の氏名を入力してください。")
    assert page.is_checked("[data-testid=my-answers] input[value=proxy]")  # kept
    page.fill("[data-testid=my-answers] input[name$=substitute_name]", "企画課長 山田")
    page.click("[data-testid=send-answer]")
    page.wait_for_selector("text=出欠を回答しました。")
    # Staff see their own municipality's answers only.
    assert page.locator("[data-testid=answer-row]").count() == 1
    logout(page)

    with live_app.app_context():  # the meeting takes place: move it into the past
        m = db.session.scalar(sa.select(Meeting))
        m.starts_at, m.ends_at = utcnow() - timedelta(hours=3), utcnow() - timedelta(hours=1)
        db.session.commit()

    login(page, base, emails[0])
    page.goto(meeting_url)
    assert "代理出席" in page.text_content("[data-testid=answers-table]")
    assert "企画課長 山田" in page.text_content("[data-testid=answers-table]")
    page.click("[data-testid=record-attendance]")  # both were ticked from their answers
    page.wait_for_selector("text=出席を記録しました。")
    assert page.text_content("[data-testid=meeting-status]").strip() == "開催済"
    page.fill("#minutes", "生成AIの利用指針について意見交換した。")
    page.click("[data-testid=publish-minutes]")
    page.wait_for_selector("text=議事録を公開しました。")
    page.click("text=決定事項・宿題を追加")
    page.fill("#title", "庁内の利用指針案を共有する")
    page.select_option("#owner_kind", "municipality")
    page.select_option("#owner_municipality_id", label="神河町")
    page.fill("#due_on", (day + timedelta(days=20)).isoformat())
    page.click("[data-testid=add-item]")
    page.wait_for_selector("text=決定事項・宿題を追加しました。")
    logout(page)

    login(page, base, emails[2])
    page.goto(meeting_url)
    assert "生成AIの利用指針" in page.text_content("[data-testid=minutes]")
    page.fill("[data-testid^=close-item-] textarea", "庁議で共有しました。")
    page.click("[data-testid=close-item]")
    page.wait_for_selector("text=完了にしました。")
    assert page.text_content("[data-testid=item-status]").strip() == "完了"
    logout(page)
