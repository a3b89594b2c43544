"""First-response escalation: requests past their 2-business-day target go to the team lead."""
import logging

import sqlalchemy as sa

from ..extensions import db
from ..models import Region, SupportRequest, User
from ..models.user import liaison_regions
from ..notifications import notify
from ..timeutil import utcnow
from ..workflow import OPEN_STATES
from .job_markers import claim_notice
from .support_requests import record_event

logger = logging.getLogger(__name__)

KIND = "request.escalated"


def team_leads_for(region):
    """Active liaison team leads of the region; for a region without liaisons (Kobe) the
    central team's lead."""
    stmt = sa.select(User).where(User.role == "liaison", User.active.is_(True),
                                 User.is_team_lead.is_(True)).order_by(User.id)
    if region.has_liaison:
        stmt = stmt.where(User.id.in_(sa.select(liaison_regions.c.user_id)
                                      .where(liaison_regions.c.region_id == region.id)))
    else:
        stmt = stmt.where(User.is_central_team.is_(True))
    return db.session.scalars(stmt).all()


def overdue_first_responses(now):
    return db.session.scalars(
        sa.select(SupportRequest)
        .where(SupportRequest.first_response_due_at < now,
               SupportRequest.first_response_at.is_(None),
               SupportRequest.state.in_([s.value for s in OPEN_STATES]))
        .order_by(SupportRequest.first_response_due_at, SupportRequest.id)).all()


def escalate_first_responses(now=None):
    """Tell the team lead, once per request, about requests nobody answered within 2 business
    days. Returns how many requests were escalated in this run."""
    now = now or utcnow()
    count = 0
    regions = {}
    for sreq in overdue_first_responses(now):
        if not claim_notice(KIND, f"request:{sreq.id}", now=now, request_id=sreq.id):
            continue
        region = regions.get(sreq.region_id) or db.session.get(Region, sreq.region_id)
        regions[sreq.region_id] = region
        leads = team_leads_for(region)
        # No lead on file: tell the whole team rather than nobody.
        notify(KIND, sreq=sreq, recipients=leads, audiences=() if leads else ("team",), now=now,
               due_at=sreq.first_response_due_at)
        record_event(sreq, None, "escalated", internal=True, now=now,
                     data={"due_at": sreq.first_response_due_at.isoformat(),
                           "recipients": [u.id for u in leads]})
        logger.info("request %s escalated to %s (first response due %s)", sreq.id,
                    [u.id for u in leads], sreq.first_response_due_at)
        count += 1
    db.session.flush()
    return count
