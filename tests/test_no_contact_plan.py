"""The monthly report's no-contact list hashes the municipalities that had contact.

`municipalities.id NOT IN (every contact of the 90 days)` on PostgreSQL: when the contacts do
not fit in work_mem as a hash, the planner falls back to a materialised list that it walks for
each municipality. At national size (1,741 municipalities, 255k contacts in the window at 1M
requests, bench/national_bench.py) that one statement took 14-19 s of a 22 s report. The
distinct municipality ids (at most one per municipality) always fit.
"""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import RequestEvent
from tests.factories import make_request
from tests.test_queue import NOW


def test_the_no_contact_list_hashes_the_contacted_municipalities(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite builds an ephemeral index for NOT IN (its plan has no fallback)")
    from supportdesk.services.reports.figures import no_contact

    make_request(title="赤穂市の相談", municipality_name="赤穂市", now=NOW - timedelta(days=3))
    db.session.commit()
    conn = db.session.connection()
    # 20,000 contacts in the window (copies of the request's event): a list that does not fit
    # in the work_mem set below, while its distinct municipalities do.
    cols = [c.name for c in RequestEvent.__table__.c if c.name != "id"]
    names = ", ".join(cols)
    conn.exec_driver_sql(f"INSERT INTO request_events ({names}) SELECT {names} FROM request_events, "
                         "generate_series(1, 20000) WHERE id = (SELECT min(id) FROM request_events)")
    conn.exec_driver_sql("ANALYZE request_events")
    conn.exec_driver_sql("ANALYZE support_requests")
    captured = []

    def record(c, cursor, statement, parameters, context, executemany):
        if "NOT IN" in statement:
            captured.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        quiet = no_contact(NOW, None)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    names_quiet = {m.name for m, _ in quiet}
    assert "赤穂市" not in names_quiet and "佐用町" in names_quiet
    statement, parameters = captured[0]
    conn.exec_driver_sql("SET LOCAL work_mem = '64kB'")
    plan = "\n".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + statement, parameters))
    assert "hashed SubPlan" in plan, plan
    db.session.rollback()
