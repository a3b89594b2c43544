"""Pages against their floor: the layout alone, queue, request page, municipality page and
monthly report.

    python bench/pages_bench.py [--count 100000] [--runs 20] [--sqlite FILE]
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test python bench/pages_bench.py

The data is queue_bench.py's (100k requests with history, bulk inserts). Each page is fetched
through the Flask test client with a logged-in session; its floor is a route added to the same
app for the bench only: the same login_required session lookup, the page's one indexed query,
and a trivial template. Page and floor alternate (ABAB...) in the same process after warm-up.
The monthly report's closed months are frozen first (the scheduler does it on the 1st), as in
production; the report is measured as the closed month's page and with ?live=1 (computed, as
the open month always is, the compared months from their snapshots). Prints p50/p95, the ratio page/floor, the same in CPU time of the process, and the SQL statements of one page view.
"""
import argparse
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(__file__))

import sqlalchemy as sa  # noqa: E402
from flask import Blueprint, render_template  # noqa: E402
from jinja2 import DictLoader  # noqa: E402
from flask_login import login_required  # noqa: E402

import queue_bench as qb  # noqa: E402
from supportdesk.extensions import db  # noqa: E402
from supportdesk.models import Municipality, ReportSnapshot, SupportRequest, User  # noqa: E402
from supportdesk.services.reports.figures import month_period, previous_month  # noqa: E402
from supportdesk.services.requests.queue import OPEN  # noqa: E402

TRIVIAL = "<html><body>{% for r in rows %}<p>{{ r|join(' ') }}</p>{% endfor %}</body></html>"
# What the layout alone adds to every page: base.html (nav, bell, footer, language switch) and
# the app's request hooks, with no page content and no query of its own.
LAYOUT_ONLY = '{% extends "base.html" %}{% block content %}{% endblock %}'
# The queue's floor in the layout: its query and rows, inside base.html instead of TRIVIAL.
FLOOR_IN_LAYOUT = ('{% extends "base.html" %}{% block content %}'
                   "{% for r in rows %}<p>{{ r|join(' ') }}</p>{% endfor %}{% endblock %}")
REPORT_MONTH = (2026, 6)


def floor_blueprint(liaison_regions):
    """The floors: session lookup (login_required), one indexed query, a trivial template."""
    bp = Blueprint("floor", __name__, url_prefix="/_floor")
    # The floors' templates are compiled once, as a real page's are (render_template_string
    # compiled them on every view: ~1.5 ms that no page pays, which flattered every ratio).
    bp.jinja_loader = DictLoader({"_floor/trivial.html": TRIVIAL,
                                  "_floor/layout.html": LAYOUT_ONLY,
                                  "_floor/in_layout.html": FLOOR_IN_LAYOUT})
    t = SupportRequest.__table__

    def render(stmt, **params):
        return render_template("_floor/trivial.html",
                               rows=db.session.execute(stmt, params).all())

    @bp.get("/queue")
    @login_required
    def queue():
        return render(qb.floor_select(liaison_regions, sorted(OPEN), "submitted_at", False))

    @bp.get("/layout")
    @login_required
    def layout():
        return render_template("_floor/layout.html")

    @bp.get("/queue-in-layout")
    @login_required
    def queue_in_layout():
        stmt = qb.floor_select(liaison_regions, sorted(OPEN), "submitted_at", False)
        return render_template("_floor/in_layout.html", rows=db.session.execute(stmt).all())

    @bp.get("/request/<int:rid>")
    @login_required
    def request_page(rid):
        return render(sa.select(t.c.id, t.c.number, t.c.title, t.c.body, t.c.state, t.c.kind,
                                t.c.submitted_at, t.c.updated_at).where(t.c.id == rid))

    @bp.get("/municipality/<code>")
    @login_required
    def municipality(code):
        m = sa.select(Municipality.id).where(Municipality.code == code).scalar_subquery()
        return render(sa.select(t.c.id, t.c.number, t.c.title, t.c.state, t.c.submitted_at)
                      .where(t.c.municipality_id == m)
                      .order_by(t.c.submitted_at.desc(), t.c.id.desc()).limit(20))

    @bp.get("/monthly/<int:year>/<int:month>")
    @login_required
    def monthly(year, month):
        p = month_period(year, month)
        return render(sa.select(t.c.kind, t.c.state, sa.func.count()).where(
            t.c.submitted_at >= p.start, t.c.submitted_at < p.end).group_by(t.c.kind, t.c.state))

    return bp


class StatementCounter:
    def __init__(self, engine):
        self.n = 0
        sa.event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *args):
        self.n += 1


def freeze_closed_months(year, month):
    """As the scheduler would have: the month and both compared months are frozen."""
    from supportdesk.services.reports.snapshots import freeze_monthly_report

    months = [previous_month(year, month), (year - 1, month), (year, month)]
    for y, m in months:
        if not db.session.scalar(sa.select(ReportSnapshot.id)
                                 .where(ReportSnapshot.period == f"{y:04d}-{m:02d}")):
            freeze_monthly_report(y, m, reason="bench")
    db.session.commit()


def named_schema(url, schema):
    """A PostgreSQL schema that outlives the run (made once, reused while it holds the data)."""
    from supportdesk.config import normalise_db_url

    base = normalise_db_url(url)
    admin = sa.create_engine(base)
    with admin.begin() as conn:
        conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
        conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    admin.dispose()
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}%2Cpublic"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--sqlite", metavar="PATH", help="SQLite file; reused if it holds the data")
    ap.add_argument("--pg-schema", "--schema", dest="pg_schema", metavar="NAME",
                    help="PostgreSQL: a named schema, kept and reused if it holds the data")
    ap.add_argument("--only", default="", help="comma-separated page names to measure")
    ap.add_argument("--profile", type=int, default=0, metavar="N",
                    help="also profile N views of each page with pyinstrument (dev only: "
                         "pip install pyinstrument) and print where the time goes")
    args = ap.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if args.pg_schema and url.startswith("postgres"):
        uri, cleanup = named_schema(url, args.pg_schema), lambda: None
    else:
        uri, cleanup = qb.setup_database(url, args.sqlite)
    app = qb.make_app(uri)
    try:
        run(app, args)
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        if not args.keep:
            cleanup()


def run(app, args):
    from supportdesk.permissions import liaison_region_filter

    with app.app_context():
        reusable = args.sqlite or args.pg_schema
        if reusable and sa.inspect(db.engine).has_table("support_requests"):
            # Tables declared since the file was made (only those: the metadata's own DDL
            # hooks, such as the append-only triggers, exist already).
            have = set(sa.inspect(db.engine).get_table_names())
            missing = [t for t in db.metadata.sorted_tables if t.name not in have]
            if missing:
                db.metadata.create_all(db.engine, tables=missing)
            liaison = db.session.scalar(sa.select(User).where(
                User.email == "liaison1@bench.example.jp"))
            manager = db.session.scalar(sa.select(User).where(User.role == "manager"))
            qb.log("reusing " + reusable)
        else:
            liaison, manager = qb.generate(args.count, args.seed)
        regions = sorted(liaison_region_filter(liaison))
        # A busy municipality and one of its open requests in the liaison's regions.
        t = SupportRequest.__table__
        rid, mid = db.session.execute(
            sa.select(t.c.id, t.c.municipality_id).where(t.c.region_id.in_(regions),
                                                         t.c.state == "answered")
            .order_by(t.c.id.desc()).limit(1)).one()
        code = db.session.get(Municipality, mid).code
        freeze_closed_months(*REPORT_MONTH)
        emails = liaison.email, manager.email
        dialect = db.engine.dialect.name
        db.session.remove()
        engine = db.engine
    app.register_blueprint(floor_blueprint(regions))
    counter = StatementCounter(engine)
    clients = {}
    for email in emails:
        c = app.test_client()
        assert c.post("/login", data={"email": email, "password": qb.PASSWORD}).status_code == 302
        clients[email] = c
    y, m = REPORT_MONTH
    pages = [
        # Measured against the queue's floor: the ratio is what the layout adds to any page.
        ("layout only (base.html, empty content)", emails[0], "/_floor/layout", "/_floor/queue"),
        ("layout + queue floor (its rows in base.html)", emails[0], "/_floor/queue-in-layout",
         "/_floor/queue"),
        ("queue (liaison default, 50 rows)", emails[0], "/queue/", "/_floor/queue"),
        ("request page", emails[0], f"/requests/{rid}", f"/_floor/request/{rid}"),
        ("municipality page", emails[0], f"/municipalities/{code}",
         f"/_floor/municipality/{code}"),
        (f"monthly report {y}-{m:02d} (closed)", emails[1], f"/reports/monthly/{y:04d}-{m:02d}",
         f"/_floor/monthly/{y}/{m}"),
        (f"monthly report {y}-{m:02d} ?live=1", emails[1],
         f"/reports/monthly/{y:04d}-{m:02d}?live=1", f"/_floor/monthly/{y}/{m}"),
    ]
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    qb.log(f"database: {dialect}, {args.count} requests, {args.runs} runs per page")
    results = []
    for name, email, url, floor_url in pages:
        if only and not any(o in name for o in only):
            continue
        client = clients[email]

        def get(u):
            r = client.get(u)
            assert r.status_code == 200, (u, r.status_code)

        for _ in range(3):
            get(url)
            get(floor_url)
        counter.n = 0
        get(url)
        stmts = counter.n
        counter.n = 0
        get(floor_url)
        floor_stmts = counter.n
        real_t, floor_t, real_cpu, floor_cpu = [], [], [], []
        for _ in range(args.runs):
            wall, cpu = timed(lambda: get(url))
            real_t.append(wall)
            real_cpu.append(cpu)
            wall, cpu = timed(lambda: get(floor_url))
            floor_t.append(wall)
            floor_cpu.append(cpu)
        results.append((name, stmts, floor_stmts, real_t, floor_t, real_cpu, floor_cpu))
        if args.profile:
            statement_times(engine, name, lambda: get(url))
            profile(name, lambda: get(url), args.profile)
    qb.log("")
    qb.log(f"{'page':44} {'SQL':>4} {'fl SQL':>6} {'p50':>8} {'p95':>8} {'floor p50':>9} "
           f"{'floor p95':>9} {'x p50':>6} {'cpu p50':>8} {'fl cpu':>7} {'x cpu':>6}")
    for name, stmts, fstmts, real_t, floor_t, real_cpu, floor_cpu in results:
        rm, fm = statistics.median(real_t), statistics.median(floor_t)
        rc, fc = statistics.median(real_cpu), statistics.median(floor_cpu)
        qb.log(f"{name:44} {stmts:>4} {fstmts:>6} {rm:7.1f}ms {qb.p95(real_t):7.1f}ms "
               f"{fm:8.2f}ms {qb.p95(floor_t):8.2f}ms {rm / fm:6.2f} {rc:6.1f}ms {fc:5.1f}ms "
               f"{rc / fc:6.2f}")
    qb.log("(cpu: this process's CPU time per view, steadier than wall time on a loaded machine; "
           "on PostgreSQL it leaves out the server's work)")


def timed(fn):
    """(wall ms, this process's CPU ms) of one call."""
    import time

    w0, c0 = time.perf_counter(), time.process_time()
    fn()
    return (time.perf_counter() - w0) * 1000, (time.process_time() - c0) * 1000


def statement_times(engine, name, fn):
    """Each statement of one view with its time (execute and fetch not told apart)."""
    import time

    seen = []

    def before(conn, cursor, statement, *args):
        conn.info["t0"] = time.perf_counter()

    def after(conn, cursor, statement, *args):
        seen.append(((time.perf_counter() - conn.info["t0"]) * 1000, statement))

    sa.event.listen(engine, "before_cursor_execute", before)
    sa.event.listen(engine, "after_cursor_execute", after)
    t0 = time.perf_counter()
    try:
        fn()
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)
        sa.event.remove(engine, "after_cursor_execute", after)
    total = (time.perf_counter() - t0) * 1000
    qb.log(f"--- statements: {name}: {len(seen)} in {sum(t for t, _ in seen):.1f} ms "
           f"of {total:.1f} ms")
    for t, statement in seen:
        qb.log(f"{t:7.2f} ms  " + " ".join(statement.split())[:150])


def profile(name, fn, n):
    if os.environ.get("PROFILER") == "cprofile":  # CPU time: steadier on a loaded machine
        import cProfile
        import pstats
        import time

        prof = cProfile.Profile(time.process_time)
        prof.runcall(lambda: [fn() for _ in range(n)])
        qb.log(f"--- cProfile (CPU seconds): {name}, {n} views")
        stats = pstats.Stats(prof, stream=sys.stdout)
        stats.sort_stats(os.environ.get("PROFILE_SORT", "cumulative")).print_stats(
            r"supportdesk|templates|jinja2/runtime" if "PROFILE_SORT" not in os.environ else "", 60)
        if os.environ.get("PROFILE_CALLERS"):
            stats.print_callers(os.environ["PROFILE_CALLERS"])
        return
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(n):
        fn()
    profiler.stop()
    qb.log(f"--- profile: {name}, {n} views")
    qb.log(profiler.output_text(unicode=False, color=False, show_all=False))


if __name__ == "__main__":
    main()
