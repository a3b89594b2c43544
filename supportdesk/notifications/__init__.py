"""The one notification path. `notify` is what every service calls; it writes outbox rows in the
caller's transaction (see outbox.py). Until the outbox lands this records nothing."""
import logging

logger = logging.getLogger(__name__)


def notify(event_type, *, sreq=None, audiences=(), recipients=(), actor=None, now=None, **context):
    """Tell `audiences` (workflow audience names) and `recipients` (users) about `event_type`."""
    logger.info("notify %s request=%s audiences=%s recipients=%s", event_type,
                getattr(sreq, "id", None), sorted(audiences), [getattr(u, "id", u) for u in recipients])
    return []
