"""Demo round records (定期巡回) for `flask seed --demo`, made through the rounds service."""
from datetime import time, timedelta

import sqlalchemy as sa

from ..extensions import db
from ..models import Municipality, RoundRecord, User
from ..services.visits.rounds import local_date, record_round
from ..timeutil import utcnow

DEMO_LIAISON = "liaison.nishiharima@demo.example.jp"
# (municipality, days ago, progress, issues, shared departments)
DEMO_ROUNDS = (
    ("佐用町", 20, "RPAで会計業務の一部を自動化。効果測定はこれから。",
     "生成AIの利用ルールが未整備\n情報部門が2名で手が回らない", ["デジタル改革課"]),
    ("姫路市", 45, "窓口のオンライン申請を拡大中。", "", ["市町振興課", "デジタル改革課"]),
    ("赤穂市", 120, "DX推進計画の策定に着手。", "幹部の理解を得る材料が不足", []),
)


def seed_demo_rounds(now=None):
    """Demo round records for the 西播磨 liaison (idempotent: skipped once any record exists)."""
    now = now or utcnow()
    liaison = db.session.scalar(sa.select(User).where(User.email == DEMO_LIAISON))
    if liaison is None or db.session.scalar(sa.select(RoundRecord.id).limit(1)) is not None:
        return 0
    for name, days_ago, progress, issues, departments in DEMO_ROUNDS:
        m = db.session.scalar(sa.select(Municipality).where(Municipality.name == name))
        held_on = local_date(now) - timedelta(days=days_ago)
        record_round(liaison, m, held_on=held_on, start_time=time(10), end_time=time(11, 30),
                     progress=progress, issues=issues, shared_departments=departments, now=now)
    return len(DEMO_ROUNDS)
