"""Visit services: transitions and their effect on the request, double booking, date flags."""
import threading
from datetime import datetime

import pytest
import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import RequestEvent, User, Visit
from supportdesk.permissions import PermissionDenied
from supportdesk.services import ValidationFailed
from supportdesk.services.visits.lifecycle import (DoubleBooking, InvalidVisitTransition,
                                         cancel_visit, candidate_options, confirm_visit,
                                         create_visit, date_warnings, postpone_visit,
                                         record_visit, schedule_from_candidate, visit_actions,
                                         visits_for_request)
from supportdesk.timeutil import JST
from supportdesk.workflows.visits import BUTTON_ACTIONS
from supportdesk.workflows.visits import TRANSITIONS as VISIT_TRANSITIONS
from tests.factories import make_expert, make_liaison, make_request, make_staff, municipality

NOW = datetime(2025, 10, 1, 9, 0, tzinfo=JST)


def at(day, hour, minute=0):
    return datetime(2025, 11, day, hour, minute, tzinfo=JST)


def visit(liaison, *, start=None, end=None, munis=("佐用町",), experts=(), sreq=None,
          kind="lecture", confirm=False, title="講座"):
    v = create_visit(liaison, kind=kind, title=title, starts_at=start or at(10, 10),
                     ends_at=end or at(10, 12), municipalities=[municipality(m) for m in munis],
                     attendees=list(experts), sreq=sreq, now=NOW)
    if confirm:
        confirm_visit(v, liaison, now=NOW)
    db.session.commit()
    return v


def events(sreq, kind=None):
    stmt = (sa.select(RequestEvent).where(RequestEvent.request_id == sreq.id)
            .order_by(RequestEvent.id))
    rows = db.session.scalars(stmt).all()
    return [e for e in rows if kind is None or e.kind == kind]


def test_transition_table_is_the_documented_one():
    assert VISIT_TRANSITIONS[("proposed", "confirm")].to == "confirmed"
    assert VISIT_TRANSITIONS[("confirmed", "record")].to == "held"
    assert ("held", "confirm") not in VISIT_TRANSITIONS
    assert ("cancelled", "postpone") not in VISIT_TRANSITIONS


def test_confirm_moves_request_to_scheduled_and_writes_events(app):
    liaison = make_liaison()
    sreq = make_request(kind="lecture", state="triage")
    v = visit(liaison, sreq=sreq)
    assert v.state == "proposed"
    confirm_visit(v, liaison, now=NOW)
    db.session.commit()
    assert v.state == "confirmed"
    assert sreq.state == "scheduled"
    kinds = [(e.kind, e.action) for e in events(sreq)]
    assert ("visit", "visit_proposed") in kinds
    assert ("state", "schedule") in kinds
    assert ("visit", "visit_confirmed") in kinds


def test_confirm_on_a_submitted_request_is_refused_not_taken_silently(app):
    # Issue 13: confirming used to take the request on the confirmer's behalf; now it refuses.
    liaison = make_liaison()
    sreq = make_request(kind="lecture", state="submitted")
    v = visit(liaison, sreq=sreq)
    with pytest.raises(InvalidVisitTransition):
        confirm_visit(v, liaison, now=NOW)
    assert sreq.state == "submitted" and sreq.assignee_id is None and v.state == "proposed"


def test_record_held_lecture_moves_request_to_delivered(app):
    liaison = make_liaison()
    expert = make_expert()
    sreq = make_request(kind="lecture", state="triage")
    v = visit(liaison, sreq=sreq, experts=[expert], confirm=True)
    with pytest.raises(ValidationFailed):  # not before the visit starts
        record_visit(v, liaison, covered="x", now=NOW)
    record = record_visit(v, expert, covered="RPA入門", issues="人手不足", follow_ups="伴走",
                          attendees_executives=2, attendees_business=10, attendees_information=3,
                          now=at(10, 13))
    db.session.commit()
    assert v.state == "held" and record.total_attendees == 15
    assert sreq.state == "delivered"
    deliver = [e for e in events(sreq) if e.action == "deliver"][0]
    assert deliver.actor_id == liaison.id and expert.display_name in deliver.note
    # Writing the record again keeps it held and the request where it is.
    record_visit(v, liaison, covered="更新", now=at(10, 14))
    assert v.record.covered == "更新" and sreq.state == "delivered"


def test_cancel_needs_a_reason_and_keeps_it(app):
    liaison = make_liaison()
    sreq = make_request(kind="lecture", state="triage")
    v = visit(liaison, sreq=sreq, confirm=True)
    with pytest.raises(ValidationFailed) as exc:
        cancel_visit(v, liaison, " ", now=NOW)
    assert exc.value.field == "reason"
    cancel_visit(v, liaison, "台風のため", now=NOW)
    db.session.commit()
    assert v.state == "cancelled" and v.cancel_reason == "台風のため"
    ev = events(sreq, "visit")[-1]
    assert ev.action == "visit_cancelled" and ev.note == "台風のため"
    with pytest.raises(InvalidVisitTransition):
        confirm_visit(v, liaison, now=NOW)


def test_postpone_keeps_the_link_and_state(app):
    liaison = make_liaison()
    expert = make_expert()
    sreq = make_request(kind="lecture", state="triage")
    v = visit(liaison, sreq=sreq, experts=[expert], confirm=True)
    new = postpone_visit(v, liaison, starts_at=at(20, 10), ends_at=at(20, 12), reason="講師都合",
                         now=NOW)
    db.session.commit()
    assert v.state == "postponed" and v.postponed_to_id == new.id
    assert new.state == "confirmed" and new.request_id == sreq.id
    assert [u.id for u in new.attendees] == [expert.id]
    assert events(sreq, "visit")[-1].action == "visit_moved"


def test_only_liaisons_manage_and_experts_record_only_their_own(app):
    liaison = make_liaison()
    expert, other = make_expert(), make_expert()
    v = visit(liaison, experts=[expert], confirm=True)
    with pytest.raises(PermissionDenied):
        cancel_visit(v, expert, "x", now=NOW)
    with pytest.raises(PermissionDenied):
        record_visit(v, other, covered="x", now=at(10, 13))
    assert visit_actions(v, expert) == ["record"]
    assert set(visit_actions(v, liaison)) == {"cancel", "postpone", "record"}


@pytest.mark.parametrize("who", ["expert", "liaison"])
def test_double_booking_is_refused_with_who_and_when(app, who):
    liaison = make_liaison(name="山田リエゾン")
    other_liaison = make_liaison(name="佐藤リエゾン")
    expert = make_expert(name="鈴木専門")
    visit(liaison, experts=[expert], confirm=True, title="佐用町講座")
    if who == "expert":
        second = visit(other_liaison, experts=[expert], start=at(10, 11), end=at(10, 13))
        actor, name = other_liaison, "鈴木専門"
    else:
        second = visit(liaison, start=at(10, 11), end=at(10, 13), munis=("宍粟市",))
        actor, name = liaison, "山田リエゾン"
    with pytest.raises(DoubleBooking) as exc:
        confirm_visit(second, actor, now=NOW)
    msg = str(exc.value)
    assert name in msg and "2025-11-10(月) 10:00〜12:00" in msg and "佐用町講座" in msg
    db.session.rollback()
    assert db.session.get(Visit, second.id).state == "proposed"


def test_double_booking_across_a_joint_visit_of_two_municipalities(app):
    liaison, other = make_liaison(), make_liaison("中播磨")
    expert = make_expert(name="合同講師")
    visit(liaison, experts=[expert], munis=("佐用町", "宍粟市"), confirm=True, title="合同講座")
    second = visit(other, experts=[expert], munis=("姫路市",), start=at(10, 9), end=at(10, 10, 30))
    with pytest.raises(DoubleBooking) as exc:
        confirm_visit(second, other, now=NOW)
    assert "合同講師" in str(exc.value) and "宍粟市" in str(exc.value) and "佐用町" in str(exc.value)


def test_adjacent_visits_are_not_a_clash(app):
    liaison = make_liaison()
    expert = make_expert()
    visit(liaison, experts=[expert], confirm=True)
    after = visit(liaison, experts=[expert], start=at(10, 12), end=at(10, 14), confirm=True)
    assert after.state == "confirmed"
    # A cancelled visit does not block its slot either.
    cancel_visit(after, liaison, "取りやめ", now=NOW)
    again = visit(liaison, experts=[expert], start=at(10, 12), end=at(10, 14), confirm=True)
    assert again.state == "confirmed"


def test_weekends_and_holidays_are_flagged_not_refused(app):
    assert date_warnings(at(3, 10), at(3, 12)) == ["2025-11-03(月)は祝日(文化の日)です。"]
    assert date_warnings(at(8, 10), at(8, 12)) == ["2025-11-08(土)は土曜日です。"]
    assert date_warnings(at(10, 10), at(10, 12)) == []
    liaison = make_liaison()
    assert visit(liaison, start=at(3, 10), end=at(3, 12), confirm=True).state == "confirmed"


def test_schedule_from_candidate_offers_candidates_first(app):
    liaison = make_liaison()
    expert = make_expert()
    sreq = make_request(kind="lecture", state="triage",
                        candidate_dates=[(at(8, 10), at(8, 12)), (at(11, 14), at(11, 16))],
                        co=("宍粟市",), now=NOW)
    visit(liaison, experts=[expert], start=at(11, 15), end=at(11, 17), confirm=True)
    options = candidate_options(sreq, [expert])
    assert [o["candidate"].rank for o in options] == [1, 2]
    assert "土曜日" in options[0]["warnings"][0] and options[0]["clash"] is None
    assert options[1]["clash"] and expert.display_name in options[1]["clash"]
    v = schedule_from_candidate(sreq, sreq.candidate_dates[0], liaison, attendees=[expert],
                                now=NOW)
    db.session.commit()
    assert v.state == "confirmed" and v.starts_at == at(8, 10)
    assert {m.name for m in v.municipalities} == {"佐用町", "宍粟市"}
    assert sreq.state == "scheduled"


def test_bad_input_is_refused_by_field(app):
    liaison = make_liaison()
    with pytest.raises(ValidationFailed) as exc:
        create_visit(liaison, kind="lecture", title="x", starts_at=at(10, 12), ends_at=at(10, 10),
                     municipalities=[municipality("佐用町")], now=NOW)
    assert exc.value.field == "ends_at"
    with pytest.raises(ValidationFailed) as exc:
        create_visit(liaison, kind="lecture", title="x", starts_at=at(10, 10), ends_at=at(10, 12),
                     municipalities=[], now=NOW)
    assert exc.value.field == "municipality_ids"
    with pytest.raises(PermissionDenied):
        create_visit(make_expert(), kind="lecture", title="x", starts_at=at(10, 10),
                     ends_at=at(10, 12), municipalities=[municipality("佐用町")], now=NOW)


def test_two_simultaneous_confirmations_for_one_expert_let_only_one_through(app):
    liaison, other = make_liaison(), make_liaison("中播磨")
    expert = make_expert()
    first = visit(liaison, experts=[expert])
    second = visit(other, experts=[expert], munis=("姫路市",), start=at(10, 11), end=at(10, 13))
    ids = [(first.id, liaison.id), (second.id, other.id)]
    barrier = threading.Barrier(2)
    outcomes = []

    def confirm_in_thread(visit_id, actor_id):
        barrier.wait(10)
        with app.app_context():
            v, actor = db.session.get(Visit, visit_id), db.session.get(User, actor_id)
            try:
                confirm_visit(v, actor, now=NOW)
                db.session.commit()
                outcomes.append("ok")
            except DoubleBooking:
                db.session.rollback()
                outcomes.append("refused")
            finally:
                db.session.remove()

    db.session.commit()
    threads = [threading.Thread(target=confirm_in_thread, args=pair) for pair in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["ok", "refused"]
    db.session.expire_all()
    states = sorted(db.session.get(Visit, vid).state for vid, _a in ids)
    assert states == ["confirmed", "proposed"]


def test_postponing_into_a_clash_is_refused(app):
    liaison = make_liaison()
    expert = make_expert(name="鈴木専門")
    visit(liaison, experts=[expert], start=at(20, 10), end=at(20, 12), confirm=True, title="先約")
    v = visit(liaison, experts=[expert], confirm=True)
    with pytest.raises(DoubleBooking) as exc:
        postpone_visit(v, liaison, starts_at=at(20, 11), ends_at=at(20, 13), now=NOW)
    assert "先約" in str(exc.value)
    db.session.rollback()
    assert db.session.get(Visit, v.id).state == "confirmed"


def test_visits_for_request_is_scoped(app):
    liaison, expert = make_liaison(), make_expert()
    sreq = make_request(kind="lecture", state="triage")
    v = visit(liaison, sreq=sreq, confirm=True)
    assert visits_for_request(sreq, liaison) == [v]
    assert visits_for_request(sreq, make_staff("佐用町")) == [v]
    assert visits_for_request(sreq, make_staff("姫路市")) == []
    assert visits_for_request(sreq, expert) == []


# The round record's transitions run through rounds.record_round (tests/test_visit_workflow.py).
@pytest.mark.parametrize("state,action", sorted(k for k in VISIT_TRANSITIONS
                                                if k[1] in BUTTON_ACTIONS))
def test_every_transition_in_the_table_runs(app, state, action):
    liaison = make_liaison()
    v = visit(liaison, confirm=state != "proposed")
    if state == "held":
        record_visit(v, liaison, covered="初回", now=at(10, 13))
    assert v.state == state
    run = {"confirm": lambda: confirm_visit(v, liaison, now=NOW),
           "cancel": lambda: cancel_visit(v, liaison, "理由", now=NOW),
           "postpone": lambda: postpone_visit(v, liaison, starts_at=at(21, 10),
                                              ends_at=at(21, 12), now=NOW),
           "record": lambda: record_visit(v, liaison, covered="記録", now=at(10, 13))}
    run[action]()
    db.session.commit()
    assert v.state == VISIT_TRANSITIONS[(state, action)].to


def test_create_visit_refuses_an_attendee_who_is_neither_liaison_nor_expert(app):
    """The service owns ATTENDEE_ROLES: a caller that bypasses the form's people list (or the
    API's lookup) cannot put municipal staff or a deactivated expert on a visit."""
    liaison = make_liaison("西播磨")
    staff, gone = make_staff("佐用町"), make_expert(active=False)
    for person in (staff, gone):
        with pytest.raises(ValidationFailed) as exc:
            visit(liaison, experts=[person])
        assert exc.value.field == "attendee_ids"
        db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Visit)) == 0
    assert visit(liaison, experts=[make_expert()]).attendees
