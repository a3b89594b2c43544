"""Round plans: a planned date per municipality and cycle, "due" (planned date passed, not
visited) from one owner, the itinerary, the calendar and the municipality page."""
from datetime import date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import PlannedRound
from supportdesk.services import ValidationFailed
from supportdesk.services.visits import round_plans as plans
from supportdesk.services.visits import rounds as svc
from supportdesk.timeutil import JST
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
