"""Queue and search benchmark: 100k requests with history, the real page against a Core floor.

    python bench/queue_bench.py [--count 100000] [--runs 30] [--seed 42]
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test python bench/queue_bench.py

SQLite by default (a temporary file); with DATABASE_URL a throw-away schema on that PostgreSQL
server (dropped afterwards unless --keep). See bench/README.md for what is measured.
"""
import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from urllib.parse import urlencode

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import sqlalchemy as sa  # noqa: E402

from supportdesk import create_app  # noqa: E402
from supportdesk.calendar_jp import due_at  # noqa: E402
from supportdesk.config import normalise_db_url  # noqa: E402
from supportdesk.extensions import db  # noqa: E402
from supportdesk.models import (Municipality, RequestComment, RequestEvent, SupportRequest,  # noqa: E402
                                Theme, User)
from supportdesk.models.chain import seal_rows  # noqa: E402
from supportdesk.models.support_request import request_themes  # noqa: E402
from supportdesk.permissions import liaison_region_filter  # noqa: E402
from supportdesk.services.requests.queue import OPEN, QueueFilter, encode_cursor  # noqa: E402
from supportdesk.services.requests.search import escape_like  # noqa: E402
from supportdesk.services.requests.search import normalise_for_search as normalise  # noqa: E402
from supportdesk.timeutil import fiscal_year, fiscal_year_short  # noqa: E402

PASSWORD = "bench-password-not-secret"
TOPICS = ["窓口DX", "書かない窓口", "ペーパーレス会議", "ガバメントクラウド移行", "生成AIの活用",
          "RPA導入", "電子申請", "オープンデータ", "キャッシュレス決済", "テレワーク",
          "情報セキュリティ研修", "業務改善(BPR)", "ノーコードツール", "LINE公式アカウント",
          "AI-OCR", "議事録作成", "マイナンバーカード", "公金受取口座", "システム標準化",
          "データ利活用"]
ASKS = ["について相談したい", "の進め方", "の事例を知りたい", "の出前講座を依頼したい",
        "で助言をお願いしたい"]
SENTENCES = ["担当課の人員が足りず検討が進んでいない。", "他の市町の事例を参考にしたい。",
             "来年度予算に向けて方針を決めたい。", "住民サービスの向上につなげたい。",
             "職員向けに説明会を開きたい。", "情報部門と業務担当課の役割分担が課題。"]
RARE = "住民票のコンビニ交付と高齢者向け説明"  # in about 0.1% of requests
STATE_MIX = [("closed", 70), ("withdrawn", 3), ("declined", 2), ("answered", 4),
             ("delivered", 3), ("on_hold", 2), ("scheduled", 3), ("expert_selection", 3),
             ("triage", 5), ("submitted", 5)]


def log(msg):
    print(msg, flush=True)


def setup_database(url, sqlite_path=None):
    """(sqlalchemy uri, cleanup) — a temp SQLite file, or a fresh schema on PostgreSQL."""
    if url and url.startswith("postgres"):
        base = normalise_db_url(url)
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        admin = sa.create_engine(base)
        with admin.begin() as conn:
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
        sep = "&" if "?" in base else "?"
        log(f"PostgreSQL schema: {schema}")

        def cleanup():
            with admin.begin() as conn:
                conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            admin.dispose()

        return f"{base}{sep}options=-csearch_path%3D{schema}%2Cpublic", cleanup
    if sqlite_path:
        return "sqlite:///" + os.path.abspath(sqlite_path), lambda: None
    tmp = tempfile.mkdtemp(prefix="queue-bench-")
    path = os.path.join(tmp, "bench.sqlite3")
    return "sqlite:///" + path, lambda: None


def make_app(uri):
    return create_app({
        "SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": "bench-secret-key-0123456789",
        "WTF_CSRF_ENABLED": False, "PASSWORD_HASH_TIME_COST": 1,
        "PASSWORD_HASH_MEMORY_COST": 1024, "PASSWORD_HASH_PARALLELISM": 1})


@lru_cache(maxsize=None)
def _due_for_day(day):
    return due_at(datetime(day.year, day.month, day.day, 1, tzinfo=UTC), 2)


def history_events(request_id, state, submitted, filer, assignee):
    """The request's history rows as the services write them: submit, then triage and assign
    unless it is still submitted, then its state (5 hours apart)."""
    history = [("submit", "draft", "submitted")]
    if state != "submitted":
        history.append(("triage", "submitted", "triage"))
        history.append(("assign", None, None))
    if state not in ("submitted", "triage"):
        history.append(("state", "triage", state))
    return [dict(request_id=request_id, at=submitted + timedelta(hours=k * 5),
                 actor_id=filer if k == 0 else assignee,
                 kind="assign" if action == "assign" else "state",
                 action=None if action in ("assign", "state") else action,
                 from_state=src, to_state=dst, internal=False,
                 data={"before": None, "after": assignee} if action == "assign" else None)
            for k, (action, src, dst) in enumerate(history)]


def generate(count, seed):
    """Users and `count` requests with themes, events and comments, inserted through Core."""
    from supportdesk.services.accounts.auth import hash_password
    from supportdesk.services.seed import seed_reference

    rnd = random.Random(seed)
    db.create_all()
    seed_reference()
    munis = db.session.scalars(sa.select(Municipality).order_by(Municipality.code)).all()
    theme_ids = list(db.session.scalars(sa.select(Theme.id)))
    pw = hash_password(PASSWORD)
    regions = sorted({m.region_id for m in munis})
    users = []
    for i, rid in enumerate(regions * 2):
        users.append(User(email=f"liaison{i}@bench.example.jp", display_name=f"リエゾン{i}",
                          role="liaison", password_hash=pw, is_central_team=i == 0))
    users.append(User(email="manager@bench.example.jp", display_name="マネージャー",
                      role="manager", password_hash=pw))
    db.session.add_all(users)
    from supportdesk.models import Region

    region_objs = {r.id: r for r in db.session.scalars(sa.select(Region))}
    for i, u in enumerate(users[:-1]):
        u.regions = [region_objs[regions[i % len(regions)]], region_objs[regions[(i + 3) % len(regions)]]]
    liaisons = users[:-1]
    staff = {}
    for m in munis:
        staff[m.id] = [User(email=f"staff{m.code}-{k}@bench.example.jp", display_name=f"職員{k}",
                            role="municipal_staff", municipality_id=m.id, password_hash=pw)
                       for k in range(7)]
        db.session.add_all(staff[m.id])
    db.session.commit()
    liaison_ids = [u.id for u in liaisons]
    staff_ids = {mid: [u.id for u in us] for mid, us in staff.items()}
    order = munis[:]
    rnd.shuffle(order)
    weights = [1 / (rank + 1) for rank in range(len(order))]  # Zipf: a few busy municipalities
    states, state_w = zip(*STATE_MIX)
    end = datetime(2026, 11, 20, 0, 0, tzinfo=UTC)
    start = end - timedelta(days=3 * 365)
    span = (end - start).total_seconds()
    stamps = sorted(start + timedelta(seconds=rnd.random() * span) for _ in range(count))
    seqs = {}
    conn = db.session.connection()
    req_t, ev_t, th_t = SupportRequest.__table__, RequestEvent.__table__, request_themes
    com_t = RequestComment.__table__
    chunk, next_id, events, themes, comments = [], 1, [], [], []
    t0 = time.perf_counter()

    def flush():
        nonlocal chunk, events, themes, comments
        if chunk:
            conn.execute(req_t.insert(), chunk)
        if themes:
            conn.execute(th_t.insert(), themes)
        if events:
            conn.execute(ev_t.insert(), seal_rows(conn, "request_events", events))
        if comments:
            conn.execute(com_t.insert(), comments)
        chunk, events, themes, comments = [], [], [], []

    for submitted in stamps:
        m = rnd.choices(order, weights)[0]
        state = rnd.choices(states, state_w)[0]
        fy = fiscal_year(submitted)
        seqs[fy] = seqs.get(fy, 0) + 1
        number = f"{fiscal_year_short(fy)}-{seqs[fy]:05d}"
        topic = rnd.choice(TOPICS)
        title = topic + rnd.choice(ASKS)
        body = " ".join([f"{rnd.choice(TOPICS)}について。"] + rnd.sample(SENTENCES, 2))
        if rnd.random() < 0.001:
            body += RARE
        filer = rnd.choice(staff_ids[m.id])
        assignee = rnd.choice(liaison_ids) if state != "submitted" else None
        due = _due_for_day(submitted.date())
        answered = state != "submitted" and rnd.random() < 0.9
        first = submitted + timedelta(hours=rnd.randint(1, 60)) if answered else None
        updated = submitted + timedelta(days=rnd.randint(0, 40))
        reply = None
        if rnd.random() < 0.1:
            reply = f"{rnd.choice(TOPICS)}の資料をお送りします。"
            comments.append(dict(request_id=next_id, author_id=assignee or liaison_ids[0],
                                 body=reply, internal=False, created_at=updated))
        chunk.append(dict(
            id=next_id, fiscal_year=fy, seq=seqs[fy], number=number,
            kind=rnd.choices(["consultation", "lecture", "accompaniment"], [6, 3, 1])[0],
            origin="municipal", state=state, municipality_id=m.id, region_id=m.region_id,
            filer_id=filer, created_by_id=filer, filed_outside_info_dept=False,
            assignee_id=assignee, title=title, body=body, urgent=False, online=False,
            created_at=submitted, updated_at=updated, submitted_at=submitted,
            first_response_due_at=due, first_response_at=first,
            closed_at=updated if state in ("closed", "withdrawn", "declined") else None,
            search_text=normalise("\n".join(p for p in (number, title, body, reply) if p)),
            version=1))
        for tid in rnd.sample(theme_ids, rnd.choice((1, 1, 2))):
            themes.append(dict(request_id=next_id, theme_id=tid))
        events.extend(history_events(next_id, state, submitted, filer, assignee))
        next_id += 1
        if len(chunk) >= 5000:
            flush()
    flush()
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as c:
            c.exec_driver_sql("SELECT setval(pg_get_serial_sequence('support_requests', 'id'), "
                              "(SELECT max(id) FROM support_requests))")
            c.commit()
    # Steady state: planner statistics, and on PostgreSQL the visibility map (VACUUM) that
    # index-only scans need; autovacuum keeps both up to date in production.
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.exec_driver_sql("VACUUM ANALYZE")
    else:
        # Not AUTOCOMMIT here: the app's "BEGIN IMMEDIATE" hook would open a transaction that
        # is then never committed, silently discarding the statistics.
        with db.engine.connect() as c:
            c.exec_driver_sql("ANALYZE")
            c.commit()
    n_events = db.session.scalar(sa.select(sa.func.count()).select_from(RequestEvent))
    log(f"generated {count} requests, {n_events} events in {time.perf_counter() - t0:.1f}s")
    return liaisons[1], users[-1]


def floor_select(user_region_ids, states, sort_col, desc, after=None, terms=(), kind=None):
    """The one indexed SELECT behind a queue page, written by hand in Core."""
    t = SupportRequest.__table__
    stmt = sa.select(t.c.id, t.c.number, t.c.title, t.c.state, t.c.kind, t.c.municipality_id,
                     t.c.assignee_id, t.c.submitted_at, t.c.first_response_due_at,
                     t.c.updated_at).where(t.c.state.in_(states))
    if user_region_ids is not None:
        stmt = stmt.where(t.c.region_id.in_(user_region_ids))
    if kind:
        stmt = stmt.where(t.c.kind == kind)
    for term in terms:
        stmt = stmt.where(t.c.search_text.like(f"%{escape_like(term)}%", escape="\\"))
    col = t.c[sort_col]
    if after is not None:
        row = sa.tuple_(col, t.c.id)
        bound = sa.tuple_(sa.literal(after[0], col.type), sa.literal(after[1]))
        stmt = stmt.where(row < bound if desc else row > bound)
    order = (col.desc(), t.c.id.desc()) if desc else (col.asc(), t.c.id.asc())
    return stmt.order_by(*order).limit(51)


def measure(fn, runs):
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return times


def p95(values):
    return sorted(values)[max(0, int(round(0.95 * len(values))) - 1)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--keep", action="store_true", help="keep the database afterwards")
    ap.add_argument("--sqlite", metavar="PATH",
                    help="SQLite file to use; if it already holds the data, it is reused")
    args = ap.parse_args()
    uri, cleanup = setup_database(os.environ.get("DATABASE_URL", ""), args.sqlite)
    app = make_app(uri)
    try:
        run(app, args)
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        if not args.keep:
            cleanup()


def run(app, args):
    with app.app_context():
        if args.sqlite and sa.inspect(db.engine).has_table("support_requests"):
            liaison = db.session.scalar(sa.select(User).where(User.email == "liaison1@bench.example.jp"))
            manager = db.session.scalar(sa.select(User).where(User.role == "manager"))
            log("reusing " + args.sqlite)
        else:
            liaison, manager = generate(args.count, args.seed)
        dialect = db.engine.dialect.name
        engine = db.engine
        liaison_email, manager_email = liaison.email, manager.email
        liaison_regions = sorted(liaison_region_filter(liaison))
        # The deep page: the cursor of row 10,000 of "all submitted requests, oldest first".
        t = SupportRequest.__table__
        all_states = [s for s in OPEN] + ["closed", "withdrawn", "declined"]
        deep_offset = min(10_000, args.count // 2)
        deep_row = db.session.execute(
            sa.select(t.c.submitted_at, t.c.id).where(t.c.state.in_(all_states))
            .order_by(t.c.submitted_at, t.c.id).offset(deep_offset - 1).limit(1)
        ).one()
        deep_flt = QueueFilter(states=("all",), region="all")
        deep_cursor = encode_cursor(deep_flt, deep_row[0], deep_row[1])
        db.session.remove()
    log(f"database: {dialect}, {args.count} requests, {args.runs} runs per measurement")
    clients = {}
    for email in (liaison_email, manager_email):
        c = app.test_client()
        r = c.post("/login", data={"email": email, "password": PASSWORD})
        assert r.status_code == 302, r.status_code
        clients[email] = c

    open_states = sorted(OPEN)
    scenarios = [
        ("liaison default (open, my regions, oldest first) p1", liaison_email, {},
         lambda: floor_select(liaison_regions, open_states, "submitted_at", False)),
        ("filtered: submitted+triage, consultation, updated desc p1", manager_email,
         {"state": ["submitted", "triage"], "kind": "consultation", "sort": "updated",
          "dir": "desc"},
         lambda: floor_select(None, ["submitted", "triage"], "updated_at", True,
                              kind="consultation")),
        ("all states, oldest first, page 1", manager_email, {"state": "all"},
         lambda: floor_select(None, all_states, "submitted_at", False)),
        (f"all states, oldest first, deep page (row {deep_offset:,}) via cursor", manager_email,
         {"state": "all", "after": deep_cursor},
         lambda: floor_select(None, all_states, "submitted_at", False, after=tuple(deep_row))),
        ("search 'ガバメントクラウド' (common), all states", manager_email,
         {"state": "all", "q": "ガバメントクラウド"},
         lambda: floor_select(None, all_states, "submitted_at", False,
                              terms=["ガバメントクラウド"])),
        ("search 'コンビニ交付 高齢者' (rare, 2 terms), all states", manager_email,
         {"state": "all", "q": "コンビニ交付 高齢者"},
         lambda: floor_select(None, all_states, "submitted_at", False,
                              terms=["コンビニ交付", "高齢者"])),
    ]
    results = []
    for name, email, query, floor in scenarios:
        client = clients[email]
        url = "/queue/?" + urlencode(query, doseq=True)
        stmt = floor()

        def real():
            r = client.get(url)
            assert r.status_code == 200, r.status_code
            return r

        def base():
            with engine.connect() as conn:
                return conn.execute(stmt).fetchall()

        rows = len(base())
        for _ in range(3):  # warm-up
            real()
            base()
        real_t, floor_t = [], []
        for _ in range(args.runs):  # alternate so drift hits both alike
            real_t += measure(real, 1)
            floor_t += measure(base, 1)
        results.append((name, rows, real_t, floor_t))
    # The counts query (one GROUP BY over the manager's whole filtered set) on its own.
    with app.app_context():
        from supportdesk.services.requests.queue import state_counts

        mgr = db.session.scalar(sa.select(User).where(User.email == manager_email))
        now = datetime.now(UTC)
        count_t = measure(lambda: state_counts(mgr, QueueFilter(states=("all",)), now), args.runs)
        db.session.remove()
    log("")
    log(f"{'scenario':62} {'rows':>4} {'real p50':>9} {'real p95':>9} {'floor p50':>9} "
        f"{'floor p95':>9} {'x p50':>6} {'x p95':>6}")
    for name, rows, real_t, floor_t in results:
        rm, rp = statistics.median(real_t), p95(real_t)
        fm, fp = statistics.median(floor_t), p95(floor_t)
        log(f"{name:62} {rows:>4} {rm:8.1f}ms {rp:8.1f}ms {fm:8.2f}ms {fp:8.2f}ms "
            f"{rm / fm:6.1f} {rp / fp:6.1f}")
    log(f"{f'state counts alone (manager, state=all, {args.count} rows)':62} {'':>4} "
        f"{statistics.median(count_t):8.1f}ms {p95(count_t):8.1f}ms")


if __name__ == "__main__":
    main()
