"""Filing: the 情報部門 rule, routing (Kobe to the central team), numbering, due dates, search text."""
import threading
from datetime import datetime

import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import RequestEvent, SupportRequest
from supportdesk.services.requests.conversation import add_comment
from supportdesk.permissions import team_for
from supportdesk.services.requests.filing import submit_request, update_request
from supportdesk.timeutil import JST
from tests.factories import make_liaison, make_request, make_staff, municipality, region


def _events(sreq, kind):
    return db.session.scalars(sa.select(RequestEvent).where(
        RequestEvent.request_id == sreq.id, RequestEvent.kind == kind)).all()


def test_request_outside_info_dept_is_shared_with_it(app):
    filer = make_staff("佐用町", info_dept=False, department="企画課")
    info1 = make_staff("佐用町", info_dept=True)
    info2 = make_staff("佐用町", info_dept=True)
    other_town_info = make_staff("姫路市", info_dept=True)
    sreq = make_request(filer)
    assert sreq.filed_outside_info_dept is True
    follower_ids = {u.id for u in sreq.followers}
    assert {info1.id, info2.id, filer.id} <= follower_ids
    assert other_town_info.id not in follower_ids
    (shared,) = _events(sreq, "info_shared")
    assert set(shared.data["users"]) == {info1.display_name, info2.display_name}


def test_request_from_info_dept_is_not_flagged(app):
    filer = make_staff("佐用町", info_dept=True)
    sreq = make_request(filer)
    assert sreq.filed_outside_info_dept is False
    assert _events(sreq, "info_shared") == []


def test_liaison_files_push_lecture_on_behalf_and_info_dept_is_informed(app):
    liaison = make_liaison("西播磨")
    info = make_staff("宍粟市", info_dept=True)
    sreq = make_request(liaison, "lecture", origin="push",
                        municipality_id=municipality("宍粟市").id, candidate_dates=[])
    assert sreq.origin == "push" and sreq.state == "submitted"
    assert sreq.municipality.name == "宍粟市" and sreq.filed_outside_info_dept
    assert info.id in {u.id for u in sreq.followers}


def test_staff_cannot_file_push_or_for_another_municipality(app):
    import pytest

    from supportdesk.permissions import PermissionDenied
    from supportdesk.services.requests.filing import create_request

    from supportdesk.services import ValidationFailed

    staff = make_staff("佐用町")
    with pytest.raises(ValidationFailed) as refused:  # refused, no longer quietly downgraded
        make_request(staff, origin="push", state="draft")
    assert refused.value.field == "origin"
    db.session.rollback()
    with pytest.raises(PermissionDenied):
        create_request(staff, "consultation", municipality_id=municipality("姫路市").id,
                       title="x", body="y")


def test_routing_to_region_and_kobe_to_central_team(app):
    west = make_liaison("西播磨")
    other = make_liaison("但馬")
    central = make_liaison("阪神南", central=True)
    sayo = make_request(make_staff("佐用町"))
    assert sayo.region.name == "西播磨"
    assert [u.id for u in team_for(sayo.region)] == [west.id]
    kobe = make_request(make_staff("神戸市"))
    assert kobe.region.has_liaison is False
    assert [u.id for u in team_for(kobe.region)] == [central.id]
    (routed,) = _events(kobe, "routed")
    assert routed.data["central_team"] is True
    assert other.id not in {u.id for u in team_for(kobe.region)}


def test_numbering_follows_the_fiscal_year_in_tokyo(app):
    staff = make_staff("佐用町")
    march = make_request(staff, now=datetime(2025, 3, 31, 23, 30, tzinfo=JST))
    april = make_request(staff, now=datetime(2025, 4, 1, 0, 10, tzinfo=JST))
    april2 = make_request(staff, now=datetime(2025, 4, 2, 9, 0, tzinfo=JST))
    assert march.number == "R6-0001" and march.fiscal_year == 2024
    assert april.number == "R7-0001" and april.fiscal_year == 2025
    assert april2.number == "R7-0002"


def test_numbering_is_unique_under_concurrent_submits(app):
    staff = make_staff("佐用町")
    ids = [make_request(staff, state="draft").id for _ in range(6)]
    staff_id = staff.id
    db.session.commit()  # end this thread's transaction (on SQLite it would hold the write lock)
    now = datetime(2025, 6, 2, 10, 0, tzinfo=JST)
    barrier = threading.Barrier(len(ids))
    errors, numbers = [], []

    def submit(request_id):
        try:
            barrier.wait(timeout=20)
            with app.app_context():
                from supportdesk.models import User

                sreq = db.session.get(SupportRequest, request_id)
                user = db.session.get(User, staff_id)
                submit_request(sreq, user, now=now)
                db.session.commit()
                numbers.append(sreq.number)
                db.session.remove()
        except Exception as exc:  # reported below: a thread must not swallow failures
            errors.append(repr(exc))

    threads = [threading.Thread(target=submit, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sorted(numbers) == [f"R7-{n:04d}" for n in range(1, len(ids) + 1)]


def test_first_response_due_skips_a_japanese_holiday(app):
    # Friday 2025-01-10; Monday 2025-01-13 is 成人の日: due Wednesday the 15th.
    sreq = make_request(make_staff("佐用町"), now=datetime(2025, 1, 10, 10, 0, tzinfo=JST))
    due = sreq.first_response_due_at.astimezone(JST)
    assert due.date().isoformat() == "2025-01-15"


def test_first_response_due_skips_the_year_end_closure(app):
    # Friday 2024-12-27: 12/28-1/5 are weekend or 12/29-1/3 closure -> Mon 1/6, Tue 1/7.
    sreq = make_request(make_staff("佐用町"), now=datetime(2024, 12, 27, 16, 0, tzinfo=JST))
    assert sreq.first_response_due_at.astimezone(JST).date().isoformat() == "2025-01-07"


def test_co_applicant_staff_follow_a_joint_lecture(app):
    host = make_staff("相生市")
    co_staff = make_staff("赤穂市")
    sreq = make_request(host, "lecture", co_municipality_ids=[municipality("赤穂市").id])
    assert co_staff.id in {u.id for u in sreq.followers}
    assert {m.name for m in sreq.co_municipalities} == {"赤穂市"}


def test_search_text_covers_title_body_prework_and_replies_not_internal_notes(app):
    staff = make_staff("佐用町")
    liaison = make_liaison("西播磨")
    sreq = make_request(staff, title="ＡＩチャットボット導入", body="問合せ対応を効率化したい")
    add_comment(sreq, liaison, "先行市町の事例を紹介します")
    add_comment(sreq, liaison, "極秘の内部検討", internal=True)
    db.session.commit()
    assert "aiちゃっとぼっと" in sreq.search_text  # NFKC, lower case, katakana as hiragana
    assert "問合せ対応" in sreq.search_text and "先行市町の事例" in sreq.search_text
    assert "極秘" not in sreq.search_text
    update_request(sreq, staff, version=sreq.version, body="窓口の混雑を解消したい")
    db.session.commit()
    assert "窓口の混雑" in sreq.search_text and "問合せ対応" not in sreq.search_text


def test_field_changes_are_recorded_with_old_and_new(app):
    staff = make_staff("佐用町")
    sreq = make_request(staff, title="旧件名")
    update_request(sreq, staff, version=sreq.version, title="新件名", urgent=True)
    db.session.commit()
    (ev,) = _events(sreq, "fields")
    assert ev.data["changes"]["title"] == {"old": "旧件名", "new": "新件名"}
    assert ev.data["changes"]["urgent"] == {"old": False, "new": True}
    assert ev.actor_id == staff.id


def test_save_losing_the_race_after_the_version_check_is_a_stale_edit(app):
    import pytest

    from supportdesk.services.requests.filing import StaleEdit

    staff = make_staff("佐用町")
    sreq = make_request(staff, title="元の件名")
    loaded = sreq.version
    # Another transaction commits between our version check and our UPDATE: simulated by
    # bumping the row behind the session's back.
    db.session.execute(sa.update(SupportRequest).where(SupportRequest.id == sreq.id)
                       .values(version=SupportRequest.version + 1, title="他の人の件名")
                       .execution_options(synchronize_session=False))
    with pytest.raises(StaleEdit):
        update_request(sreq, staff, version=loaded, title="私の件名")
    db.session.rollback()
    db.session.expire_all()
    assert sreq.title == "元の件名"  # the simulated other write was rolled back with ours
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RequestEvent).where(
        RequestEvent.request_id == sreq.id, RequestEvent.kind == "fields")) == 0


def test_the_notices_of_a_submission_name_its_number(app):
    """The team's and the 情報部門's notices are written when the request is submitted; they
    must carry its number, not the draft's placeholder (下書き-<id>)."""
    from supportdesk.models import InAppNotification, OutboxMessage

    info = make_staff("佐用町", info_dept=True)
    make_liaison("西播磨")
    welfare = make_staff("佐用町")
    sreq = make_request(welfare, title="福祉の申請をオンライン化したい")
    assert sreq.number and sreq.filed_outside_info_dept
    rows = [*db.session.scalars(sa.select(InAppNotification).where(
                InAppNotification.request_id == sreq.id)),
            *db.session.scalars(sa.select(OutboxMessage).where(
                OutboxMessage.request_id == sreq.id))]
    kinds = {r.event_type for r in rows}
    # One notice for the submission (no second 「依頼の回付」), one for the 情報部門's share.
    assert kinds == {"request.submit", "request.info_dept_shared"}
    assert any(r.event_type == "request.info_dept_shared" and r.user_id == info.id for r in rows)
    for row in rows:
        text = f"{row.title if hasattr(row, 'title') else row.subject}\n{row.body}"
        assert f"下書き-{sreq.id}" not in text, (row.event_type, text[:120])
        assert sreq.number in text, (row.event_type, text[:120])


def test_the_team_of_a_request_is_one_rule_for_routing_notices_and_permissions(app):
    """permissions.team_for decides the team; routing, the TEAM audience and the liaison's own
    region filter (what the liaison may work) all agree with it, Kobe's central team included."""
    from supportdesk.models import Region
    from supportdesk.notifications.audiences import TEAM, resolve
    from supportdesk.permissions import liaison_region_filter

    west = make_liaison("西播磨")
    make_liaison("但馬")
    central = make_liaison("阪神南", central=True)
    gone = make_liaison("西播磨")
    gone.active = False
    db.session.commit()
    liaisons = [west, central, gone] + [u for u in team_for(region("但馬"))]
    for reg in db.session.scalars(sa.select(Region)):
        team = {u.id for u in team_for(reg)}
        covering = {u.id for u in liaisons if u.active and reg.id in liaison_region_filter(u)}
        assert team == covering, reg.name
    for name, expected in (("佐用町", {west.id}), ("神戸市", {central.id})):
        sreq = make_request(make_staff(name))
        assert {u.id for u in team_for(sreq.region)} == expected
        assert set(resolve((TEAM,), sreq=sreq).users) == expected
