"""The liaison queue: filters parsed from the query string, one scoped SELECT, keyset pages, counts.

Every statement built here goes through permissions.scope_requests, so a list, a search and the
counts can never show more than the user may see. Pages use keyset pagination on
(sort key, id): deep pages cost the same as the first, and rows inserted between two page loads
neither repeat nor push other rows out of the sequence.
"""
import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import NamedTuple

import sqlalchemy as sa

from ... import permissions
from .. import reference
from ...extensions import db
from ...models import Municipality, SupportRequest, Theme, User
from ...models.support_request import KINDS, request_co_municipalities, request_themes
from ...roles import Role
from ...timeutil import UTCDateTime
from ...workflow import OPEN_STATES, State
from ..reference import ThemeRef
from .filing import info_dept_conditions
from .response_target import overdue_condition
from .search import search_conditions

PER_PAGE = 50
COUNT_CAP = 1000
QUEUE_STATES = [s.value for s in State if s != State.DRAFT]  # drafts belong to their filer
OPEN = sorted(s.value for s in OPEN_STATES)
# Rows without a due date sort after every real one (keyset comparisons must never meet NULL).
FAR_FUTURE = datetime(9999, 12, 31, tzinfo=UTC)
SORTS = ("submitted", "updated", "due")
WAITING_FILTERS = ("yes", "no")
INFO_DEPT_FILTERS = ("outside", "unreached", "through")
DIRECTIONS = ("asc", "desc")


@dataclass(frozen=True)
class QueueFilter:
    states: tuple = ()         # state values; () means the default (open work); ("all",) = any
    kind: str = ""
    theme: str = ""            # theme code
    region: str = ""           # "" = role default, "mine", "all" or a region id
    municipality: str = ""     # municipality code
    assignee: str = ""         # "me", "unassigned" or a user id
    overdue: bool = False      # first response due date passed with no first response
    waiting: str = ""          # "yes": waiting for the municipality or an expert; "no": not
    info_dept: str = ""        # the 情報部門 rule: "outside" (filed outside it), "unreached"
                               # (filed outside and the share reached nobody), "through"
    q: str = ""
    sort: str = "submitted"
    direction: str = "asc"
    after: str = ""            # page cursor

    @classmethod
    def from_args(cls, args):
        """Parse request.args (a MultiDict); unknown or malformed values fall back to defaults."""
        states = tuple(s for s in args.getlist("state") if s in QUEUE_STATES or s in ("all", "open"))
        region = args.get("region", "")
        if region not in ("", "mine", "all") and not region.isdigit():
            region = ""
        assignee = args.get("assignee", "")
        if assignee not in ("", "me", "unassigned") and not assignee.isdigit():
            assignee = ""
        kind = args.get("kind", "")
        waiting = args.get("waiting", "")
        info_dept = args.get("info_dept", "")
        return cls(
            states=states, kind=kind if kind in KINDS else "", theme=args.get("theme", "")[:40],
            region=region, municipality=args.get("municipality", "")[:6], assignee=assignee,
            overdue=args.get("overdue") in ("1", "on", "true"), q=args.get("q", "")[:200].strip(),
            waiting=waiting if waiting in WAITING_FILTERS else "",
            info_dept=info_dept if info_dept in INFO_DEPT_FILTERS else "",
            sort=args.get("sort") if args.get("sort") in SORTS else "submitted",
            direction=args.get("dir") if args.get("dir") in DIRECTIONS else "asc",
            after=args.get("after", "")[:200])

    def to_args(self, **changes):
        """Query arguments for url_for, defaults left out; `changes` override fields."""
        # A page builds about 20 links: no dataclasses.replace/asdict (deep copies) per link.
        unknown = changes.keys() - _FILTER_FIELDS
        if unknown:
            raise TypeError(f"unknown filter fields: {sorted(unknown)}")
        f = {name: changes[name] if name in changes else getattr(self, name)
             for name in _FILTER_FIELDS}
        out = {k: v for k, v in f.items() if v and k not in ("states", "direction",
                                                              "overdue", "sort")}
        if f["states"]:
            out["state"] = list(f["states"])
        if f["overdue"]:
            out["overdue"] = "1"
        if f["sort"] != "submitted":
            out["sort"] = f["sort"]
        if f["direction"] != "asc":
            out["dir"] = f["direction"]
        return out

    def state_values(self):
        if not self.states or "open" in self.states:
            return sorted(set(OPEN) | {s for s in self.states if s in QUEUE_STATES})
        if "all" in self.states:
            return list(QUEUE_STATES)
        return list(self.states)

    def active_count(self, user):
        """How many filters narrow the list beyond the defaults (sort order not counted)."""
        # The form sends the default states as ticked boxes: only a different set counts.
        states = set(self.state_values()) != set(OPEN)
        region = self.region not in ("", self.region_mode_default(user))
        return sum(map(bool, (states, self.kind, self.theme, region, self.municipality,
                              self.assignee, self.overdue, self.q, self.waiting,
                              self.info_dept)))

    @staticmethod
    def offers_own_regions(user):
        """Only a liaison has regions of their own (担当圏域) to filter the queue on."""
        return user.role == Role.LIAISON

    @staticmethod
    def region_mode_default(user):
        return "mine" if QueueFilter.offers_own_regions(user) else "all"

    def region_mode(self, user):
        return self.region or self.region_mode_default(user)


_FILTER_FIELDS = tuple(QueueFilter.__dataclass_fields__)


@dataclass
class QueuePage:
    rows: list
    next_cursor: str | None
    counts: dict               # state -> rows (see state_counts for the cap)
    total: int                 # rows in the selected states
    partial: set = field(default_factory=set)  # states whose count is a lower bound
    capped: bool = False       # the total is a lower bound


def _sort_expr(key):
    if key == "updated":
        return SupportRequest.updated_at
    if key == "due":
        return sa.func.coalesce(SupportRequest.first_response_due_at,
                                sa.literal(FAR_FUTURE, UTCDateTime()), type_=UTCDateTime())
    return SupportRequest.submitted_at


def _sort_value(sreq, key):
    if key == "updated":
        return sreq.updated_at
    if key == "due":
        return sreq.first_response_due_at or FAR_FUTURE
    return sreq.submitted_at


def municipality_condition(mid):
    """A request of municipality `mid`: its own, or a joint one it takes part in.

    Written so that indexes answer both arms, with `mid` a value (not a subquery) so that the
    planner sees how busy the municipality is. `municipality_id = m OR id IN (co-municipality
    subquery)` could use no index for the OR (its second arm is a filter), so every row of the
    state or the table was read: at national size a small municipality's queue page
    (bench/national_bench.py). PostgreSQL gets the joint ids as an array (`id = ANY(...)` is an
    index condition, so the OR becomes a BitmapOr); SQLite, which plans no index for that OR
    either, gets the union of both ids as one IN list."""
    co = request_co_municipalities.c
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql  # only here: a SQLite worker never loads it

        joint = sa.select(sa.func.array_agg(co.request_id)).where(co.municipality_id == mid)
        ids = sa.cast(joint.scalar_subquery(), postgresql.ARRAY(sa.Integer))
        return sa.or_(SupportRequest.municipality_id == mid, SupportRequest.id == sa.any_(ids))
    own = SupportRequest.__table__.alias("own_requests")
    return SupportRequest.id.in_(sa.union(
        sa.select(own.c.id).where(own.c.municipality_id == mid),
        sa.select(co.request_id).where(co.municipality_id == mid)))


def municipality_arms(mid):
    """municipality_condition(mid) as two disjoint conditions, own and joint, for a statement
    that reads each arm on its own and adds them (UNION ALL): the own arm is then an index
    range of (municipality_id, ...) that a covering index answers alone, which neither OR form
    above allows (SQLite looks each id up in the table, PostgreSQL's BitmapOr reads the heap)."""
    co = request_co_municipalities.c
    joint = sa.select(co.request_id).where(co.municipality_id == mid)
    return (SupportRequest.municipality_id == mid,
            sa.and_(SupportRequest.id.in_(joint), SupportRequest.municipality_id != mid))


def apply_filter(stmt, user, flt, now, *, with_state=True):
    """Add the filter's conditions and the permission scope to a select over SupportRequest."""
    # The queue lists no drafts (QUEUE_STATES): the scope leaves them all out by their state.
    stmt = permissions.scope_requests(stmt, user, drafts=False)
    if with_state:
        stmt = stmt.where(SupportRequest.state.in_(flt.state_values()))
    else:
        stmt = stmt.where(SupportRequest.state.in_(QUEUE_STATES))
    if flt.kind:
        stmt = stmt.where(SupportRequest.kind == flt.kind)
    if flt.theme:
        stmt = stmt.where(sa.exists().where(
            request_themes.c.request_id == SupportRequest.id,
            request_themes.c.theme_id == sa.select(Theme.id).where(Theme.code == flt.theme)
            .scalar_subquery()))
    mode = flt.region_mode(user)
    if mode == "mine":
        stmt = stmt.where(SupportRequest.region_id.in_(
            sorted(permissions.liaison_region_filter(user)) if flt.offers_own_regions(user) else []))
    elif mode != "all":
        stmt = stmt.where(SupportRequest.region_id == int(mode))
    if flt.municipality:
        mid = next((m.id for m in reference.municipalities() if m.code == flt.municipality), None)
        stmt = stmt.where(municipality_condition(mid) if mid is not None else sa.false())
    if flt.assignee == "me":
        stmt = stmt.where(SupportRequest.assignee_id == user.id)
    elif flt.assignee == "unassigned":
        stmt = stmt.where(SupportRequest.assignee_id.is_(None))
    elif flt.assignee:
        stmt = stmt.where(SupportRequest.assignee_id == int(flt.assignee))
    if flt.overdue:
        stmt = stmt.where(*overdue_condition(now))
    if flt.waiting == "yes":
        stmt = stmt.where(SupportRequest.waiting_for.is_not(None))
    elif flt.waiting == "no":
        stmt = stmt.where(SupportRequest.waiting_for.is_(None))
    if flt.info_dept:
        stmt = stmt.where(*info_dept_conditions(flt.info_dept))
    if flt.q:
        stmt = stmt.where(*search_conditions(flt.q))
    return stmt


def encode_cursor(flt, value, row_id):
    raw = json.dumps([flt.sort, flt.direction, value.astimezone(UTC).isoformat(), row_id])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(flt):
    """(value, id) from the filter's cursor, or None when absent, malformed or for another sort."""
    if not flt.after:
        return None
    try:
        raw = base64.urlsafe_b64decode(flt.after + "=" * (-len(flt.after) % 4))
        sort, direction, iso, row_id = json.loads(raw)
        value = datetime.fromisoformat(iso)
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError):
        return None
    if sort != flt.sort or direction != flt.direction or not isinstance(row_id, int) \
            or value.tzinfo is None:
        return None
    return value, row_id


def queue_select(user, flt, now, limit=PER_PAGE):
    """THE queue query: filtered, scoped, ordered on (key, id), after the cursor, limit+1 rows."""
    key = _sort_expr(flt.sort)
    stmt = apply_filter(sa.select(SupportRequest), user, flt, now)
    cursor = decode_cursor(flt)
    desc = flt.direction == "desc"
    if cursor is not None:
        row = sa.tuple_(key, SupportRequest.id)
        bound = sa.tuple_(sa.literal(cursor[0], UTCDateTime()), sa.literal(cursor[1]))
        stmt = stmt.where(row < bound if desc else row > bound)
    order = (key.desc(), SupportRequest.id.desc()) if desc else (key.asc(), SupportRequest.id.asc())
    return stmt.order_by(*order).limit(limit + 1)


# The queue's states as a constant table (SELECT 'submitted' AS state UNION ALL ...), built once.
_STATES = sa.union_all(*(sa.select(sa.literal(s, sa.String).label("state"))
                         for s in QUEUE_STATES)).subquery("queue_states")


def state_counts(user, flt, now, cap=COUNT_CAP):
    """(counts per state, states whose count is only a lower bound) for the current filter
    without its state part, in one statement whose cost is bounded by `cap`.

    An exact GROUP BY visits every matching row: the bench measured 0.5-0.7 s for a manager's
    filtered view over 100k requests on SQLite. Instead, a small subquery per state, each
    LIMIT cap+1 and served by the (state, region_id) index; a state over `cap`
    shows as "1000+". A search's page takes its exact counts from its own statement instead
    (_load_search_page), so it never reads the table a second time.
    """
    # One subquery, correlated on a constant list of the states, instead of a UNION ALL of a
    # copy of the filter per state: building, cache-keying and binding 11 copies of the
    # filter's conditions (with their IN lists) on every view cost more than running them.
    # Each state's count still reads at most cap+1 rows of the (region_id, state) index.
    states = _STATES
    capped = apply_filter(sa.select(sa.literal(1).label("one")), user, flt, now,
                          with_state=False) \
        .where(SupportRequest.state == states.c.state).correlate(states) \
        .limit(cap + 1).subquery("capped")
    n = sa.select(sa.func.count()).select_from(capped).scalar_subquery()
    counts = {state: n for state, n in db.session.execute(sa.select(states.c.state, n)) if n}
    partial = {state for state, n in counts.items() if n > cap}
    return {s: min(n, cap) for s, n in counts.items()}, partial


class QueueRow(NamedTuple):
    """One row of the queue as the page shows it: plain columns, no ORM object (building 50
    requests with their municipality, assignee and themes was most of the page's load time);
    a tuple (a frozen dataclass sets each of its 14 fields through object.__setattr__)."""
    id: int
    number: str | None
    title: str
    kind: str
    state: str
    waiting_for: str | None
    waiting_since: datetime | None
    submitted_at: datetime | None
    first_response_due_at: datetime | None
    first_response_at: datetime | None
    updated_at: datetime
    municipality_name: str
    assignee_name: str | None
    themes: tuple = ()

    @property
    def display_number(self):
        return SupportRequest.display_number.fget(self)


_ROW_COLUMNS = (SupportRequest.id, SupportRequest.number, SupportRequest.title,
                SupportRequest.kind, SupportRequest.state, SupportRequest.waiting_for,
                SupportRequest.waiting_since, SupportRequest.submitted_at,
                SupportRequest.first_response_due_at, SupportRequest.first_response_at,
                SupportRequest.updated_at, Municipality.name.label("municipality_name"),
                User.display_name.label("assignee_name"))


def _theme_ids_column():
    """The request's theme ids as one comma-separated string (a correlated subquery on the
    request_themes key): the rows bring their themes along, no second statement."""
    rt = request_themes.c
    if db.session.get_bind().dialect.name == "postgresql":
        agg = sa.func.string_agg(sa.cast(rt.theme_id, sa.Text), ",")
    else:
        agg = sa.func.group_concat(rt.theme_id)
    return sa.select(agg).where(rt.request_id == SupportRequest.id) \
        .correlate(SupportRequest).scalar_subquery().label("theme_ids")


def _row_select(stmt):
    """The queue statement `stmt` (over SupportRequest) returning QueueRow columns, then the
    theme ids (_rows_with_themes makes the rows)."""
    return (stmt.with_only_columns(*_ROW_COLUMNS, _theme_ids_column())
            .join_from(SupportRequest, Municipality,
                       Municipality.id == SupportRequest.municipality_id)
            .outerjoin(User, User.id == SupportRequest.assignee_id))


def _load_themes_by_id():
    return {t.id: ThemeRef(*t) for t in db.session.execute(
        sa.select(Theme.id, Theme.code, Theme.name_ja, Theme.name_en, Theme.sort_order))}


def _rows_with_themes(rows):
    """QueueRows from _row_select's rows, their themes (inactive ones too: a request keeps its
    themes) from a map of every theme kept per process and reference version. A theme the map
    does not know yet (added by another worker after this request read the version) makes it
    read the themes afresh."""
    themes = reference.derived(("themes_by_id",), _load_themes_by_id)
    wanted = [(columns, [int(i) for i in ids.split(",")] if ids else ())
              for *columns, ids in rows]
    if any(i not in themes for _, ids in wanted for i in ids):
        themes = _load_themes_by_id()
    return [QueueRow(*columns, themes=tuple(sorted(
        (themes[i] for i in ids), key=lambda t: (t.sort_order, t.id)))) for columns, ids in wanted]


def _queue_rows(stmt):
    return _rows_with_themes(db.session.execute(_row_select(stmt)))


def load_queue_page(user, flt, now, per_page=PER_PAGE, with_counts=True):
    if flt.q and with_counts:
        return _load_search_page(user, flt, now, per_page)
    rows = _queue_rows(queue_select(user, flt, now, per_page))
    next_cursor = None
    if len(rows) > per_page:
        rows = rows[:per_page]
        last = rows[-1]
        next_cursor = encode_cursor(flt, _sort_value(last, flt.sort), last.id)
    counts, partial = state_counts(user, flt, now) if with_counts else ({}, set())
    selected = set(flt.state_values())
    return QueuePage(rows=rows, next_cursor=next_cursor, counts=counts, partial=partial,
                     total=sum(n for s, n in counts.items() if s in selected),
                     capped=bool(partial & selected))


def _load_search_page(user, flt, now, per_page, cap=COUNT_CAP):
    """A search's page and its counts per state from ONE statement (the table is read once).

    The first cap+1 matches found (every queue state, no cursor, in no order: finding them stops
    early) are numbered by window functions: each row carries the count of its state, and the
    first match of each state rides along (ordered first), so every state with a match reports
    its count even when none of its rows is on the page. Up to `cap` matches (a rare word) the
    counts are exact and the page is the qualifying rows (selected states, after the cursor)
    among them: one statement. Past it (a common word) the counts are lower bounds ("1000+")
    and the page is read by the plain queue query, which walks the sort index."""
    key = _sort_expr(flt.sort)
    desc = flt.direction == "desc"
    first_matches = apply_filter(sa.select(SupportRequest.id, SupportRequest.state,
                                           key.label("k")), user, flt, now, with_state=False) \
        .limit(cap + 1).subquery("first_matches")
    fm = first_matches.c
    fm_order = (fm.k.desc(), fm.id.desc()) if desc else (fm.k.asc(), fm.id.asc())
    matches = sa.select(
        fm.id, fm.state, fm.k, sa.func.count().over(partition_by=fm.state).label("n"),
        sa.func.row_number().over(partition_by=fm.state, order_by=fm_order).label("rn"),
    ).subquery("matches")
    qualifies = matches.c.state.in_(flt.state_values())
    cursor = decode_cursor(flt)
    if cursor is not None:
        row = sa.tuple_(matches.c.k, matches.c.id)
        bound = sa.tuple_(sa.literal(cursor[0], UTCDateTime()), sa.literal(cursor[1]))
        qualifies = sa.and_(qualifies, row < bound if desc else row > bound)
    first = matches.c.rn == 1
    sort = (matches.c.k.desc(), matches.c.id.desc()) if desc else (matches.c.k, matches.c.id)
    stmt = (_row_select(sa.select(SupportRequest))
            .add_columns(matches.c.n, sa.case((qualifies, 1), else_=0).label("q"))
            .join(matches, matches.c.id == SupportRequest.id)
            .where(sa.or_(qualifies, first))
            .order_by(sa.case((first, 0), else_=1), *sort)
            .limit(per_page + 1 + len(QUEUE_STATES)))
    counts, found = {}, []
    for *row, n, qualifying in db.session.execute(stmt):
        counts[row[4]] = n  # the state
        if qualifying:
            found.append(row)
    truncated = sum(counts.values()) > cap
    if truncated:  # a common word: the first cap+1 matches found need not hold the page
        rows = _queue_rows(queue_select(user, flt, now, per_page))
    else:
        rows = _rows_with_themes(found)
    rows.sort(key=lambda r: (_sort_value(r, flt.sort), r.id), reverse=desc)
    next_cursor = None
    if len(rows) > per_page:
        rows = rows[:per_page]
        next_cursor = encode_cursor(flt, _sort_value(rows[-1], flt.sort), rows[-1].id)
    selected = set(flt.state_values())
    partial = set(QUEUE_STATES) if truncated else set()  # unseen states: 0 or more
    total = sum(n for s, n in counts.items() if s in selected)
    return QueuePage(rows=rows, next_cursor=next_cursor, counts=counts, partial=partial,
                     total=max(total, len(rows)), capped=bool(partial & selected))
