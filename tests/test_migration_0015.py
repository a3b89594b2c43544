"""Migration 0015 on existing rows: first_response_at recomputed by the new rule (taking a
request no longer counts), and whether the 情報部門 share reached anyone filled from the events."""
from datetime import datetime

import sqlalchemy as sa
from flask_migrate import upgrade

from supportdesk.extensions import db
from supportdesk.timeutil import JST, UTCDateTime
from tests.factories import legacy_user, municipality


def jst(*args):
    return datetime(*args, tzinfo=JST)


REQUESTS = sa.table(
    "support_requests", sa.column("id", sa.Integer), sa.column("kind", sa.String),
    sa.column("origin", sa.String), sa.column("state", sa.String),
    sa.column("municipality_id", sa.Integer), sa.column("region_id", sa.Integer),
    sa.column("filer_id", sa.Integer), sa.column("created_by_id", sa.Integer),
    sa.column("filed_outside_info_dept", sa.Boolean), sa.column("title", sa.String),
    sa.column("body", sa.Text), sa.column("urgent", sa.Boolean), sa.column("online", sa.Boolean),
    sa.column("created_at", UTCDateTime), sa.column("updated_at", UTCDateTime),
    sa.column("submitted_at", UTCDateTime), sa.column("first_response_at", UTCDateTime),
    sa.column("search_text", sa.Text), sa.column("version", sa.Integer))
EVENTS = sa.table(
    "request_events", sa.column("request_id", sa.Integer), sa.column("actor_id", sa.Integer),
    sa.column("kind", sa.String), sa.column("action", sa.String), sa.column("data", sa.JSON),
    sa.column("internal", sa.Boolean), sa.column("at", UTCDateTime))


def _request(rid, filer, origin="municipal", first_response_at=None):
    m = municipality("佐用町")
    at = jst(2026, 11, 30, 9)
    db.session.execute(sa.insert(REQUESTS).values(
        id=rid, kind="consultation", origin=origin, state="triage", municipality_id=m.id,
        region_id=m.region_id, filer_id=filer.id, created_by_id=filer.id,
        filed_outside_info_dept=True, title=f"依頼{rid}", body="", urgent=False, online=False,
        created_at=at, updated_at=at, submitted_at=at, first_response_at=first_response_at,
        search_text="", version=1))


def _event(rid, actor, kind, at, action=None, internal=False, data=None):
    db.session.execute(sa.insert(EVENTS).values(request_id=rid, actor_id=actor.id, kind=kind,
                                                action=action, internal=internal, data=data,
                                                at=at))


def test_existing_requests_get_the_new_rule(blank_app):
    upgrade(revision="0014")
    from supportdesk.services.seed import seed_reference

    seed_reference()
    db.session.commit()
    staff = legacy_user("municipal_staff", municipality_name="佐用町")
    liaison = legacy_user("liaison", regions=("西播磨",))
    # 1: taken at 10:00 (which used to stop the clock), replied to at 12:00.
    _request(1, staff, first_response_at=jst(2026, 11, 30, 10))
    _event(1, staff, "state", jst(2026, 11, 30, 9), action="submit")
    _event(1, liaison, "state", jst(2026, 11, 30, 10), action="triage")
    _event(1, liaison, "comment", jst(2026, 11, 30, 12))
    _event(1, staff, "info_shared", jst(2026, 11, 30, 9), data={"users": ["情報担当"], "rooms": []})
    # 2: taken, then only an internal note and the town's own reply: no first response yet.
    _request(2, staff, first_response_at=jst(2026, 11, 30, 10))
    _event(2, liaison, "state", jst(2026, 11, 30, 10), action="triage")
    _event(2, liaison, "note", jst(2026, 11, 30, 11), internal=True)
    _event(2, staff, "comment", jst(2026, 11, 30, 12))
    _event(2, staff, "info_shared", jst(2026, 11, 30, 9),
           data={"users": [], "rooms": [], "reached": False})
    # 3: a push-type proposal is its own first contact; 4: a support action then an answer.
    _request(3, liaison, origin="push")
    _event(3, liaison, "state", jst(2026, 11, 30, 9), action="submit")
    _request(4, staff, first_response_at=jst(2026, 11, 30, 10))
    _event(4, liaison, "state", jst(2026, 11, 30, 10), action="triage")
    _event(4, liaison, "support", jst(2026, 12, 1, 15))
    _event(4, liaison, "state", jst(2026, 12, 2, 10), action="answer")
    db.session.commit()
    db.session.remove()

    upgrade()

    reached = sa.column("info_dept_reached", sa.Boolean)
    rows = db.session.execute(sa.select(REQUESTS.c.id, REQUESTS.c.first_response_at, reached)
                              .select_from(REQUESTS).order_by(REQUESTS.c.id)).all()
    assert [(rid, at, r) for rid, at, r in rows] == [
        (1, jst(2026, 11, 30, 12), True),
        (2, None, False),
        (3, jst(2026, 11, 30, 9), None),
        (4, jst(2026, 12, 1, 15), None),
    ]
