"""A municipality's requests (its own and the joint ones it takes part in) are found from an index.

The queue's municipality filter and the municipality page read the requests of one
municipality. Written as `municipality_id = m OR id IN (co-municipality subquery)`, PostgreSQL
cannot use an index for the OR (the subquery is a hashed filter), so it read every row of the
state or of the table: at national size (1,741 municipalities, bench/national_bench.py) a small
municipality's queue page took 0.45 s of SQL at 100k requests.
"""
import re

import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import SupportRequest
from tests.factories import make_request, make_user, municipality
from tests.test_queue import NOW, flt


def _bulk_other_requests(conn, n=2000):
    """n copies of the first request, in another municipality: a table the planner must think
    about (the plan of a ten-row table proves nothing)."""
    cols = [c for c in SupportRequest.__table__.c if c.name not in ("id", "number", "seq")]
    names = ", ".join(c.name for c in cols)
    conn.exec_driver_sql(
        f"INSERT INTO support_requests ({names}, number, seq) SELECT {names}, "
        f"'F-' || g, 100000 + g FROM support_requests, "
        + ("generate_series(1, %d) g " % n if conn.dialect.name == "postgresql" else
           "(WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < %d) "
           "SELECT g FROM s) " % n)
        + "WHERE id = (SELECT min(id) FROM support_requests)")


def _plan(conn, statement, parameters):
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("ANALYZE support_requests")
        conn.exec_driver_sql("ANALYZE request_co_municipalities")
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        return "\n".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + statement, parameters))
    conn.exec_driver_sql("ANALYZE")
    return "\n".join(r[-1] for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement,
                                                          parameters))


def _captured(fn, needle):
    captured = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if needle in statement:
            captured.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        result = fn()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    return result, captured


def _uses_municipality_index(plan):
    # Either index led by municipality_id: the planner picks one of them for the queue.
    return bool(re.search(r"ix_support_requests_muni_(created|history)", plan))


def _reads_the_history_index_alone(plan):
    """The own arm of the municipality's requests is a range of the covering history index:
    SQLite reads no table row for it. PostgreSQL chooses between the two indexes led by
    municipality_id by cost (for this one-row municipality either is right): an index, then."""
    if db.engine.dialect.name == "postgresql":
        return _uses_municipality_index(plan)
    return "COVERING INDEX ix_support_requests_muni_history" in plan


def test_the_queue_filtered_by_a_municipality_reads_its_requests_from_an_index(app):
    from supportdesk.services.requests.queue import load_queue_page

    manager = make_user("manager")
    make_request(title="赤穂市の相談", municipality_name="赤穂市")
    own = make_request(title="佐用町の相談")
    joint = make_request(title="合同講座", municipality_name="相生市", kind="lecture")
    joint.co_municipalities = [municipality("佐用町")]
    db.session.commit()
    _bulk_other_requests(db.session.connection())
    db.session.commit()
    sayo = municipality("佐用町").code
    page, captured = _captured(
        lambda: load_queue_page(manager, flt(municipality=sayo, state="all"), NOW),
        "support_requests")
    assert {s.id for s in page.rows} == {own.id, joint.id}
    assert sum(page.counts.values()) == 2
    rows_stmt = next(c for c in captured if "ORDER BY" in c[0] and "LIMIT" in c[0])
    plan = _plan(db.session.connection(), *rows_stmt)
    assert _uses_municipality_index(plan), plan
    db.session.rollback()


def test_the_municipality_page_counts_its_requests_from_an_index(app):
    from supportdesk.services.requests.history import _request_counts, _requests

    manager = make_user("manager")
    make_request(title="赤穂市の相談", municipality_name="赤穂市")
    own = make_request(title="佐用町の相談")
    joint = make_request(title="合同講座", municipality_name="相生市", kind="lecture")
    joint.co_municipalities = [municipality("佐用町")]
    db.session.commit()
    _bulk_other_requests(db.session.connection())
    db.session.commit()
    m = municipality("佐用町")
    listed, captured = _captured(lambda: _requests(m, manager), "ORDER BY")
    assert [s.id for s in listed] == [joint.id, own.id]  # newest first
    plan = _plan(db.session.connection(), *captured[0])
    assert _uses_municipality_index(plan), plan
    counts, captured = _captured(lambda: _request_counts(m, manager), "GROUP BY")
    assert sum(counts.values()) == 2
    plan = _plan(db.session.connection(), *captured[0])
    assert _reads_the_history_index_alone(plan), plan
    db.session.rollback()
