"""The April handover: leavers marked on a date and deactivated that day by the job (their
history stays theirs), successors invited, open requests and follows passed on in one step with
the history recording it, the March request to confirm (once per municipality and year), the
confirmation and who has not confirmed."""
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import AuditLog, OutboxMessage, RequestEvent, SentNotice, User
from supportdesk.permissions import PermissionDenied, can_in
from supportdesk.services import ValidationFailed
from supportdesk.services.contacts.handover import (add_successor, ask_for_handover_confirmation,
                                                    confirm_handover, deactivate_leavers,
                                                    handover_fiscal_year, handover_status,
                                                    mark_leaving, move_department, pass_work)
from tests.factories import (make_contact, make_handover_confirmation,
                             make_liaison, make_request, make_staff, make_user,
                             municipality)

MARCH = datetime(2027, 3, 10, 0, 30, tzinfo=UTC)  # 09:30 JST


def test_the_handover_year_is_the_coming_one_from_january_to_march():
    assert handover_fiscal_year(date(2027, 3, 31)) == 2027
    assert handover_fiscal_year(date(2027, 1, 5)) == 2027
    assert handover_fiscal_year(date(2027, 4, 1)) == 2027
    assert handover_fiscal_year(date(2026, 12, 3)) == 2026


def test_who_may_do_the_handover_of_a_municipality(app):
    sayo = municipality("佐用町")
    assert can_in(make_staff("佐用町", info_dept=True), "manage", "handover", sayo)
    assert not can_in(make_staff("佐用町"), "manage", "handover", sayo)
    assert not can_in(make_staff("豊岡市", info_dept=True), "manage", "handover", sayo)
    assert can_in(make_liaison("西播磨"), "manage", "handover", sayo)
    assert not can_in(make_liaison("但馬"), "manage", "handover", sayo)
    with pytest.raises(PermissionDenied):
        mark_leaving(make_staff("豊岡市", info_dept=True), sayo, make_staff("佐用町"),
                     date(2099, 3, 31))


def test_a_leaver_is_deactivated_on_the_day_and_their_work_goes_to_the_successor(app):
    info = make_staff("佐用町", info_dept=True)
    leaver = make_staff("佐用町", name="異動 太郎")
    sayo = leaver.municipality
    filed = make_request(leaver, title="電子申請の相談")
    followed = make_request(make_staff("佐用町"), title="RPAの相談")
    followed.followers.append(leaver)
    closed = make_request(leaver, state="closed")
    contact = make_contact("佐用町", "dx_officer", user=leaver)
    db.session.commit()
    now = datetime(2027, 3, 20, 0, 0, tzinfo=UTC)
    mark_leaving(info, sayo, leaver, date(2027, 4, 1), now=now)
    successor = add_successor(info, sayo, email="Kouninn@Town.example.jp",
                              display_name="後任 花子", department="企画課", now=now)
    db.session.commit()
    assert contact.valid_to == date(2027, 3, 31)
    assert successor.password_hash is None and successor.email == "kouninn@town.example.jp"
    invite = db.session.scalar(sa.select(OutboxMessage).where(
        OutboxMessage.event_type == "account.invited"))
    assert invite.to_address == successor.email and "{secret}" in invite.body
    passed = pass_work(info, sayo, leaver, successor, now=now)
    db.session.commit()
    assert {r.id for r in passed} == {filed.id, followed.id}
    assert filed.filer_id == successor.id and filed.created_by_id == leaver.id
    assert closed.filer_id == leaver.id
    for sreq in (filed, followed):
        ids = {u.id for u in sreq.followers}
        assert successor.id in ids and leaver.id not in ids
        ev = db.session.scalar(sa.select(RequestEvent).where(
            RequestEvent.request_id == sreq.id, RequestEvent.kind == "handover"))
        assert ev.actor_id == info.id and ev.data["to"] == "後任 花子"
    # What the leaver did stays theirs.
    assert db.session.scalar(sa.select(RequestEvent.actor_id).where(
        RequestEvent.request_id == filed.id, RequestEvent.kind == "created")) == leaver.id
    assert deactivate_leavers(now=datetime(2027, 3, 31, 14, 0, tzinfo=UTC)) == 0  # 23:00 JST
    assert deactivate_leavers(now=datetime(2027, 3, 31, 15, 5, tzinfo=UTC)) == 1  # 4/1 00:05
    db.session.commit()
    assert not db.session.get(User, leaver.id).active
    assert deactivate_leavers(now=datetime(2027, 4, 1, 3, 0, tzinfo=UTC)) == 0
    audited = set(db.session.scalars(sa.select(AuditLog.action)))
    assert {"handover.leaving_marked", "handover.successor_added", "handover.work_passed",
            "user.updated"} <= audited


def test_refusals_name_their_field(app):
    info = make_staff("佐用町", info_dept=True)
    sayo = info.municipality
    leaver = make_staff("佐用町")
    now = datetime(2027, 3, 20, 0, 0, tzinfo=UTC)
    with pytest.raises(ValidationFailed) as err:
        mark_leaving(info, sayo, leaver, date(2027, 3, 1), now=now)
    assert err.value.field == "leaves_on"
    with pytest.raises(ValidationFailed) as err:
        mark_leaving(info, sayo, make_staff("豊岡市"), date(2027, 4, 1), now=now)
    assert err.value.field == "user_id"
    with pytest.raises(ValidationFailed) as err:
        pass_work(info, sayo, leaver, leaver, now=now)
    assert err.value.field == "successor_id"
    with pytest.raises(ValidationFailed) as err:
        add_successor(info, sayo, email=leaver.email, display_name="重複", now=now)
    assert err.value.field == "email"
    moved = move_department(info, sayo, leaver, department="税務課", is_information_dept=False,
                            now=now)
    assert moved.department == "税務課"


def test_march_asks_each_unconfirmed_info_dept_once_and_the_manager_sees_who_is_missing(app):
    info = make_staff("佐用町", info_dept=True)
    make_staff("相生市", info_dept=True)
    assert ask_for_handover_confirmation(now=datetime(2027, 2, 20, 0, 0, tzinfo=UTC)) == 0
    make_handover_confirmation(make_liaison("西播磨"), municipality("相生市"), now=MARCH)
    asked = ask_for_handover_confirmation(now=MARCH)
    db.session.commit()
    assert asked == 40
    assert ask_for_handover_confirmation(now=MARCH) == 0
    mail = db.session.scalars(sa.select(OutboxMessage.to_address).where(
        OutboxMessage.event_type == "handover.confirm_requested",
        OutboxMessage.channel == "email")).all()
    assert info.email in mail and len(mail) == 1  # 相生市 confirmed, others have no 情報部門
    assert db.session.scalar(sa.select(sa.func.count(SentNotice.id)).where(
        SentNotice.kind == "handover.confirm_requested")) == 40
    with pytest.raises(ValidationFailed):  # once per fiscal year
        confirm_handover(make_staff("相生市", info_dept=True), municipality("相生市"), now=MARCH)
    status = dict((m.name, c) for m, c in handover_status(2027))
    assert status["相生市"] is not None and status["佐用町"] is None and len(status) == 41


def test_the_handover_pages_answer_404_to_another_municipality(app, client, login_as):
    info = make_staff("佐用町", info_dept=True)
    login_as(info)
    toyooka = municipality("豊岡市")
    assert client.get(f"/municipalities/{toyooka.code}/handover").status_code == 404
    page = client.get(f"/municipalities/{info.municipality.code}/handover")
    assert page.status_code == 200 and info.display_name in page.get_data(as_text=True)
    refused = client.post(f"/municipalities/{info.municipality.code}/handover/successor",
                          data={"display_name": "後任 次郎", "email": "not-an-address"})
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "メールアドレスの形式が正しくありません。" in body
    assert 'value="後任 次郎"' in body
    assert client.get("/handover").status_code == 403
    login_as(make_user("manager"))
    page = client.get("/handover").get_data(as_text=True)
    assert "確認済み 0 / 41 市町" in page and "佐用町" in page


def test_the_monthly_report_counts_handover_completion_by_the_end_of_the_month(app):
    from supportdesk.services.reports.monthly import build_monthly_report

    liaison = make_liaison("西播磨")
    make_handover_confirmation(liaison, municipality("佐用町"), now=MARCH)
    march = build_monthly_report(2027, 3)["handover"]
    assert march["fiscal_year"] == 2027 and march["confirmed"] == 1 and march["total"] == 41
    assert "佐用町" not in {m["name"] for m in march["missing"]}
    assert build_monthly_report(2027, 2)["handover"]["confirmed"] == 0  # not yet by February
    west = build_monthly_report(2027, 3, region_ids=[liaison.regions[0].id])["handover"]
    assert west["total"] == 7 and west["confirmed"] == 1
