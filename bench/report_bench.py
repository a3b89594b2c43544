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


def make_app():
    url = os.environ.get("DATABASE_URL", "")
    schema = None
    if url.startswith("postgres"):
        from supportdesk.config import normalise_db_url

        schema = "bench_" + uuid.uuid4().hex[:8]
        engine = sa.create_engine(normalise_db_url(url))
        with engine.begin() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
        engine.dispose()
        uri = normalise_db_url(url) + ("&" if "?" in url else "?") + f"options=-csearch_path%3D{schema}"
    else:
        uri = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "bench.sqlite3")
    app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": "bench", "TESTING": True})
    return app, url, schema


def generate(count, rng):
    from supportdesk.models import (Municipality, RequestEvent, SupportAction, SupportRequest, User,
                                    Visit)
    from supportdesk.models.visit import visit_municipalities
    from supportdesk.services.seed import seed_reference

    seed_reference()
    munis = db.session.execute(sa.select(Municipality.id, Municipality.region_id)).all()
    liaison = User(email="bench-liaison@example.jp", display_name="L", role="liaison")
    staff = User(email="bench-staff@example.jp", display_name="S", role="municipal_staff",
                 municipality_id=munis[0][0])
    db.session.add_all([liaison, staff])
    db.session.commit()
    start = datetime(2022, 4, 1, 9, tzinfo=JST)
    span = (datetime(2025, 3, 31, 18, tzinfo=JST) - start).total_seconds()
    req_rows, ev_rows, visit_rows, vm_rows, action_rows = [], [], [], [], []
    req_table, ev_table = SupportRequest.__table__, RequestEvent.__table__
    visit_id = 0
    t0 = time.perf_counter()

    def flush():
        if req_rows:
            db.session.execute(req_table.insert(), req_rows)
        if ev_rows:
            db.session.execute(ev_table.insert(), ev_rows)
        if visit_rows:
            db.session.execute(Visit.__table__.insert(), visit_rows)
            db.session.execute(visit_municipalities.insert(), vm_rows)
        if action_rows:
            db.session.execute(SupportAction.__table__.insert(), action_rows)
        db.session.commit()
        for rows in (req_rows, ev_rows, visit_rows, vm_rows, action_rows):
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
            formats=["lecture", "demo"] if kind == "lecture" else None))
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
            conn.exec_driver_sql("ANALYZE")
    else:
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
    return time.perf_counter() - t0


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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    app, url, schema = make_app()
    rng = random.Random(20240401)
    with app.app_context():
        db.create_all()
        gen = generate(args.count, rng)
        from supportdesk.services.monthly_report import build_fiscal_summary, build_monthly_report

        n = db.session.scalar(sa.text("SELECT count(*) FROM support_requests"))
        events = db.session.scalar(sa.text("SELECT count(*) FROM request_events"))
        print(f"database: {db.engine.dialect.name}; {n} requests, {events} events; generated in {gen:.1f}s")
        build_monthly_report(2024, 6)  # warm the business-day calendar and caches
        base = timed(lambda: db.session.scalar(sa.text("SELECT count(*) FROM support_requests")), args.runs)
        monthly = timed(lambda: build_monthly_report(2024, 6), args.runs)
        fiscal = timed(lambda: build_fiscal_summary(2024), args.runs)
        print(f"{'measure':32} {'median ms':>10} {'p95 ms':>10} {'x baseline':>11}")
        for name, (med, p95) in (("baseline COUNT(*)", base), ("monthly report 2024-06", monthly),
                                 ("fiscal-year summary FY2024", fiscal)):
            print(f"{name:32} {med * 1000:10.1f} {p95 * 1000:10.1f} {med / base[0]:11.1f}")
        db.session.remove()
        db.engine.dispose()
    if schema:
        from supportdesk.config import normalise_db_url

        engine = sa.create_engine(normalise_db_url(url))
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        engine.dispose()


if __name__ == "__main__":
    main()
