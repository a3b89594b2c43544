"""Benchmark: the monthly and fiscal-year reports over three fiscal years of data (~100k requests).

Usage (from the repository root, with the project's venv):
    .venv/bin/python bench/report_bench.py [--count 100000] [--runs 7]
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python bench/report_bench.py

It builds a fresh database (SQLite file under /tmp, or a throw-away schema in PostgreSQL),
generates requests with their state history, visits and support actions spread over FY2022-2024
with Core bulk inserts, then times each report N times and prints the median and p95 next to a
baseline measured in the same run: one COUNT(*) over support_requests.
"""
import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import sqlalchemy as sa  # noqa: E402

from supportdesk import create_app  # noqa: E402
from supportdesk.extensions import db  # noqa: E402
from supportdesk.timeutil import JST  # noqa: E402


def make_app(sqlite_path=None, schema=None):
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        from supportdesk.config import normalise_db_url

        schema = schema or "bench_" + uuid.uuid4().hex[:8]
        engine = sa.create_engine(normalise_db_url(url))
        with engine.begin() as conn:
            # The queue's trigram index needs pg_trgm's operator class, kept in public.
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
            conn.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        engine.dispose()
        uri = (normalise_db_url(url) + ("&" if "?" in url else "?")
               + f"options=-csearch_path%3D{schema}%2Cpublic")
    else:
        uri = "sqlite:///" + (sqlite_path or os.path.join(tempfile.mkdtemp(), "bench.sqlite3"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": "bench", "TESTING": True})
    return app, url, schema


def generate(count, rng):
    from supportdesk.models import (Engagement, Municipality, RequestEvent, SupportAction,
                                    SupportRequest, User, Visit)
    from supportdesk.models.chain import seal_rows
    from supportdesk.models.visit import SatisfactionResponse, VisitRecord, visit_municipalities
    from supportdesk.services.seed import seed_reference

    seed_reference()
    munis = db.session.execute(sa.select(Municipality.id, Municipality.region_id)).all()
    liaison = User(email="bench-liaison@example.jp", display_name="L", role="liaison")
    staff = User(email="bench-staff@example.jp", display_name="S", role="municipal_staff",
                 municipality_id=munis[0][0])
    raters = [User(email=f"bench-rater{k}@example.jp", display_name="R", role="municipal_staff",
                   municipality_id=munis[0][0]) for k in range(3)]
    db.session.add_all([liaison, staff, *raters])
    db.session.commit()
    start = datetime(2022, 4, 1, 9, tzinfo=JST)
    span = (datetime(2025, 3, 31, 18, tzinfo=JST) - start).total_seconds()
    req_rows, ev_rows, visit_rows, vm_rows, action_rows = [], [], [], [], []
    record_rows, rating_rows, engagement_rows = [], [], []
    req_table, ev_table = SupportRequest.__table__, RequestEvent.__table__
    visit_id = 0
    t0 = time.perf_counter()

    def flush():
        if req_rows:
            db.session.execute(req_table.insert(), req_rows)
        if ev_rows:
            db.session.execute(ev_table.insert(),
                               seal_rows(db.session.connection(), "request_events", ev_rows))
        if visit_rows:
            db.session.execute(Visit.__table__.insert(), visit_rows)
            db.session.execute(visit_municipalities.insert(), vm_rows)
        if action_rows:
            db.session.execute(SupportAction.__table__.insert(), action_rows)
        for model, rows in ((VisitRecord, record_rows), (SatisfactionResponse, rating_rows),
                            (Engagement, engagement_rows)):
            if rows:
                db.session.execute(model.__table__.insert(), rows)
        db.session.commit()
        for rows in (req_rows, ev_rows, visit_rows, vm_rows, action_rows, record_rows, rating_rows,
                     engagement_rows):
            rows.clear()

    for i in range(1, count + 1):
        mid, rid = rng.choice(munis)
        submitted = start + timedelta(seconds=rng.random() * span)
        kind = rng.choices(["consultation", "lecture", "accompaniment"], [70, 22, 8])[0]
        fy = submitted.year if submitted.month >= 4 else submitted.year - 1
        triaged = submitted + timedelta(hours=rng.randint(2, 120))
        resolved = triaged + timedelta(days=rng.randint(1, 60))
        closed = resolved + timedelta(days=rng.randint(0, 14))
        final = rng.random()
        state = "closed" if final < 0.8 else ("triage" if final < 0.93 else "declined")
        req_rows.append(dict(
            id=i, fiscal_year=fy, seq=i, number=f"B{fy}-{i:06d}", kind=kind, origin="municipal",
            state=state, municipality_id=mid, region_id=rid, filer_id=staff.id,
            created_by_id=staff.id, filed_outside_info_dept=False, title=f"ベンチ依頼 {i}",
            body="業務改善について相談したい", urgent=False, online=False, created_at=submitted,
            updated_at=closed, submitted_at=submitted, first_response_due_at=submitted + timedelta(days=3),
            first_response_at=triaged, resolved_at=resolved if state == "closed" else None,
            closed_at=closed if state != "triage" else None, search_text="", version=1,
            program="kaizen" if kind == "lecture" else None,
            formats=["lecture", "demo"] if kind == "lecture" else None,
            audiences=rng.sample(["executives", "business", "information"], rng.randint(1, 2))
            if kind == "lecture" else None))
        events = [("submit", "draft", "submitted", submitted), ("triage", "submitted", "triage", triaged)]
        if state == "closed":
            events += [("answer", "triage", "answered", resolved), ("close", "answered", "closed", closed)]
        elif state == "declined":
            events += [("decline", "triage", "declined", resolved)]
        for action, frm, to, at in events:
            ev_rows.append(dict(request_id=i, at=at, actor_id=liaison.id, kind="state", action=action,
                                from_state=frm, to_state=to, internal=False))
        if kind == "lecture" and state == "closed":
            visit_id += 1
            visit_rows.append(dict(id=visit_id, kind="lecture", state="held", request_id=i,
                                   title="講座", starts_at=resolved - timedelta(hours=3),
                                   ends_at=resolved, created_by_id=liaison.id, created_at=submitted,
                                   updated_at=resolved, version=1))
            vm_rows.append(dict(visit_id=visit_id, municipality_id=mid))
            record_rows.append(dict(visit_id=visit_id, attendees_executives=rng.randint(0, 3),
                                    attendees_business=rng.randint(0, 20),
                                    attendees_information=rng.randint(0, 5),
                                    attendees_other=rng.randint(0, 3), covered="", issues="",
                                    follow_ups="", recorded_by_id=liaison.id, recorded_at=resolved))
            for rater in raters[:rng.randint(0, 3)]:
                rating_rows.append(dict(visit_id=visit_id, respondent_id=rater.id,
                                        rating=rng.choices([1, 2, 3, 4, 5], [1, 2, 5, 9, 6])[0],
                                        comment="", created_at=resolved))
        if kind == "accompaniment" and state == "closed":
            ended = closed + timedelta(days=rng.randint(30, 365))
            engagement_rows.append(dict(
                municipality_id=mid, request_id=i, owner_id=liaison.id, title="伴走", goal="",
                cadence_days=30, starts_on=closed.astimezone(JST).date(), state="closed"
                if ended < datetime(2025, 3, 31, tzinfo=JST) else "active",
                closed_at=ended if ended < datetime(2025, 3, 31, tzinfo=JST) else None,
                created_by_id=liaison.id, created_at=closed))
        if i % 60 == 0:  # periodic rounds: about 1,700 over three years
            visit_id += 1
            visit_rows.append(dict(id=visit_id, kind="round", state="held", request_id=None,
                                   title="定期巡回", starts_at=submitted,
                                   ends_at=submitted + timedelta(hours=1),
                                   created_by_id=liaison.id, created_at=submitted,
                                   updated_at=submitted, version=1))
            vm_rows.append(dict(visit_id=visit_id, municipality_id=mid))
        if rng.random() < 0.5:
            action_rows.append(dict(request_id=i, kind=rng.choice(["advice", "bridge", "case", "vendor"]),
                                    target_department="デジタル改革課", actor_id=liaison.id,
                                    at=triaged + timedelta(hours=1)))
        if i % 5000 == 0:
            flush()
    flush()
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            for table in ("support_requests", "visits"):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            analyze(conn)
    else:
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
    return time.perf_counter() - t0


def analyze(conn):
    """ANALYZE only this database's tables: a bare ANALYZE on a shared PostgreSQL server walks
    every schema and can deadlock with other people's DDL."""
    for table in db.metadata.sorted_tables:
        conn.exec_driver_sql(f"ANALYZE {table.name}")


def timed(fn, runs):
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
        db.session.rollback()
    samples.sort()
    p95 = samples[min(len(samples) - 1, int(round(0.95 * (len(samples) - 1))))]
    return statistics.median(samples), p95


def figure_timings(runs):
    """Each figure of the monthly report on its own, to find the slow ones."""
    from supportdesk.services.reports import outreach as o
    from supportdesk.services.reports import figures as r

    p = r.month_period(2024, 6)
    measures = [(f"count_requests({f})", lambda f=f: r.count_requests(f, p, region_ids=None))
                for f in r.REQUEST_FIGURES]
    measures += [(fn.__name__, lambda fn=fn: fn(p, None)) for fn in (
        r.new_by_kind, r.new_by_theme, r.new_by_region, r.new_by_municipality, r.responsiveness,
        r.visits_by_kind, r.lectures, r.support_given, r.expert_dispatches, r.reached,
        o.satisfaction, o.participants, o.engagements)]
    measures += [("reached(quarter)", lambda: r.reached(r.quarter_to_date(2024, 6), None)),
                 ("reached(fiscal year)",
                  lambda: r.reached(r.fiscal_year_to_period_end(2024, 6), None)),
                 ("no_contact", lambda: r.no_contact(p.end, None)),
                 ("round_coverage", lambda: o.round_coverage(2024, 6, None)),
                 ("reasons(declined)", lambda: r.reasons("declined", p, None))]
    return [(name, timed(fn, runs)) for name, fn in measures]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--figures", action="store_true", help="also time each figure alone")
    parser.add_argument("--sqlite-path", help="keep (or reuse) the SQLite database file here")
    parser.add_argument("--schema", help="keep (or reuse) this PostgreSQL schema")
    args = parser.parse_args()
    app, url, schema = make_app(args.sqlite_path, args.schema)
    try:
        rng = random.Random(20240401)
        with app.app_context():
            db.create_all()
            if db.session.scalar(sa.text("SELECT count(*) FROM support_requests")):
                gen = 0.0  # reused: add indexes declared since it was generated, then re-analyse
                db.session.commit()  # SQLite: let go of the session's write lock first
                with db.engine.begin() as conn:
                    for table in db.metadata.sorted_tables:
                        for index in table.indexes:
                            index.create(conn, checkfirst=True)
                    analyze(conn)
            else:
                gen = generate(args.count, rng)
            from supportdesk.services.reports.monthly import build_fiscal_summary, build_monthly_report

            n = db.session.scalar(sa.text("SELECT count(*) FROM support_requests"))
            events = db.session.scalar(sa.text("SELECT count(*) FROM request_events"))
            print(f"database: {db.engine.dialect.name}; {n} requests, {events} events; generated in {gen:.1f}s")
            build_monthly_report(2024, 6)  # warm the business-day calendar and caches
            db.session.commit()  # as the report views do: the calendar rows stay
            base = timed(lambda: db.session.scalar(sa.text("SELECT count(*) FROM support_requests")), args.runs)
            monthly = timed(lambda: build_monthly_report(2024, 6), args.runs)
            fiscal = timed(lambda: build_fiscal_summary(2024), args.runs)
            print(f"{'measure':32} {'median ms':>10} {'p95 ms':>10} {'x baseline':>11}")
            for name, (med, p95) in (("baseline COUNT(*)", base), ("monthly report 2024-06", monthly),
                                     ("fiscal-year summary FY2024", fiscal)):
                print(f"{name:32} {med * 1000:10.1f} {p95 * 1000:10.1f} {med / base[0]:11.1f}")
            if args.figures:
                for name, (med, p95) in figure_timings(args.runs):
                    print(f"  {name:30} {med * 1000:10.1f} {p95 * 1000:10.1f} {med / base[0]:11.1f}")
            db.session.remove()
            db.engine.dispose()
    finally:  # a failed run leaves no schema behind
        with app.app_context():  # let go of any connection still holding a lock
            db.session.remove()
            db.engine.dispose()
        if schema and not args.schema:
            from supportdesk.config import normalise_db_url

            engine = sa.create_engine(normalise_db_url(url))
            with engine.begin() as conn:
                conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
            engine.dispose()


if __name__ == "__main__":
    main()
