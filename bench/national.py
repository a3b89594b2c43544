"""National-size bench data: the 1,741 municipalities of the 47 prefectures, their users and N
requests with history, loaded with PostgreSQL COPY (SQLite: Core bulk inserts, for the smoke).

Used by bench/national_bench.py:

    from national import generate_national
    liaison, manager = generate_national(1_000_000, seed=42)   # inside an app context

* Municipalities: every body of supportdesk/data/local_governments.csv (総務省「全国地方公共団体
  コード」) through services.packs.national_list(): codes, names, kana and kinds (市 / 町 / 村 /
  特別区 / 政令市). The 25 names that occur in two prefectures (府中市, 伊達市, 森町 ...) get
  the prefecture in brackets (府中市(東京都)): Municipality.name is unique in one desk.
* Regions: Hyogo keeps its pack's 10 regions (Kobe in the central one); each other prefecture
  gets regions of at most REGION_SIZE municipalities in code order (「長野県 第3圏域」), and its
  政令市 go to a central region of its own (「北海道 政令市」, no liaison): 260 regions.
* Users: STAFF_PER_MUNI staff per municipality (12,187), liaisons 2k+1 and 2k+2 on regions k
  and k+1 of those with a liaison (490: four per region), one central-team liaison, a manager.
* Requests: queue_bench's content and state mix; volume Zipf over the municipalities
  (1/rank, in a seeded shuffle), 3 years, themes, ~3.8 events each (sealed in the hash
  chain, as seal_rows does for bulk loaders), a reply on 10%, search_text as the services
  fill it.
* PostgreSQL: secondary indexes of the four bulk tables are dropped before the load and built
  after (the bigram GIN index among them), foreign-key triggers are off during COPY
  (session_replication_role = replica; the ids are consistent by construction), then
  VACUUM ANALYZE of these tables only.
"""
import random
import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

import queue_bench as qb
from supportdesk.extensions import db
from supportdesk.models import (Municipality, Region, RequestComment, RequestEvent,
                                SupportRequest, Theme, User)
from supportdesk.models.chain import seal_rows
from supportdesk.models.support_request import request_themes
from supportdesk.services.requests.search import normalise_for_search as normalise
from supportdesk.timeutil import fiscal_year, fiscal_year_short

REGION_SIZE = 8
STAFF_PER_MUNI = 7
CHUNK = 20_000
BULK_TABLES = ("support_requests", "request_themes", "request_events", "request_comments")


def log(msg):
    print(msg, flush=True)


def seed_national():
    """Regions and municipalities of all 47 prefectures on top of the default (Hyogo) pack."""
    from supportdesk.services.packs import national_list
    from supportdesk.services.seed import seed_reference

    seed_reference()
    regions = {r.name: r for r in db.session.scalars(sa.select(Region))}
    existing = set(db.session.scalars(sa.select(Municipality.code)))
    national = national_list()
    names = {}
    for pref, (_, munis) in national.items():
        for pm in munis.values():
            names[pm.name] = names.get(pm.name, 0) + 1
    order = len(regions)
    for pref in sorted(national):
        pref_name, munis = national[pref]
        todo = [pm for code, pm in sorted(munis.items()) if code not in existing]
        if not todo:
            continue
        central = [pm for pm in todo if pm.kind == "政令市"]
        rest = [pm for pm in todo if pm.kind != "政令市"]
        groups = []
        if central:
            groups.append((f"{pref_name} 政令市", False, central))
        for k in range(0, len(rest), REGION_SIZE):
            groups.append((f"{pref_name} 第{k // REGION_SIZE + 1}圏域", True,
                           rest[k:k + REGION_SIZE]))
        for name, has_liaison, members in groups:
            region = Region(name=name, has_liaison=has_liaison, sort_order=order)
            order += 1
            db.session.add(region)
            db.session.flush()
            for pm in members:
                label = pm.name if names[pm.name] == 1 else f"{pm.name}({pref_name})"
                db.session.add(Municipality(code=pm.code, name=label, kana=pm.kana,
                                            kind=pm.kind, region_id=region.id,
                                            population_band=pm.population_band))
    db.session.flush()


def make_users():
    """Staff per municipality, two liaisons per liaison region, the central team, a manager."""
    from supportdesk.services.accounts.auth import hash_password

    pw = hash_password(qb.PASSWORD)
    regions = db.session.scalars(sa.select(Region).order_by(Region.sort_order, Region.id)).all()
    with_liaison = [r for r in regions if r.has_liaison]
    liaisons = [User(email="liaison0@bench.example.jp", display_name="本庁リエゾン",
                     role="liaison", password_hash=pw, is_central_team=True)]
    for i in range(1, 2 * len(with_liaison) + 1):
        u = User(email=f"liaison{i}@bench.example.jp", display_name=f"リエゾン{i}",
                 role="liaison", password_hash=pw)
        # liaisons 2k+1 and 2k+2 cover region k and region k+1: every region has four
        u.regions = sorted({with_liaison[(i - 1) // 2],
                            with_liaison[((i - 1) // 2 + 1) % len(with_liaison)]},
                           key=lambda r: r.sort_order)
        liaisons.append(u)
    manager = User(email="manager@bench.example.jp", display_name="マネージャー", role="manager",
                   password_hash=pw)
    db.session.add_all([*liaisons, manager])
    munis = db.session.scalars(sa.select(Municipality).order_by(Municipality.code)).all()
    rows = [dict(email=f"staff{m.code}-{k}@bench.example.jp", display_name=f"職員{k}",
                 role="municipal_staff", municipality_id=m.id, password_hash=pw)
            for m in munis for k in range(STAFF_PER_MUNI)]
    db.session.commit()
    conn = db.session.connection()
    table = User.__table__
    defaults = _defaults(table)
    conn.execute(table.insert(), [{**defaults, **r} for r in rows])
    db.session.commit()
    staff = {}
    for uid, mid in db.session.execute(sa.select(User.id, User.municipality_id)
                                       .where(User.role == "municipal_staff")):
        staff.setdefault(mid, []).append(uid)
    return munis, liaisons, manager, staff


def _defaults(table):
    """Column -> the value its Python-side default gives (COPY and Core skip the ORM)."""
    out = {}
    for column in table.columns:
        d = column.default
        if d is not None and not column.primary_key:
            out[column.key] = d.arg(None) if d.is_callable else d.arg
    return out


class Sink:
    """Rows of one table into the database: COPY on PostgreSQL, Core executemany elsewhere."""

    def __init__(self, conn, table, columns=None, seal=False):
        self.conn, self.table, self.seal = conn, table, seal
        self.defaults = _defaults(table)
        # ids of the other tables come from their sequences
        self.columns = columns or [c.key for c in table.columns
                                   if c.key != "id" or table.name == "support_requests"]
        self.rows = []
        self.n = 0
        self.pg = conn.dialect.name == "postgresql"

    def add(self, row):
        self.rows.append(row)

    def flush(self):
        if not self.rows:
            return
        rows = self.rows
        if self.seal:
            rows = seal_rows(self.conn, self.table.name, rows)
        if self.pg:
            cols, defaults = self.columns, self.defaults
            raw = self.conn.connection.driver_connection
            with raw.cursor() as cur:
                with cur.copy(f"COPY {self.table.name} ({', '.join(cols)}) FROM STDIN") as cp:
                    for r in rows:
                        cp.write_row([_adapt(r[c]) if c in r else _adapt(defaults.get(c))
                                      for c in cols])
        else:
            self.conn.execute(self.table.insert(), [{**self.defaults, **r} for r in rows])
        self.n += len(rows)
        self.rows = []


def _adapt(value):
    if isinstance(value, (dict, list)):
        import json

        return json.dumps(value, ensure_ascii=False)
    return value


def _secondary_indexes(conn):
    """(name, definition) of the bulk tables' indexes that no constraint owns (PostgreSQL)."""
    return [tuple(r) for r in conn.execute(sa.text(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = current_schema() "
        "AND i.tablename = ANY(:tables) AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
        "WHERE c.conname = i.indexname AND c.connamespace = current_schema()::regnamespace)"),
        {"tables": list(BULK_TABLES)})]


def generate_national(count, seed=42):
    """The national reference data, users and `count` requests; (a liaison, the manager)."""
    rnd = random.Random(seed)
    t0 = time.perf_counter()
    db.create_all()
    seed_national()
    db.session.commit()
    munis, liaisons, manager, staff_ids = make_users()
    n_regions = db.session.scalar(sa.select(sa.func.count()).select_from(Region))
    log(f"reference: {len(munis)} municipalities, {n_regions} regions, "
        f"{sum(map(len, staff_ids.values()))} staff, {len(liaisons)} liaisons "
        f"({time.perf_counter() - t0:.1f}s)")
    theme_ids = list(db.session.scalars(sa.select(Theme.id)))
    conn = db.session.connection()
    pg = conn.dialect.name == "postgresql"
    indexes = []
    if pg:
        indexes = _secondary_indexes(conn)
        for name, _ in indexes:
            conn.exec_driver_sql(f"DROP INDEX {name}")
        conn.exec_driver_sql("SET session_replication_role = replica")
    liaison_ids = [u.id for u in liaisons]
    regions_of = {}  # region id -> liaisons covering it (the central one covers the rest)
    for u in liaisons[1:]:
        for r in u.regions:
            regions_of.setdefault(r.id, []).append(u.id)
    order = munis[:]
    rnd.shuffle(order)
    cum, acc = [], 0.0
    for rank in range(len(order)):  # Zipf: a few busy municipalities, a long tail
        acc += 1 / (rank + 1)
        cum.append(acc)
    states, state_w = zip(*qb.STATE_MIX)
    state_cum = [sum(state_w[:i + 1]) for i in range(len(state_w))]
    end = datetime(2026, 11, 20, 0, 0, tzinfo=UTC)
    start = end - timedelta(days=3 * 365)
    span = (end - start).total_seconds()
    stamps = sorted(start + timedelta(seconds=rnd.random() * span) for _ in range(count))
    reqs = Sink(conn, SupportRequest.__table__)
    themes = Sink(conn, request_themes)
    events = Sink(conn, RequestEvent.__table__, seal=True)
    comments = Sink(conn, RequestComment.__table__)
    sinks = (reqs, themes, events, comments)
    kinds, kind_cum = ["consultation", "lecture", "accompaniment"], [6, 9, 10]
    seqs = {}
    t1 = time.perf_counter()
    for i, submitted in enumerate(stamps, start=1):
        m = rnd.choices(order, cum_weights=cum)[0]
        state = rnd.choices(states, cum_weights=state_cum)[0]
        fy = fiscal_year(submitted)
        seqs[fy] = seqs.get(fy, 0) + 1
        number = f"{fiscal_year_short(fy)}-{seqs[fy]:05d}"
        title = rnd.choice(qb.TOPICS) + rnd.choice(qb.ASKS)
        body = " ".join([f"{rnd.choice(qb.TOPICS)}について。"] + rnd.sample(qb.SENTENCES, 2))
        if rnd.random() < 0.001:
            body += qb.RARE
        filer = rnd.choice(staff_ids[m.id])
        team = regions_of.get(m.region_id) or liaison_ids[:1]
        assignee = rnd.choice(team) if state != "submitted" else None
        due = qb._due_for_day(submitted.date())
        answered = state != "submitted" and rnd.random() < 0.9
        first = submitted + timedelta(hours=rnd.randint(1, 60)) if answered else None
        updated = submitted + timedelta(days=rnd.randint(0, 40))
        reply = None
        if rnd.random() < 0.1:
            reply = f"{rnd.choice(qb.TOPICS)}の資料をお送りします。"
            comments.add(dict(request_id=i, author_id=assignee or liaison_ids[0], body=reply,
                              internal=False, created_at=updated))
        st = normalise("\n".join(p for p in (number, title, body, reply) if p))
        reqs.add(dict(
            id=i, fiscal_year=fy, seq=seqs[fy], number=number,
            kind=rnd.choices(kinds, cum_weights=kind_cum)[0], origin="municipal", state=state,
            municipality_id=m.id, region_id=m.region_id, filer_id=filer, created_by_id=filer,
            filed_outside_info_dept=False, assignee_id=assignee, title=title, body=body,
            urgent=False, online=False, created_at=submitted, updated_at=updated,
            submitted_at=submitted, first_response_due_at=due, first_response_at=first,
            closed_at=updated if state in ("closed", "withdrawn", "declined") else None,
            search_text=st, version=1))
        for tid in rnd.sample(theme_ids, rnd.choice((1, 1, 2))):
            themes.add(dict(request_id=i, theme_id=tid))
        for row in qb.history_events(i, state, submitted, filer, assignee):
            events.add(row)
        if i % CHUNK == 0:
            for s in sinks:
                s.flush()
            if i % (CHUNK * 10) == 0:
                log(f"  {i:,} requests ({time.perf_counter() - t1:.0f}s)")
    for s in sinks:
        s.flush()
    db.session.commit()
    loaded = time.perf_counter() - t1
    t2 = time.perf_counter()
    conn = db.session.connection()
    if pg:
        conn.exec_driver_sql("SET session_replication_role = DEFAULT")
        for _, indexdef in indexes:
            conn.exec_driver_sql(indexdef)
        conn.exec_driver_sql("SELECT setval(pg_get_serial_sequence('support_requests', 'id'), "
                             "(SELECT max(id) FROM support_requests))")
    _set_counters(conn, seqs)
    db.session.commit()
    indexed = time.perf_counter() - t2
    if pg:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            for name in (*BULK_TABLES, "users", "municipalities", "regions"):
                c.exec_driver_sql(f"VACUUM ANALYZE {name}")  # this schema's, not the server
    else:
        with db.engine.connect() as c:
            c.exec_driver_sql("ANALYZE")
            c.commit()
    log(f"generated {reqs.n:,} requests, {events.n:,} events, {comments.n:,} replies: "
        f"load {loaded:.0f}s, indexes {indexed:.0f}s, total {time.perf_counter() - t0:.0f}s")
    return liaisons[1], manager


def _set_counters(conn, seqs):
    """The numbering counters, so that a request filed on the bench data gets a fresh number."""
    from supportdesk.models.support_request import RequestCounter

    t = RequestCounter.__table__
    for fy, last in seqs.items():
        conn.execute(t.delete().where(t.c.fiscal_year == fy))
        conn.execute(t.insert().values(fiscal_year=fy, last_seq=last))
