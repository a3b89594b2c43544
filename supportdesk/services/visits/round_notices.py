"""Round-due and round-overdue notices to liaisons: a due plan once per plan and date, an
overdue municipality once per cycle."""
import logging
import sqlalchemy as sa

from ...extensions import db
from ...models import User
from ...models.user import liaison_regions
from ...notifications import notify
from ...roles import Role
from ...timeutil import utcnow
from ..job_markers import claim_notice
from .round_plans import due_plans
from .rounds import OVERDUE, plan_regions, region_statuses

logger = logging.getLogger(__name__)


def region_liaisons(region):
    return db.session.scalars(
        sa.select(User).where(User.role == Role.LIAISON, User.active.is_(True),
                              User.id.in_(sa.select(liaison_regions.c.user_id)
                                          .where(liaison_regions.c.region_id == region.id)))
        .order_by(User.id)).all()


def send_round_notices(now=None):
    """Notify each region's liaisons of planned rounds that are due (rounds.is_due: the planned
    date passed without a round; once per plan and date) and of municipalities that are overdue
    (once per cycle). Returns {"due": n, "overdue": n, "items": total}."""
    now = now or utcnow()
    sent = {"due": 0, OVERDUE: 0}
    liaisons = {}

    def team(region):
        if region.id not in liaisons:
            liaisons[region.id] = region_liaisons(region)
        return liaisons[region.id]

    for plan in due_plans(now):
        m = plan.municipality
        key = f"planned_round:{plan.id}:{plan.planned_on.isoformat()}"
        if not m.region.has_liaison or not claim_notice("round.due", key, now=now,
                                                        municipality_id=m.id):
            continue
        notify("round.due", recipients=team(m.region), now=now, municipality=m,
               municipality_code=m.code, region=m.region.name,
               due_on=plan.planned_on.isoformat(), last_round_on=None)
        sent["due"] += 1
    for region in plan_regions():
        for st in region_statuses(region, now):
            if st.status != OVERDUE:
                continue
            key = f"municipality:{st.municipality.id}:{st.cycle_start.isoformat()}"
            if not claim_notice("round.overdue", key, now=now,
                                municipality_id=st.municipality.id):
                continue
            notify("round.overdue", recipients=team(region), now=now,
                   municipality=st.municipality, municipality_code=st.municipality.code,
                   region=region.name, due_on=st.next_due_on.isoformat(),
                   last_round_on=st.last_round_on.isoformat() if st.last_round_on else None)
            sent[OVERDUE] += 1
    db.session.flush()
    if sent["due"] or sent[OVERDUE]:
        logger.info("round notices: %s due, %s overdue", sent["due"], sent[OVERDUE])
    return {"due": sent["due"], "overdue": sent[OVERDUE], "items": sent["due"] + sent[OVERDUE]}
