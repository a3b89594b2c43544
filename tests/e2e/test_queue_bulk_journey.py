"""Browser (Chromium): a liaison works several requests at once from the queue. She selects
rows, forgets the reason and gets it back beside the field with her rows still ticked, holds them
with a reason, sees the one row that could not be held reported with its number, resumes them
and exports the selection as CSV."""
import csv

import pytest

from supportdesk.extensions import db
from tests.e2e.helpers import login
from tests.factories import advance_request, make_liaison, make_request, make_staff

pytestmark = pytest.mark.e2e


def _seed(live_app):
    with live_app.app_context():
        liaison = make_liaison("西播磨")
        staff = make_staff("佐用町")
        a = make_request(staff, title="窓口DXの相談")
        b = make_request(staff, title="電子申請の相談")
        closed = advance_request(make_request(staff, title="完了した相談"), "closed", liaison)
        out = dict(email=liaison.email, a=(a.id, a.number), b=(b.id, b.number),
                   closed=(closed.id, closed.number))
        db.session.commit()
    return out


def _tick(page, *rows):
    for rid, _number in rows:
        page.check(f"input[name=ids][value='{rid}']")


def _state(page, rid):
    return page.inner_text(f"tr[data-request-id='{rid}'] td:nth-child(6)")


def test_liaison_holds_resumes_and_exports_a_selection(live_app, live_server, browser_page):
    seed = _seed(live_app)
    page = browser_page
    login(page, live_server, seed["email"])
    page.goto(f"{live_server}/queue/?state=all")
    a, b, closed = seed["a"], seed["b"], seed["closed"]

    # No reason: the message is beside the field and the selection is kept.
    _tick(page, a, b, closed)
    page.fill("#hold_until", "2099-05-01")
    page.click("button[name=op][value=hold]")
    assert page.inner_text("#reason-error") == "理由を入力してください。"
    for rid, _n in (a, b, closed):
        assert page.is_checked(f"input[name=ids][value='{rid}']")
    assert page.input_value("#hold_until") == "2099-05-01"

    # With the reason: two held, the closed one reported with its number and why.
    page.fill("#reason", "庁内の予算確認待ち")
    page.click("button[name=op][value=hold]")
    page.wait_for_selector("text=2件に「保留にする」を行いました。")
    refusal = page.locator(".flash", has_text="変更できませんでした")
    assert refusal.count() == 1
    assert closed[1] in refusal.inner_text()
    assert "「完了」の状態からは「保留にする」はできません。" in refusal.inner_text()
    assert _state(page, a[0]) == "保留" and _state(page, b[0]) == "保留"
    assert _state(page, closed[0]) == "完了"

    # Resume the two.
    _tick(page, a, b)
    page.click("button[name=op][value=resume]")
    page.wait_for_selector("text=2件に「保留を解除する」を行いました。")
    assert _state(page, a[0]) == "調整中" and _state(page, b[0]) == "調整中"

    # Export the selection.
    _tick(page, a, closed)
    with page.expect_download() as download:
        page.click("button[name=op][value=export_csv]")
    assert download.value.suggested_filename.endswith(".csv")
    with open(download.value.path(), encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][:2] == ["番号", "件名"]
    assert sorted((r[0], r[1], r[4]) for r in rows[1:]) == sorted([
        (a[1], "窓口DXの相談", "調整中"), (closed[1], "完了した相談", "完了")])


def test_on_a_phone_the_bulk_actions_fold_away_and_open_for_an_error(live_app, live_server,
                                                                     browser_page):
    seed = _seed(live_app)
    page = browser_page
    page.set_viewport_size({"width": 375, "height": 667})
    login(page, live_server, seed["email"])
    page.goto(f"{live_server}/queue/?state=all")
    summary = page.locator(".bulk-box > summary")
    assert summary.is_visible() and not page.is_visible("button[name=op][value=hold]")
    summary.click()
    _tick(page, seed["a"])
    page.click("button[name=op][value=hold]")  # no reason, no date
    assert page.inner_text("#hold_until-error") == "保留を解除する予定日を入力してください。"
    assert page.is_visible("#hold_until-error")  # the panel came back open
    assert page.is_checked(f"input[name=ids][value='{seed['a'][0]}']")
