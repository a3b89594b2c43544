"""Round plans: a planned date per municipality and cycle, "due" (planned date passed, not
visited) from one owner, the itinerary, the calendar and the municipality page."""
from datetime import date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from supportdesk import calendar_jp
from supportdesk.extensions import db
from supportdesk.models import PlannedRound
from supportdesk.services import ValidationFailed
from supportdesk.services.visits import round_plans as plans
from supportdesk.services.visits import rounds as svc
from supportdesk.timeutil import JST, utcnow
from tests.factories import make_liaison, make_staff, make_user, municipality, region


def jst(y, m, d, hh=0, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=JST)


def held_round(liaison, name, when):
    rec = svc.record_round(liaison, municipality(name), held_on=when.date(),
                           start_time=when.time(), end_time=time(when.hour + 1),
                           progress="p", issues="i", now=when.replace(hour=23))
    db.session.commit()
    return rec


def plan(liaison, name, day, now, cycle_start=None):
    p = plans.plan_round(liaison, municipality(name), planned_on=day, now=now,
                         cycle_start=cycle_start)
    db.session.commit()
    return p


def status(name, now):
    return {s.municipality.name: s for s in svc.region_statuses(region("西播磨"), now)}[name]


def test_visited_last_cycle_without_a_plan_is_not_due(app):
    """The old definition called this "due" (a round last cycle, none yet this cycle); due now
    means a planned date passed without a round, and there is no plan."""
    liaison = make_liaison("西播磨")
    held_round(liaison, "相生市", jst(2026, 12, 20, 10))   # Oct-Dec
    st = status("相生市", jst(2027, 2, 1, 12))            # Jan-Mar, nothing planned
    assert st.status != svc.DUE and not st.due
    assert svc.coverage([region("西播磨")], jst(2027, 2, 1, 12))[0]["due"] == 0


def next_cycle(now=None):
    """(first day, last day) of 西播磨's next cycle: always wholly in the future."""
    (first, last, _label) = plans.plannable_cycles(region("西播磨"), now or utcnow())[1]
    return first, last


def business_day_in(first, last, nth=0):
    day, seen = first, 0
    while day <= last:
        if calendar_jp.is_business_day(day):
            if seen == nth:
                return day
            seen += 1
        day += timedelta(days=1)
    raise AssertionError("no business day")


def weekend_in(first):
    return first + timedelta(days=(5 - first.weekday()) % 7)


def test_planned_date_passed_without_a_round_is_due(app):
    liaison = make_liaison("西播磨")
    p = plan(liaison, "佐用町", date(2026, 11, 16), jst(2026, 10, 15, 9))   # Oct-Dec, a Monday
    assert (p.cycle_start, p.cycle_end) == (date(2026, 10, 1), date(2026, 12, 31))
    assert not status("佐用町", jst(2026, 11, 16, 18)).due    # the planned day itself: not yet
    st = status("佐用町", jst(2026, 11, 17, 9))
    assert st.due and st.plan.id == p.id
    # Never visited before, so it is overdue too; a municipality visited last cycle shows "due".
    assert st.status == svc.OVERDUE
    held_round(liaison, "相生市", jst(2026, 9, 1, 10))
    plan(liaison, "相生市", date(2026, 11, 16), jst(2026, 10, 15, 9))
    assert status("相生市", jst(2026, 11, 10, 9)).status == svc.PLANNED
    assert status("相生市", jst(2026, 11, 17, 9)).status == svc.DUE
    assert svc.coverage([region("西播磨")], jst(2026, 11, 17, 9))[0]["due"] == 2
    # A round held (even before the planned date) inside the cycle: no longer due.
    held_round(liaison, "相生市", jst(2026, 11, 20, 10))
    assert status("相生市", jst(2026, 11, 21, 9)).status == svc.VISITED
    assert not status("相生市", jst(2026, 11, 21, 9)).due


@pytest.mark.parametrize("held_on, due", [
    (None, True),                        # never visited
    (jst(2026, 9, 30, 10), True),        # the day before the cycle: does not count
    (jst(2026, 10, 1, 10), False),       # the cycle's first day
    (jst(2026, 11, 20, 10), False),      # after the planned date, inside the cycle
    (jst(2026, 12, 1, 10), True),        # later than now: not held yet
])
def test_is_due_and_its_sql_condition_agree(app, held_on, due):
    liaison = make_liaison("西播磨")
    plan(liaison, "佐用町", date(2026, 11, 16), jst(2026, 10, 15, 9))
    if held_on is not None:
        held_round(liaison, "佐用町", held_on)
    now = jst(2026, 11, 25, 12)
    assert status("佐用町", now).due is due
    assert [p.municipality.name for p in plans.due_plans(now)] == (["佐用町"] if due else [])


@pytest.mark.parametrize("day, field, message", [
    (date(2026, 11, 14), "planned_on", "開庁日"),      # a Saturday
    (date(2026, 11, 23), "planned_on", "開庁日"),      # 勤労感謝の日
    (date(2026, 12, 29), "planned_on", "開庁日"),      # year-end closure
    (date(2027, 1, 12), "planned_on", "周期"),         # next cycle, but Oct-Dec chosen
    (date(2026, 10, 14), "planned_on", "過去"),        # inside the cycle, before today
])
def test_plan_is_a_future_business_day_inside_the_cycle(app, day, field, message):
    liaison = make_liaison("西播磨")
    with pytest.raises(ValidationFailed) as exc:
        plans.plan_round(liaison, municipality("佐用町"), planned_on=day,
                         cycle_start=date(2026, 10, 1), now=jst(2026, 10, 15, 9))
    assert exc.value.field == field and message in str(exc.value)


def test_plan_rules_cycle_region_and_moving(app):
    liaison = make_liaison("西播磨")
    now = jst(2026, 10, 15, 9)
    with pytest.raises(ValidationFailed) as exc:   # two cycles ahead
        plans.plan_round(liaison, municipality("佐用町"), planned_on=date(2027, 4, 5), now=now)
    assert exc.value.field == "cycle"
    from supportdesk.permissions import PermissionDenied
    with pytest.raises(PermissionDenied):
        plans.plan_round(make_liaison("但馬"), municipality("佐用町"),
                         planned_on=date(2026, 11, 16), now=now)
    first = plan(liaison, "佐用町", date(2026, 11, 16), now)
    moved = plan(liaison, "佐用町", date(2026, 11, 18), now)
    assert moved.id == first.id and moved.planned_on == date(2026, 11, 18)
    nxt = plan(liaison, "佐用町", date(2027, 1, 12), now)   # the next cycle: its own plan
    assert nxt.id != first.id and nxt.cycle_start == date(2027, 1, 1)
    assert db.session.scalar(sa.select(sa.func.count(PlannedRound.id))) == 2


def test_plan_form_keeps_the_input_and_shows_the_error_beside_the_field(app, client, login_as):
    login_as(make_liaison("西播磨"))
    code = municipality("佐用町").code
    first, last = next_cycle()
    saturday = weekend_in(first)
    resp = client.post(f"/rounds/municipalities/{code}/plan",
                       data={"cycle": first.isoformat(), "planned_on": saturday.isoformat()})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "予定日は開庁日(土日・祝日・年末年始以外)にしてください。" in page
    assert f'value="{saturday.isoformat()}"' in page
    day = business_day_in(first, last, 3)
    resp = client.post(f"/rounds/municipalities/{code}/plan",
                       data={"cycle": first.isoformat(), "planned_on": day.isoformat()})
    assert resp.status_code == 302
    assert db.session.scalar(sa.select(PlannedRound.planned_on)) == day
    page = client.get(f"/rounds/municipalities/{code}/plan?cycle={first.isoformat()}")
    assert page.status_code == 200 and f'value="{day.isoformat()}"' in page.get_data(as_text=True)
    region_page = client.get(f"/rounds/regions/{region('西播磨').id}").get_data(as_text=True)
    assert f"/rounds/municipalities/{code}/plan" in region_page
    # Another region's liaison, a manager and staff cannot plan.
    for user in (make_liaison("但馬"), make_user("manager"), make_staff("佐用町")):
        login_as(user)
        assert client.get(f"/rounds/municipalities/{code}/plan").status_code in (403, 404)


@pytest.fixture
def clock():
    """Move the clock to a fixed time for the rest of the test (pages read the real clock)."""
    travels = []

    def go(when):
        travels.append(time_machine.travel(when, tick=True))
        travels[-1].start()

    yield go
    for travel in reversed(travels):
        travel.stop()


def test_itinerary_lists_this_cycles_plans_by_date(app, client, login_as, clock):
    clock(jst(2026, 10, 15, 9))  # early in a cycle, whatever today's date is
    liaison = make_liaison("西播磨")
    now = utcnow()
    first, last, _ = plans.plannable_cycles(region("西播磨"), now)[0]
    days = [d for d in (svc.local_date(now) + timedelta(days=i) for i in range(1, 60))
            if d <= last and calendar_jp.is_business_day(d)]
    assert len(days) >= 2
    plan(liaison, "赤穂市", days[1], now)
    plan(liaison, "佐用町", days[0], now)
    make_liaison("但馬")
    login_as(liaison)
    page = client.get("/rounds/itinerary").get_data(as_text=True)
    assert page.index('data-municipality="佐用町"') < page.index('data-municipality="赤穂市"')
    assert f"itinerary-{region('但馬').id}" not in page


def test_planned_rounds_on_the_calendar_feed_and_municipality_page(app, client, login_as):
    liaison = make_liaison("西播磨")
    first, last = next_cycle()
    day = business_day_in(first, last, 2)
    p = plan(liaison, "佐用町", day, utcnow())
    own, other = make_staff("佐用町"), make_staff("赤穂市")
    month = f"/calendar/?view=month&date={day.isoformat()}"

    login_as(own)
    assert f'data-testid="planned-{p.id}"' in client.get(month).get_data(as_text=True)
    page = client.get(f"/municipalities/{municipality('佐用町').code}").get_data(as_text=True)
    assert 'data-testid="planned-round"' in page and day.isoformat() in page
    assert "round-history" not in page   # staff still do not see the round records

    login_as(other)
    assert f'data-testid="planned-{p.id}"' not in client.get(month).get_data(as_text=True)
    assert client.get(f"/municipalities/{municipality('佐用町').code}").status_code == 404
    assert 'data-testid="planned-round"' not in client.get(
        f"/municipalities/{municipality('赤穂市').code}").get_data(as_text=True)

    login_as(liaison)
    assert f'data-testid="planned-{p.id}"' in client.get(month).get_data(as_text=True)
    page = client.get(f"/municipalities/{municipality('佐用町').code}").get_data(as_text=True)
    assert 'data-testid="planned-on"' in page

    from supportdesk.services.visits.calendar_feed import build_feed
    assert f"planned-round-{p.id}@".encode() in build_feed(own)
    assert f"planned-round-{p.id}@".encode() not in build_feed(other)


def test_plan_list_scope_agrees_with_the_object_check(app):
    from supportdesk import permissions
    from tests.factories import make_expert

    now = jst(2026, 10, 15, 9)
    made = [plan(make_liaison("西播磨"), "佐用町", date(2026, 11, 16), now),
            plan(make_liaison("但馬"), "豊岡市", date(2026, 11, 17), now)]
    users = [make_staff("佐用町"), make_staff("豊岡市"), make_staff("赤穂市"), make_expert(),
             make_liaison("西播磨"), make_user("manager"), make_user("admin")]
    for user in users:
        listed = {p.id for p in plans.planned_between(user, date(2026, 10, 1), date(2027, 1, 1))}
        assert listed == {p.id for p in made if permissions.can(user, "view", p)}, user.role
    assert [len(plans.planned_between(u, date(2026, 10, 1), date(2027, 1, 1)))
            for u in users] == [1, 1, 0, 0, 2, 2, 2]


def test_pages_show_a_passed_plan_as_due(app, client, login_as, clock):
    clock(jst(2026, 11, 20, 9))  # well into a cycle: its first business day has passed
    liaison = make_liaison("西播磨")
    now = utcnow()
    first, last, _ = plans.plannable_cycles(region("西播磨"), now)[0]
    day = business_day_in(first, last, 0)
    assert day < svc.local_date(now)
    plan(liaison, "佐用町", day, datetime.combine(first, time(8), tzinfo=JST))  # planned back then
    login_as(liaison)
    code = municipality("佐用町").code
    assert 'data-testid="due"' in client.get(f"/municipalities/{code}").get_data(as_text=True)
    assert 'data-municipality="佐用町" data-due="1"' in client.get(
        "/rounds/itinerary").get_data(as_text=True)
    login_as(make_staff("佐用町"))
    assert "予定日超過" in client.get(f"/municipalities/{code}").get_data(as_text=True)
    held_round(liaison, "佐用町", datetime.combine(svc.local_date(now) - timedelta(days=1),
                                                 time(10), tzinfo=JST))
    login_as(liaison)
    assert 'data-testid="due"' not in client.get(f"/municipalities/{code}").get_data(as_text=True)
