"""Periodic rounds: fiscal-year cycles, due/overdue status with a frozen clock, coverage, records,
the municipality history and push-lecture proposals."""
from datetime import date, datetime, time

import pytest
import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import RequestEvent, RoundRecord, SupportRequest, Visit
from supportdesk.services import ValidationFailed
from supportdesk.services.visits import rounds as svc
from supportdesk.timeutil import JST
from tests.factories import (make_department, make_liaison, make_request,
                             make_staff, make_user, municipality, region)


def jst(y, m, d, hh=0, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=JST)


def held_round(liaison, muni_name, when, **fields):
    rec = svc.record_round(liaison, municipality(muni_name), held_on=when.date(),
                           start_time=when.time(), end_time=time(when.hour + 1, when.minute),
                           progress=fields.get("progress", "RPA導入を検討中"),
                           issues=fields.get("issues", "庁内の推進体制がない"),
                           departments=[make_department(n)
                                        for n in fields.get("shared", ["デジタル改革課"])],
                           now=when.replace(hour=23))
    db.session.commit()
    return rec


def statuses(name, now):
    return {s.municipality.name: s for s in svc.region_statuses(region(name), now)}


@pytest.mark.parametrize("day, months, start, end", [
    (date(2026, 4, 1), 3, date(2026, 4, 1), date(2026, 7, 1)),
    (date(2026, 6, 30), 3, date(2026, 4, 1), date(2026, 7, 1)),
    (date(2026, 7, 1), 3, date(2026, 7, 1), date(2026, 10, 1)),
    (date(2026, 12, 31), 3, date(2026, 10, 1), date(2027, 1, 1)),
    (date(2027, 3, 31), 3, date(2027, 1, 1), date(2027, 4, 1)),
    (date(2027, 1, 15), 6, date(2026, 10, 1), date(2027, 4, 1)),
    (date(2027, 3, 31), 12, date(2026, 4, 1), date(2027, 4, 1)),
    (date(2027, 2, 28), 1, date(2027, 2, 1), date(2027, 3, 1)),
])
def test_cycles_are_aligned_to_the_fiscal_year(day, months, start, end):
    assert svc.cycle_bounds(day, months) == (start, end)


def test_cycle_months_must_divide_the_year():
    with pytest.raises(ValueError):
        svc.cycle_bounds(date(2026, 4, 1), 5)


def test_cycle_uses_the_tokyo_date():
    # 2027-03-31 15:00 UTC is already April 1 in Tokyo: the new fiscal year's first quarter.
    assert svc.cycle_bounds(datetime.fromisoformat("2027-03-31T15:00:00+00:00"), 3)[0] == \
        date(2027, 4, 1)
    assert svc.cycle_bounds(datetime.fromisoformat("2027-03-31T14:59:59+00:00"), 3)[0] == \
        date(2027, 1, 1)


def test_unplanned_and_overdue_across_the_fiscal_year_boundary(app):
    # Visited last cycle, nothing this cycle and no plan: unplanned (not "due": see
    # tests/test_round_plans.py), until a whole cycle passes without a round: overdue.
    liaison = make_liaison("西播磨")
    held_round(liaison, "佐用町", jst(2027, 2, 10, 10))   # Jan-Mar quarter of FY2026
    held_round(liaison, "相生市", jst(2026, 12, 20, 10))  # Oct-Dec quarter

    before = statuses("西播磨", jst(2027, 3, 31, 23, 59))
    assert before["佐用町"].status == svc.VISITED
    assert before["佐用町"].next_due_on == date(2027, 6, 30)
    assert before["相生市"].status == svc.UNPLANNED
    assert before["相生市"].next_due_on == date(2027, 3, 31)
    assert before["赤穂市"].status == svc.OVERDUE and before["赤穂市"].last_round_on is None

    after = statuses("西播磨", jst(2027, 4, 1, 0, 0))
    assert after["佐用町"].status == svc.UNPLANNED
    assert after["佐用町"].last_round_on == date(2027, 2, 10)
    assert after["佐用町"].next_due_on == date(2027, 6, 30)
    assert after["相生市"].status == svc.OVERDUE
    assert after["相生市"].overdue_since == date(2027, 4, 1)

    # One quarter later with no new round, 佐用町 is overdue too.
    assert statuses("西播磨", jst(2027, 6, 30, 23, 59))["佐用町"].status == svc.UNPLANNED
    assert statuses("西播磨", jst(2027, 7, 1, 0, 0))["佐用町"].status == svc.OVERDUE


def test_quarter_boundary_inside_the_fiscal_year(app):
    liaison = make_liaison("西播磨")
    held_round(liaison, "たつの市", jst(2026, 6, 30, 16))
    assert statuses("西播磨", jst(2026, 6, 30, 23, 59))["たつの市"].status == svc.VISITED
    s = statuses("西播磨", jst(2026, 7, 1, 0, 0))["たつの市"]
    assert (s.status, s.cycle_start, s.cycle_end) == (svc.UNPLANNED, date(2026, 7, 1),
                                                      date(2026, 9, 30))


def test_half_year_cycle(app):
    liaison = make_liaison("西播磨")
    r = region("西播磨")
    svc.update_round_cycle(liaison, r, 6)
    db.session.commit()
    held_round(liaison, "太子町", jst(2026, 5, 1, 10))
    assert statuses("西播磨", jst(2026, 9, 30, 12))["太子町"].status == svc.VISITED
    assert statuses("西播磨", jst(2026, 10, 1, 12))["太子町"].status == svc.UNPLANNED
    assert statuses("西播磨", jst(2027, 4, 1, 12))["太子町"].status == svc.OVERDUE


def test_only_held_rounds_up_to_now_count(app):
    liaison = make_liaison("西播磨")
    m = municipality("上郡町")
    for kind, state in (("round", "cancelled"), ("round", "confirmed"), ("lecture", "held")):
        v = Visit(kind=kind, state=state, title="x", starts_at=jst(2026, 5, 1, 10),
                  ends_at=jst(2026, 5, 1, 11), created_by_id=liaison.id)
        v.municipalities = [m]
        db.session.add(v)
    db.session.commit()
    assert statuses("西播磨", jst(2026, 5, 2))["上郡町"].status == svc.OVERDUE
    held_round(liaison, "上郡町", jst(2026, 5, 10, 10))
    # Asked about a moment before the round took place, it does not count yet.
    assert statuses("西播磨", jst(2026, 5, 9))["上郡町"].status == svc.OVERDUE
    assert statuses("西播磨", jst(2026, 5, 11))["上郡町"].status == svc.VISITED


def test_coverage_counts(app):
    liaison = make_liaison("西播磨", "中播磨")
    held_round(liaison, "佐用町", jst(2026, 5, 1, 10))
    held_round(liaison, "赤穂市", jst(2026, 5, 2, 10))
    held_round(liaison, "相生市", jst(2026, 2, 2, 10))    # previous quarter: unplanned
    held_round(liaison, "姫路市", jst(2026, 4, 20, 10))
    rows = {row["region"].name: row for row in
            svc.coverage([region("西播磨"), region("中播磨")], jst(2026, 6, 1))}
    west = rows["西播磨"]
    assert (west["visited"], west["unplanned"], west["overdue"], west["total"]) == (2, 1, 4, 7)
    assert west["due"] == 0  # nothing planned
    assert (rows["中播磨"]["visited"], rows["中播磨"]["total"]) == (1, 4)
    assert west["cycle_start"] == date(2026, 4, 1) and west["cycle_end"] == date(2026, 6, 30)


def test_kobe_has_no_round_plan(app):
    names = [r.name for r in svc.plan_regions()]
    assert "神戸" not in names and len(names) == 9
    central = make_liaison("西播磨", central=True)
    with pytest.raises(ValidationFailed):
        held_round(central, "神戸市", jst(2026, 5, 1, 10))


def test_record_round_rules(app):
    liaison = make_liaison("西播磨")
    m = municipality("佐用町")
    now = jst(2026, 5, 1, 12)
    with pytest.raises(ValidationFailed) as exc:
        svc.record_round(liaison, m, held_on=date(2026, 5, 2), start_time=time(10),
                         end_time=time(11), progress="p", issues="", now=now)
    assert exc.value.field == "held_on"
    with pytest.raises(ValidationFailed) as exc:
        svc.record_round(liaison, m, held_on=date(2026, 5, 1), start_time=time(10),
                         end_time=time(9), progress="p", issues="", now=now)
    assert exc.value.field == "end_time"
    other = make_liaison("但馬")
    from supportdesk.permissions import PermissionDenied
    with pytest.raises(PermissionDenied):
        svc.record_round(other, m, held_on=date(2026, 5, 1), start_time=time(10),
                         end_time=time(11), progress="p", issues="", now=now)
    rec = svc.record_round(liaison, m, held_on=date(2026, 5, 1), start_time=time(10),
                           end_time=time(11), progress="p", issues="i",
                           departments=[make_department("情報政策課"), make_department("情報政策課"),
                                        make_department("産業振興課")], now=now)
    db.session.commit()
    assert [d.name for d in rec.departments] == ["情報政策課", "産業振興課"]
    visit = rec.visit
    assert (visit.kind, visit.state, visit.liaison_id) == ("round", "held", liaison.id)
    assert [x.id for x in visit.municipalities] == [m.id]
    assert visit.starts_at == jst(2026, 5, 1, 10)


def test_push_lecture_proposal_is_created_and_linked(app):
    liaison = make_liaison("西播磨")
    rec = held_round(liaison, "佐用町", jst(2026, 5, 1, 10),
                     issues="窓口のオンライン化が進まない\n職員の理解不足")
    assert svc.default_proposal_title(rec) == "プッシュ型出前講座: 窓口のオンライン化が進まない"
    sreq = svc.propose_push_lecture(liaison, rec, now=jst(2026, 5, 2, 9))
    db.session.commit()
    assert (sreq.kind, sreq.origin, sreq.state) == ("lecture", "push", "draft")
    assert sreq.filer_id == liaison.id and sreq.created_by_id == liaison.id
    assert sreq.municipality_id == municipality("佐用町").id
    assert sreq.region_id == region("西播磨").id
    assert sreq.title == "プッシュ型出前講座: 窓口のオンライン化が進まない"
    assert "職員の理解不足" in sreq.body
    assert db.session.get(RoundRecord, rec.id).proposed_request_id == sreq.id
    event = db.session.scalar(sa.select(RequestEvent).where(RequestEvent.request_id == sreq.id))
    assert event.kind == "created" and event.data["round_record_id"] == rec.id
    with pytest.raises(ValidationFailed):
        svc.propose_push_lecture(liaison, rec, now=jst(2026, 5, 2, 9))


def test_push_lecture_can_be_submitted_at_once(app):
    liaison = make_liaison("西播磨")
    rec = held_round(liaison, "赤穂市", jst(2026, 5, 1, 10))
    sreq = svc.propose_push_lecture(liaison, rec, title="データ利活用の講座", submit=True,
                                    now=jst(2026, 5, 2, 9))
    db.session.commit()
    assert sreq.state == "submitted" and sreq.title == "データ利活用の講座"
    assert db.session.scalar(sa.select(sa.func.count(SupportRequest.id))) == 1
    # Submitted like any filing: numbered from the fiscal-year counter, routed, searchable.
    assert sreq.number == "R8-0001" and sreq.first_response_due_at is not None
    assert sreq.number.lower() in sreq.search_text
    assert db.session.scalar(sa.select(RequestEvent.id).where(
        RequestEvent.request_id == sreq.id, RequestEvent.kind == "routed"))
    staff = make_staff("赤穂市")
    assert make_request(staff, now=jst(2026, 5, 3, 9)).number == "R8-0002"


def test_round_record_in_municipality_history(app, client, login_as):
    liaison = make_liaison("西播磨")
    held_round(liaison, "佐用町", jst(2026, 5, 1, 10), progress="RPAの実証を開始",
               shared=["デジタル改革課", "市町振興課"])
    login_as(make_user("manager"))
    page = client.get(f"/municipalities/{municipality('佐用町').code}").get_data(as_text=True)
    assert 'data-testid="round-history"' in page
    assert "RPAの実証を開始" in page and "デジタル改革課、市町振興課" in page
    # Municipal staff see their page, but not the liaison's round notes.
    login_as(make_staff("佐用町"))
    page = client.get(f"/municipalities/{municipality('佐用町').code}").get_data(as_text=True)
    assert "RPAの実証を開始" not in page and "round-history" not in page
