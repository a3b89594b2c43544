"""Demo rounds (定期巡回) for `flask seed --demo`: two prefectural departments, round records
shared with them, and a planned round, made through the rounds services."""
from datetime import time, timedelta

import sqlalchemy as sa

from .. import calendar_jp
from ..extensions import db
from ..models import Department, Municipality, RoundRecord, User
from ..services.visits.round_departments import save_department
from ..services.visits.round_plans import plan_round, plannable_cycles
from ..services.visits.rounds import local_date, record_round
from ..timeutil import utcnow
from .cast import demo_cast

DEMO_LIAISON = "liaison.nishiharima@demo.example.jp"
DEMO_ADMIN = "admin@demo.example.jp"
# (name, contact e-mail)
DEMO_DEPARTMENTS = (("デジタル改革課", "digital@pref.demo.example.jp"),
                    ("市町振興課", "shicho@pref.demo.example.jp"))
# (municipality, days ago, progress, issues, shared departments)
DEMO_ROUNDS = (
    ("佐用町", 20, "RPAで会計業務の一部を自動化。効果測定はこれから。",
     "生成AIの利用ルールが未整備\n情報部門が2名で手が回らない", ["デジタル改革課"]),
    ("姫路市", 45, "窓口のオンライン申請を拡大中。", "", ["市町振興課", "デジタル改革課"]),
    ("赤穂市", 120, "DX推進計画の策定に着手。", "幹部の理解を得る材料が不足", []),
)
# Municipalities whose next round the demo liaison has planned.
DEMO_PLANS = ("相生市", "たつの市")


def _user(email):
    return db.session.scalar(sa.select(User).where(User.email == email))


def _municipality(name):
    return db.session.scalar(sa.select(Municipality).where(Municipality.name == name))


def _next_business_day(region, now):
    """The first business day from tomorrow inside a cycle that can still be planned."""
    for first, last, _label in plannable_cycles(region, now):
        day = max(first, local_date(now) + timedelta(days=1))
        while day <= last:
            if calendar_jp.is_business_day(day):
                return first, day
            day += timedelta(days=1)
    return None, None


def seed_demo_rounds(now=None):
    """Demo departments, round records and plans for the 西播磨 liaison (idempotent: skipped
    once any record exists)."""
    now = now or utcnow()
    cast = demo_cast()
    liaison, admin = _user(cast(DEMO_LIAISON)), _user(DEMO_ADMIN)
    if liaison is None or admin is None \
            or db.session.scalar(sa.select(RoundRecord.id).limit(1)) is not None:
        return 0
    depts = {}
    for name, email in cast(DEMO_DEPARTMENTS):
        depts[name] = (db.session.scalar(sa.select(Department).where(Department.name == name))
                       or save_department(admin, None, name=name, contact_email=email, now=now))
    for name, days_ago, progress, issues, shared in cast(DEMO_ROUNDS):
        held_on = local_date(now) - timedelta(days=days_ago)
        record_round(liaison, _municipality(name), held_on=held_on, start_time=time(10),
                     end_time=time(11, 30), progress=progress, issues=issues,
                     departments=[depts[d] for d in shared], now=now)
    for name in cast(DEMO_PLANS):
        m = _municipality(name)
        cycle_start, day = _next_business_day(m.region, now)
        if day is not None:
            plan_round(liaison, m, planned_on=day, cycle_start=cycle_start, now=now)
    return len(DEMO_ROUNDS)
