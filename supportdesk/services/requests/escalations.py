"""First-response escalation: requests past their 2-business-day target go to the team lead."""
import logging


from ...extensions import db
from ...models import Region
from ...notifications import notify
from ...notifications.audiences import team_leads_for
from ...timeutil import utcnow
from ..job_markers import claim_notice
from .response_target import overdue_requests
from .transitions import record_event

logger = logging.getLogger(__name__)

KIND = "request.escalated"  # the once-per-request marker (SentNotice.kind)
EVENT = "request.escalation"  # the notification (WHO_HEARS, urgent)


def escalate_first_responses(now=None):
    """Tell the team lead, once per request, about requests nobody answered within 2 business
    days. Returns how many requests were escalated in this run."""
    now = now or utcnow()
    count = 0
    regions = {}
    for sreq in overdue_requests(now):
        if not claim_notice(KIND, f"request:{sreq.id}", now=now, request_id=sreq.id):
            continue
        region = regions.get(sreq.region_id) or db.session.get(Region, sreq.region_id)
        regions[sreq.region_id] = region
        leads = team_leads_for(region)
        # WHO_HEARS sends it to the team lead(s), or the whole team when no lead is on file.
        notify(EVENT, sreq=sreq, now=now, due_at=sreq.first_response_due_at)
        record_event(sreq, None, "escalated", internal=True, now=now,
                     data={"due_at": sreq.first_response_due_at.isoformat(),
                           "recipients": [u.id for u in leads]})
        logger.info("request %s escalated to %s (first response due %s)", sreq.id,
                    [u.id for u in leads], sreq.first_response_due_at)
        count += 1
    db.session.flush()
    return count
