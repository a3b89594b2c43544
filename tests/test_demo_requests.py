"""seed --demo: the demo requests come from the state machine, cover many states, and a second
run adds nothing."""
import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import (ExpertAssignment, RequestComment, RequestEvent, RequestLink,
                                SupportAction, SupportRequest)

TABLES = (SupportRequest, RequestEvent, RequestComment, ExpertAssignment, RequestLink,
          SupportAction)


def _counts():
    return {t.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(t))
            for t in TABLES}


def test_demo_seed_is_idempotent_and_spread_over_states(app, runner):
    result = runner.invoke(args=["seed", "--demo"])
    assert result.exit_code == 0, result.output
    assert "seed_demo_requests: " in result.output
    first = _counts()
    assert 25 <= first["SupportRequest"] <= 30
    states = set(db.session.scalars(sa.select(SupportRequest.state)))
    assert len(states) >= 6
    assert {"submitted", "triage", "scheduled", "closed", "declined", "on_hold"} <= states
    kinds = set(db.session.scalars(sa.select(SupportRequest.kind)))
    assert kinds == {"consultation", "lecture", "accompaniment"}
    municipalities = set(db.session.scalars(sa.select(SupportRequest.municipality_id)))
    assert len(municipalities) >= 20
    assert first["ExpertAssignment"] >= 5 and first["SupportAction"] >= 3
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RequestComment)
                             .where(RequestComment.internal.is_(True))) >= 5
    dup = db.session.scalar(sa.select(SupportRequest).where(
        SupportRequest.duplicate_of_id.is_not(None)))
    assert dup.state == "declined" and dup.decline_reason.startswith("重複")
    assert {link.kind for link in db.session.scalars(sa.select(RequestLink))} == {
        "duplicate", "related", "follow_up"}
    # Every state change of every demo request is in its history.
    changed = db.session.scalar(sa.select(sa.func.count()).select_from(SupportRequest)
                                .where(SupportRequest.state != "draft"))
    submits = db.session.scalar(sa.select(sa.func.count()).select_from(RequestEvent)
                                .where(RequestEvent.action == "submit"))
    assert submits == changed
    numbers = list(db.session.scalars(sa.select(SupportRequest.number)
                                      .where(SupportRequest.number.is_not(None))))
    assert len(numbers) == len(set(numbers)) == changed

    result = runner.invoke(args=["seed", "--demo"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert _counts() == first
