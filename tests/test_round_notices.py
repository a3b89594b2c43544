"""The round-notice job: liaisons of a region hear of municipalities whose round is overdue, in
the bell, once per municipality and cycle, and the unit of work commits."""
from datetime import UTC, datetime

import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import InAppNotification
from supportdesk.services.visits.round_notices import send_round_notices
from tests.factories import make_liaison, region

NOW = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)


def test_overdue_rounds_reach_the_regions_liaisons_and_commit(app):
    liaison = make_liaison("西播磨")
    sent = send_round_notices(now=NOW)
    db.session.commit()  # failed: the municipality's name was passed as notify()'s municipality
    assert sent["overdue"] >= len(region("西播磨").municipalities)  # every region's, never visited
    bell = db.session.scalars(sa.select(InAppNotification).where(
        InAppNotification.user_id == liaison.id,
        InAppNotification.event_type == "round.overdue")).all()
    assert len(bell) == len(region("西播磨").municipalities)  # only the liaison's region
    assert any("佐用町" in n.body or "佐用町" in n.title for n in bell)
    assert send_round_notices(now=NOW)["items"] == 0  # once per municipality and cycle
