"""seed --demo: the demo requests come from the state machine, cover many states, and a second
run adds nothing."""
import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import (ExpertAssignment, RequestComment, RequestEvent, RequestLink,
                                SupportAction, SupportRequest, Visit, VisitRecord)
from supportdesk.timeutil import utcnow

TABLES = (SupportRequest, RequestEvent, RequestComment, ExpertAssignment, RequestLink,
          SupportAction, Visit, VisitRecord)


def _counts():
    return {t.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(t))
            for t in TABLES}


def test_demo_seed_is_idempotent_and_spread_over_states(app, runner):
    result = runner.invoke(args=["seed", "--demo"])
    assert result.exit_code == 0, result.output
    assert "seed_demo_requests: " in result.output
    first = _counts()
    assert 25 <= first["SupportRequest"] <= 33  # 3 of them closed years ago (demo/retention.py)
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
    # One request shows the desk waiting for the municipality (the clock stopped).
    waiting = db.session.scalars(sa.select(SupportRequest).where(
        SupportRequest.waiting_for.is_not(None))).all()
    assert [(s.state, s.waiting_for) for s in waiting] == [("triage", "municipality")]
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


def test_demo_visits_serve_the_demo_requests(app, runner):
    result = runner.invoke(args=["seed", "--demo"])
    assert result.exit_code == 0, result.output
    now = utcnow()
    reached = db.session.scalars(sa.select(SupportRequest).where(
        SupportRequest.kind.in_(("lecture", "accompaniment")),
        SupportRequest.id.in_(sa.select(RequestEvent.request_id)
                              .where(RequestEvent.action == "schedule")))).all()
    assert {r.state for r in reached} == {"scheduled", "delivered", "closed"}
    for sreq in reached:
        visits = db.session.scalars(sa.select(Visit).where(Visit.request_id == sreq.id)).all()
        assert len(visits) == 1, sreq.title
        (visit,) = visits
        assert {m.id for m in visit.municipalities} >= {sreq.municipality_id}
        if sreq.state == "scheduled":
            assert visit.state == "confirmed" and visit.starts_at > now, sreq.title
            assert visit.record is None
        else:
            assert visit.state == "held" and visit.starts_at < now, sreq.title
            assert visit.record is not None and visit.record.covered
            delivered_at = db.session.scalar(sa.select(RequestEvent.at).where(
                RequestEvent.request_id == sreq.id, RequestEvent.action == "deliver"))
            assert visit.ends_at <= delivered_at  # recorded after the lecture, not before
        # The request's history says when its visit was arranged.
        assert db.session.scalar(sa.select(RequestEvent.id).where(
            RequestEvent.request_id == sreq.id, RequestEvent.kind == "visit").limit(1))
    # Every demo lecture has its request, and every held lecture has its record.
    lectures = db.session.scalars(sa.select(Visit).where(Visit.kind == "lecture")).all()
    assert lectures and all(v.request_id for v in lectures)
    assert all(v.record is not None for v in lectures if v.state == "held")
    assert sum(v.state == "held" for v in lectures) >= 3
