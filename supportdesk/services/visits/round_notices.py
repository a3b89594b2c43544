"""Round-due and round-overdue notices to liaisons: once per municipality, cycle and kind."""
import logging
from datetime import timedelta

import sqlalchemy as sa

from ...extensions import db
from ...models import User
from ...models.user import liaison_regions
from ...notifications import notify
from ...roles import Role
from ...timeutil import utcnow
from ..job_markers import claim_notice
from .rounds import DUE, OVERDUE, local_date, plan_regions, region_statuses

logger = logging.getLogger(__name__)

# A "due" notice goes out when this many days or fewer are left in the cycle.
DUE_NOTICE_DAYS = 30


def region_liaisons(region):
    return db.session.scalars(
        sa.select(User).where(User.role == Role.LIAISON, User.active.is_(True),
                              User.id.in_(sa.select(liaison_regions.c.user_id)
                                          .where(liaison_regions.c.region_id == region.id)))
        .order_by(User.id)).all()


def send_round_notices(now=None, due_notice_days=DUE_NOTICE_DAYS):
    """Notify each region's liaisons of municipalities whose round is due (the cycle ends within
    `due_notice_days`) or overdue. Returns {"due": n, "overdue": n, "items": total}."""
    now = now or utcnow()
    today = local_date(now)
    sent = {DUE: 0, OVERDUE: 0}
    for region in plan_regions():
        liaisons = None
        for st in region_statuses(region, now):
            if st.status == DUE and st.cycle_end - today > timedelta(days=due_notice_days):
                continue
            if st.status not in (DUE, OVERDUE):
                continue
            kind = f"round.{st.status}"
            key = f"municipality:{st.municipality.id}:{st.cycle_start.isoformat()}"
            if not claim_notice(kind, key, now=now, municipality_id=st.municipality.id):
                continue
            if liaisons is None:
                liaisons = region_liaisons(region)
            notify(kind, recipients=liaisons, now=now, municipality=st.municipality,
                   municipality_code=st.municipality.code, region=region.name,
                   due_on=st.next_due_on.isoformat(),
                   last_round_on=st.last_round_on.isoformat() if st.last_round_on else None)
            sent[st.status] += 1
    db.session.flush()
    if sent[DUE] or sent[OVERDUE]:
        logger.info("round notices: %s due, %s overdue", sent[DUE], sent[OVERDUE])
    return {"due": sent[DUE], "overdue": sent[OVERDUE], "items": sent[DUE] + sent[OVERDUE]}
