"""National size: 1,741 municipalities of 47 prefectures, 100k and 1M requests, pages against floors.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test \
        python bench/national_bench.py --sizes 100000,1000000 --generate-only   # once
    DATABASE_URL=... python bench/national_bench.py --sizes 100000,1000000 --runs 15
    python bench/national_bench.py --smoke                 # SQLite, 300 requests (CI smoke)

Data: bench/national.py (COPY on PostgreSQL). Each size lives in a named schema,
national_100k / national_1m (SCHEMA_PREFIX + size), generated when missing and kept (--drop
removes them at the end); on SQLite in DIR/national_<size>.sqlite3 (--sqlite-dir), or a
temporary directory. Measured through the Flask test client, logged in, the sizes interleaved
(every run takes each figure once at each size, so the machine's load hits them alike):
queue pages against pages_bench's floor (the same login_required session lookup, the page's
one indexed query, a trivial template), searches against page 1 of the queue (issue 14's
reference for search), the monthly report (closed: its snapshot; ?live=1: computed) against
its GROUP BY floor. Prints p50 / p95, ratios, statements per page, the growth of each figure
from the smallest size to the largest, and the goals of issue 14.
"""
import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from urllib.parse import urlencode

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import sqlalchemy as sa  # noqa: E402
from flask import Blueprint, render_template_string  # noqa: E402
from flask_login import login_required  # noqa: E402

import pages_bench as pb  # noqa: E402
import queue_bench as qb  # noqa: E402
from harness import exit_on_sigterm, machine_load  # noqa: E402
from national import generate_national  # noqa: E402
from supportdesk.config import normalise_db_url  # noqa: E402
from supportdesk.extensions import db  # noqa: E402
from supportdesk.models import Municipality, SupportRequest, User  # noqa: E402
from supportdesk.permissions import liaison_region_filter  # noqa: E402
from supportdesk.services.requests.queue import OPEN, QueueFilter, encode_cursor  # noqa: E402

SCHEMA_PREFIX = "national_"
ALL_STATES = sorted(OPEN) + ["closed", "withdrawn", "declined"]
GOALS = {"queue": 1.5, "report": 3.0, "search": 1.5, "growth": 1.3}  # issue 14
# (queue goal: queue, request and municipality pages <= 1.5x their floor)
SEARCHES = [("common word", "ガバメントクラウド"), ("common 2 chars", "申請"),
            ("rare 2 chars", "交付"), ("rare phrase", "コンビニ交付 高齢者")]
log = qb.log


def size_label(n):
    return f"{n // 1_000_000}m" if n % 1_000_000 == 0 else \
        f"{n // 1000}k" if n % 1000 == 0 else str(n)


def database_for(count, args):
    """(uri, drop, label) of the named schema or SQLite file for `count` requests."""
    name = SCHEMA_PREFIX + size_label(count)
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres") and not args.smoke:
        base = normalise_db_url(url)
        admin = sa.create_engine(base)
        with admin.begin() as conn:
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
            conn.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {name}")

        def drop():
            with admin.begin() as conn:
                conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {name} CASCADE")
            admin.dispose()

        sep = "&" if "?" in base else "?"
        return f"{base}{sep}options=-csearch_path%3D{name}%2Cpublic", drop, f"schema {name}"
    path = os.path.join(args.sqlite_dir, name + ".sqlite3")
    return "sqlite:///" + os.path.abspath(path), lambda: None, path


def prepare(count, args):
    """Generate (or reuse) the data of one size; the facts the scenarios need."""
    uri, drop, where = database_for(count, args)
    app = qb.make_app(uri)
    with app.app_context():
        insp = sa.inspect(db.engine)
        n = 0
        if insp.has_table("support_requests"):
            n = db.session.scalar(sa.select(sa.func.count()).select_from(SupportRequest))
        if n:
            log(f"{size_label(count)}: reusing {where} ({n:,} requests)")
            if db.engine.dialect.name == "sqlite":
                db.create_all()  # tables declared since the file was made
        else:
            log(f"{size_label(count)}: generating {count:,} requests into {where}")
            generate_national(count, args.seed)
        liaison = db.session.scalar(sa.select(User).where(
            User.email == "liaison1@bench.example.jp"))
        manager = db.session.scalar(sa.select(User).where(User.role == "manager"))
        regions = sorted(liaison_region_filter(liaison))
        t = SupportRequest.__table__
        # the busiest municipality (Zipf rank 1) and the row-10,000 cursor of "all states"
        busy_mid = db.session.execute(
            sa.select(t.c.municipality_id, sa.func.count()).group_by(t.c.municipality_id)
            .order_by(sa.func.count().desc()).limit(1)).one()[0]
        busy = db.session.get(Municipality, busy_mid)
        small_mid, small_n = db.session.execute(
            sa.select(t.c.municipality_id, sa.func.count()).group_by(t.c.municipality_id)
            .order_by(sa.func.count(), t.c.municipality_id).limit(1)).one()
        small = db.session.get(Municipality, small_mid)
        deep_offset = min(10_000, max(1, n // 2 if n else count // 2))
        deep_row = tuple(db.session.execute(
            sa.select(t.c.submitted_at, t.c.id).where(t.c.state.in_(ALL_STATES))
            .order_by(t.c.submitted_at, t.c.id).offset(deep_offset - 1).limit(1)).one())
        cursor = encode_cursor(QueueFilter(states=("all",), region="all"), *deep_row)
        pb.freeze_closed_months(*pb.REPORT_MONTH)
        facts = dict(count=n or count, liaison=liaison.email, manager=manager.email,
                     regions=regions, busy_code=busy.code, busy_id=busy.id,
                     busy_name=busy.name, small_code=small.code, small_id=small.id,
                     small_name=small.name, small_n=small_n, deep_offset=deep_offset, deep_row=deep_row,
                     cursor=cursor, dialect=db.engine.dialect.name,
                     munis=db.session.scalar(sa.select(sa.func.count()).select_from(Municipality)))
        db.session.remove()
    return app, drop, facts


def national_floors(f):
    """Floors of the queue variants pages_bench has none for (same shape as its floors)."""
    bp = Blueprint("nfloor", __name__, url_prefix="/_nfloor")

    def render(stmt):
        return render_template_string(pb.TRIVIAL, rows=db.session.execute(stmt).all())

    @bp.get("/filtered")
    @login_required
    def filtered():
        return render(qb.floor_select(None, ["submitted", "triage"], "updated_at", True,
                                      kind="consultation"))

    @bp.get("/municipality/<int:mid>")
    @login_required
    def municipality(mid):
        return render(qb.floor_select(None, ALL_STATES, "submitted_at", False)
                      .where(SupportRequest.__table__.c.municipality_id == mid))

    @bp.get("/all")
    @login_required
    def all_states():
        return render(qb.floor_select(None, ALL_STATES, "submitted_at", False))

    @bp.get("/deep")
    @login_required
    def deep():
        return render(qb.floor_select(None, ALL_STATES, "submitted_at", False,
                                      after=f["deep_row"]))

    return bp


def scenarios(f):
    """(name, user, url, reference url, kind of goal)."""
    y, m = pb.REPORT_MONTH
    page1 = "/queue/?state=all"
    out = [
        ("queue: liaison default", f["liaison"], "/queue/", "/_floor/queue", "queue"),
        ("queue: submitted+triage, consultation, updated desc", f["manager"],
         "/queue/?" + urlencode({"state": ["submitted", "triage"], "kind": "consultation",
                                 "sort": "updated", "dir": "desc"}, doseq=True),
         "/_nfloor/filtered", "queue"),
        ("queue: busiest municipality, all states", f["manager"],
         "/queue/?" + urlencode({"state": "all", "municipality": f["busy_code"]}),
         f"/_nfloor/municipality/{f['busy_id']}", "queue"),
        (f"queue: smallest municipality ({f['small_n']} requests), all states", f["manager"],
         "/queue/?" + urlencode({"state": "all", "municipality": f["small_code"]}),
         f"/_nfloor/municipality/{f['small_id']}", "queue"),
        ("queue: all states, page 1", f["manager"], page1, "/_nfloor/all", "queue"),
        (f"queue: all states, row {f['deep_offset']:,} via cursor", f["manager"],
         "/queue/?" + urlencode({"state": "all", "after": f["cursor"]}), "/_nfloor/deep",
         "queue"),
    ]
    for label, code in (("busiest", f["busy_code"]), ("smallest", f["small_code"])):
        out.append((f"municipality page ({label})", f["liaison"], f"/municipalities/{code}",
                    f"/_floor/municipality/{code}", "queue"))
    for label, term in SEARCHES:
        out.append((f"search {term} ({label}) / page 1", f["manager"],
                    "/queue/?" + urlencode({"state": "all", "q": term}), page1,
                    "search" if label == "rare 2 chars" else None))
    out += [
        (f"monthly report {y}-{m:02d} (closed, snapshot)", f["manager"],
         f"/reports/monthly/{y:04d}-{m:02d}", f"/_floor/monthly/{y}/{m}", "report"),
        (f"monthly report {y}-{m:02d} ?live=1 (computed)", f["manager"],
         f"/reports/monthly/{y:04d}-{m:02d}?live=1", f"/_floor/monthly/{y}/{m}", "report"),
    ]
    return out


class Size:
    """One size's app, logged-in clients and timings."""

    def __init__(self, count, app, drop, facts, only):
        self.count, self.app, self.drop, self.f = count, app, drop, facts
        app.register_blueprint(pb.floor_blueprint(facts["regions"]))
        app.register_blueprint(national_floors(facts))
        with app.app_context():
            self.counter = pb.StatementCounter(db.engine)
        self.clients = {}
        for email in (facts["liaison"], facts["manager"]):
            c = app.test_client()
            r = c.post("/login", data={"email": email, "password": qb.PASSWORD})
            assert r.status_code == 302, r.status_code
            self.clients[email] = c
        self.scenarios = [s for s in scenarios(facts)
                          if not only or any(o in s[0] for o in only)]
        self.times, self.stmts, self.bytes = {}, {}, {}

    def get(self, email, url):
        r = self.clients[email].get(url)
        assert r.status_code == 200, (url, r.status_code)
        return r

    def warm(self):
        for name, email, url, ref, _ in self.scenarios:
            for _ in range(2):
                self.get(email, url)
                self.get(email, ref)
            self.counter.n = 0
            self.bytes[name] = len(self.get(email, url).data)
            self.stmts[name] = self.counter.n

    def run_once(self):
        for name, email, url, ref, _ in self.scenarios:
            for key, u in ((name, url), (name + "|ref", ref)):
                t0 = time.perf_counter()
                self.get(email, u)
                self.times.setdefault(key, []).append((time.perf_counter() - t0) * 1000)

    def p50(self, key):
        return statistics.median(self.times[key])


def dropdown_cost(size, runs):
    """The queue filter's municipality and liaison drop-downs rendered alone (ms, options)."""
    from supportdesk.services import reference
    from supportdesk.services.requests.queue_assign import assignable_liaisons

    snippet = ('<select>{% for m in munis %}<option value="{{ m.code }}"'
               '{% if sel == m.code %} selected{% endif %}>{{ m.name }}</option>{% endfor %}'
               '</select><select>{% for u in liaisons %}<option value="{{ u.id }}"'
               '{% if sel == u.id|string %} selected{% endif %}>{{ u.display_name }}</option>'
               '{% endfor %}</select>')
    with size.app.test_request_context():
        munis = reference.municipalities()
        liaisons = assignable_liaisons()
        html = render_template_string(snippet, munis=munis, liaisons=liaisons, sel="")
        times = qb.measure(lambda: render_template_string(snippet, munis=munis,
                                                          liaisons=liaisons, sel=""), runs)
        db.session.remove()
    return statistics.median(times), len(munis), len(liaisons), len(html.encode())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--generate-only", action="store_true")
    ap.add_argument("--drop", action="store_true", help="drop the schemas / files at the end")
    ap.add_argument("--sqlite-dir", metavar="DIR", help="where SQLite files live (default: temp)")
    ap.add_argument("--only", default="", help="comma-separated parts of scenario names")
    ap.add_argument("--smoke", action="store_true", help="SQLite, 300 requests, 2 runs (CI)")
    args = ap.parse_args()
    qb_sizes = [int(s) for s in args.sizes.split(",")]
    tmp = None
    if args.smoke:
        qb_sizes, args.runs, args.drop = [300], 2, True
    if not args.sqlite_dir:
        tmp = args.sqlite_dir = tempfile.mkdtemp(prefix="national-bench-")
    exit_on_sigterm()
    log(f"machine: {machine_load()}")
    sizes = []
    try:
        for count in qb_sizes:
            t0 = time.perf_counter()
            app, drop, facts = prepare(count, args)
            log(f"  ready in {time.perf_counter() - t0:.0f}s; {machine_load()}")
            if args.generate_only:
                with app.app_context():
                    db.engine.dispose()
                continue
            only = [o.strip() for o in args.only.split(",") if o.strip()]
            sizes.append(Size(count, app, drop, facts, only))
        if sizes:
            report(sizes, args)
    finally:
        for s in sizes:
            with s.app.app_context():
                db.session.remove()
                db.engine.dispose()
            if args.drop:
                s.drop()
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


def report(sizes, args):
    f0 = sizes[0].f
    log(f"database: {f0['dialect']}, {f0['munis']:,} municipalities; sizes "
        + ", ".join(f"{s.f['count']:,}" for s in sizes) + f"; {args.runs} runs; "
        f"busiest municipality {f0['busy_name']}, smallest {f0['small_name']}")
    for s in sizes:
        s.warm()
    log(f"before the runs: {machine_load()}")
    for _ in range(args.runs):  # sizes interleaved: the load hits every figure alike
        for s in sizes:
            s.run_once()
    log(f"after the runs: {machine_load()}")
    log("")
    verdicts = []
    for s in sizes:
        log(f"{s.f['count']:,} requests (x = p50 / reference p50; reference = floor, or page 1 "
            "for a search)")
        log(f"  {'scenario':58} {'SQL':>4} {'KiB':>5} {'p50':>8} {'p95':>8} {'ref p50':>8} "
            f"{'x':>6}")
        for name, _, _, _, goal in s.scenarios:
            p, r = s.p50(name), s.p50(name + "|ref")
            x = p / r
            mark = ""
            if goal and s is sizes[-1]:
                ok = x <= GOALS[goal]
                mark = f"  goal <= {GOALS[goal]}: {'ok' if ok else 'MISSED'}"
                verdicts.append((name, ok))
            log(f"  {name:58} {s.stmts[name]:>4} {s.bytes[name] / 1024:5.0f} {p:7.1f}ms "
                f"{qb.p95(s.times[name]):7.1f}ms {r:7.1f}ms {x:6.2f}{mark}")
    if len(sizes) > 1:
        small, large = sizes[0], sizes[-1]
        log("")
        log(f"growth {small.f['count']:,} -> {large.f['count']:,} (p50 / p50)")
        for (sname, *_), (name, _, _, _, goal) in zip(small.scenarios, large.scenarios):
            g = large.p50(name) / small.p50(sname)
            mark = ""
            if goal == "search":
                ok = g <= GOALS["growth"]
                mark = f"  goal <= {GOALS['growth']}: {'ok' if ok else 'MISSED'}"
                verdicts.append((name + " growth", ok))
            log(f"  {name:58} {g:6.2f}{mark}")
    ms, nm, nl, nbytes = dropdown_cost(sizes[-1], max(5, args.runs))
    log("")
    log(f"queue filter drop-downs alone: {nm:,} municipalities + {nl} liaisons, "
        f"{nbytes / 1024:.0f} KiB of HTML, rendered in {ms:.1f} ms (p50)")
    log(f"machine: {machine_load()}")
    log("goals: " + "; ".join(f"{n}: {'ok' if ok else 'MISSED'}" for n, ok in verdicts))


if __name__ == "__main__":
    sys.exit(main())
