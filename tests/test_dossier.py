"""The municipality page (dossier): announcements received, engagements with their check-ins and
outcome, rounds; and its printable municipality sheet. Staff see only their own municipality."""
from datetime import datetime, time, timedelta

import pytest

from supportdesk.extensions import db
from supportdesk.services.announcements import compose_announcement
from supportdesk.services.visits import rounds as round_svc
from supportdesk.services.visits.engagements import (close_engagement, create_engagement,
                                                     log_contact)
from supportdesk.timeutil import JST, utcnow
from tests.factories import make_liaison, make_staff, municipality


@pytest.fixture
def dossier(app):
    liaison = make_liaison("西播磨")
    sayo, kamigori = municipality("佐用町"), municipality("上郡町")
    now = utcnow()
    compose_announcement(liaison, title="補助金の公募開始のお知らせ", body="本文",
                         category="補助金・交付金", municipality_ids=[sayo.id], now=now)
    compose_announcement(liaison, title="上郡町だけへのお知らせ", body="本文", category="その他",
                         municipality_ids=[kamigori.id], now=now)
    eng = create_engagement(liaison, municipality=sayo, title="窓口DXの伴走",
                            goal="書かない窓口", now=now - timedelta(days=40))
    log_contact(eng, liaison, at=now - timedelta(days=20), summary="電話で進捗を確認",
                now=now - timedelta(days=20))
    close_engagement(eng, liaison, achievement="partly", put_in_place="申請書の電子化",
                     next_steps="来年度に窓口予約", now=now)
    other = create_engagement(liaison, municipality=kamigori, title="上郡町の伴走", now=now)
    when = datetime(2026, 5, 12, 10, tzinfo=JST)
    round_svc.record_round(liaison, sayo, held_on=when.date(), start_time=time(10),
                           end_time=time(11), progress="RPA導入を検討中", issues="推進体制がない",
                           now=when.replace(hour=23))
    db.session.commit()
    return {"liaison": liaison, "sayo": sayo, "kamigori": kamigori, "eng": eng, "other": other}


def test_staff_page_shows_announcements_and_engagements_of_their_municipality(dossier, client,
                                                                           login_as):
    login_as(make_staff("佐用町"))
    page = client.get(f"/municipalities/{dossier['sayo'].code}").get_data(as_text=True)
    assert 'data-testid="announcements-received"' in page
    assert "補助金の公募開始のお知らせ" in page and "上郡町だけへのお知らせ" not in page
    assert 'data-testid="engagements"' in page
    assert "窓口DXの伴走" in page and "上郡町の伴走" not in page
    # The engagement's check-ins and its outcome.
    assert "電話で進捗を確認" in page
    assert "一部達成" in page and "申請書の電子化" in page and "来年度に窓口予約" in page


def test_liaison_sheet_prints_every_section_with_a_local_print_stylesheet(dossier, client,
                                                                         login_as):
    login_as(dossier["liaison"])
    resp = client.get(f"/municipalities/{dossier['sayo'].code}/sheet")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "市町シート" in page and "佐用町" in page
    assert '<link rel="stylesheet" href="/static/css/print.css"' in page
    assert "//" not in page.split('href="/static/css/print.css"')[0].split("<link")[-1]
    for text in ("補助金の公募開始のお知らせ", "窓口DXの伴走", "電話で進捗を確認", "申請書の電子化",
                 "RPA導入を検討中"):
        assert text in page, text
    assert client.get("/static/css/print.css").status_code == 200
    # The page links to its sheet.
    show = client.get(f"/municipalities/{dossier['sayo'].code}").get_data(as_text=True)
    assert f"/municipalities/{dossier['sayo'].code}/sheet" in show


def test_staff_never_see_another_municipality_page_or_sheet(dossier, client, login_as):
    login_as(make_staff("佐用町"))
    code = dossier["kamigori"].code
    assert client.get(f"/municipalities/{code}").status_code == 404
    assert client.get(f"/municipalities/{code}/sheet").status_code == 404
    assert client.get(f"/municipalities/{dossier['sayo'].code}/sheet").status_code == 200
    assert client.get("/municipalities/99999/sheet").status_code == 404
