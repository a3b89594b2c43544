"""A municipality's history (対応履歴): its requests, visits and events by fiscal year.

Four queries whatever the number of rows: the counts (one GROUP BY), the newest requests
(LISTED_REQUESTS of them: a busy municipality has thousands), visits (shared with the page's
visits section), and a page of events. The requests are read as two arms, the municipality's
own and the joint ones it takes part in (queue.municipality_arms): the own arm is a range of
ix_support_requests_muni_history, which answers the counts and the event page's ids alone and
lists the newest in its order.
"""
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from ... import permissions
from ...extensions import db
from ...models import RequestEvent, SupportRequest, User, Visit
from ...models.visit import visit_municipalities
from ...timeutil import fiscal_year
from ...workflow import State
from .queue import municipality_arms

TIMELINE_PAGE = 20  # events a page of the timeline shows (?page=N)


# The newest requests listed under their fiscal years; the rest are counted, and the section
# links to a list of them all (the queue filtered by the municipality, for a liaison).
LISTED_REQUESTS = 50


def _scoped_requests(m, user, *cols):
    """The requests of `m` the viewer may see, drafts left out: a UNION ALL of its own and of
    the joint ones it takes part in."""
    return sa.union_all(*(
        permissions.scope_requests(
            sa.select(*cols).where(arm, SupportRequest.state != State.DRAFT.value), user)
        for arm in municipality_arms(m.id)))


@dataclass(frozen=True)
class ListedRequest:
    """What the history lists of a request (plain columns: no ORM object per row)."""
    id: int
    number: str | None
    title: str
    kind: str
    state: str
    municipality_id: int
    fiscal_year: int | None
    submitted_at: datetime | None
    created_at: datetime

    @property
    def display_number(self):
        return SupportRequest.display_number.fget(self)


_LISTED = tuple(getattr(SupportRequest, f) for f in ListedRequest.__dataclass_fields__)


def _requests(m, user, limit=None):
    """The newest `limit` (LISTED_REQUESTS) requests the viewer may see."""
    stmt = _scoped_requests(m, user, *_LISTED)
    c = stmt.selected_columns
    stmt = stmt.order_by(c.submitted_at.desc(), c.id.desc()).limit(limit or LISTED_REQUESTS)
    return [ListedRequest(*row) for row in db.session.execute(stmt)]


def _request_counts(m, user):
    """{(fiscal year, kind, state): n} over every request the viewer may see, in one GROUP BY.
    A request without a fiscal year (a draft withdrawn before it was filed has none) counts in
    the year of its submission or creation, as request_fiscal_year says: those are grouped by
    that date, one by one."""
    undated = sa.case((SupportRequest.fiscal_year.is_(None),
                       sa.func.coalesce(SupportRequest.submitted_at, SupportRequest.created_at)))
    sub = _scoped_requests(m, user, SupportRequest.fiscal_year, SupportRequest.kind,
                           SupportRequest.state, undated.label("undated_at")).subquery()
    keys = (sub.c.fiscal_year, sub.c.kind, sub.c.state, sub.c.undated_at)
    counts = Counter()
    for fy, kind, state, at, n in db.session.execute(sa.select(*keys, sa.func.count())
                                                     .group_by(*keys)):
        counts[(fy if fy is not None else fiscal_year(at), kind, state)] += n
    return counts


def municipality_visits(m, user):
    """Every visit to `m` the viewer may see, newest first: the history counts them by year and
    kind, the page's visits section lists the latest."""
    here = sa.select(visit_municipalities.c.visit_id).where(
        visit_municipalities.c.municipality_id == m.id)
    stmt = permissions.scope_visits(sa.select(Visit).where(Visit.id.in_(here)), user)
    return db.session.scalars(stmt.order_by(Visit.starts_at.desc(), Visit.id.desc())).all()


@dataclass(frozen=True)
class _RequestRef:
    id: int
    number: str | None

    @property
    def display_number(self):
        return SupportRequest.display_number.fget(self)


@dataclass(frozen=True)
class _ActorRef:
    display_name: str


@dataclass(frozen=True)
class TimelineEvent:
    """What the timeline shows of an event (plain columns, as event_summary reads them), with
    its request's number and its actor's name: no ORM event, request and user per row."""
    id: int
    at: datetime
    kind: str
    action: str | None
    from_state: str | None
    to_state: str | None
    internal: bool
    data: dict | None
    note: str | None
    sreq: _RequestRef
    actor: _ActorRef | None


def _events(m, user, page, per_page):
    """One page of the events, newest first, and one more to tell whether a next page exists."""
    # The page's ids first (the (request_id, at) index covers them), then their rows: joining
    # the request and actor before the sort made every event of the municipality wide.
    ids = (sa.select(RequestEvent.id)
           .where(RequestEvent.request_id.in_(_scoped_requests(m, user, SupportRequest.id)))
           .order_by(RequestEvent.at.desc(), RequestEvent.id.desc())
           .offset((page - 1) * per_page).limit(per_page + 1))
    if permissions.scope_of(user, "view_internal", "request") is None:
        # Municipal staff never see internal notes or what touches them.
        ids = ids.where(RequestEvent.internal.is_(False))
    e = RequestEvent
    stmt = (sa.select(e.id, e.at, e.kind, e.action, e.from_state, e.to_state, e.internal,
                      e.data, e.note, e.request_id, SupportRequest.number, User.display_name,
                      e.actor_id)
            .join(SupportRequest, SupportRequest.id == e.request_id)
            .outerjoin(User, User.id == e.actor_id)
            .where(e.id.in_(ids))
            .order_by(e.at.desc(), e.id.desc()))
    return [TimelineEvent(*row[:9], _RequestRef(row.request_id, row.number),
                          _ActorRef(row.display_name) if row.actor_id is not None else None)
            for row in db.session.execute(stmt)]


def request_fiscal_year(sreq):
    return sreq.fiscal_year or fiscal_year(sreq.submitted_at or sreq.created_at)


def municipality_history(m, user, page=1, per_page=TIMELINE_PAGE, visits=None):
    """Everything the viewer may see about municipality `m`, grouped by fiscal year, with page
    `page` of its timeline (None when that page is past the end). `visits`: those of
    municipality_visits(m, user), when the caller has them already."""
    reqs = _requests(m, user)
    visits = municipality_visits(m, user) if visits is None else visits
    events = _events(m, user, page, per_page)
    if page > 1 and not events:
        return None
    years = defaultdict(lambda: {"requests": [], "visits": [], "request_kinds": Counter(),
                                 "request_states": Counter(), "visit_kinds": Counter(),
                                 "request_count": 0})
    counts = _request_counts(m, user)
    for (fy, kind, state), n in counts.items():
        y = years[fy]
        y["request_count"] += n
        y["request_kinds"][kind] += n
        y["request_states"][state] += n
    for r in reqs:
        years[request_fiscal_year(r)]["requests"].append(r)
    for v in visits:
        y = years[fiscal_year(v.starts_at)]
        y["visits"].append(v)
        y["visit_kinds"][v.kind] += 1
    # The timeline is the requests' events; visits have their own list on the page, so that
    # no visit is shown twice (events are already newest first).
    timeline = [{"at": e.at, "type": "event", "event": e} for e in events[:per_page]]
    return {
        "years": sorted(years.items(), reverse=True),
        "timeline": timeline,
        "timeline_page": page,
        "listed": len(reqs),
        "timeline_has_next": len(events) > per_page,
        "totals": {"requests": sum(counts.values()), "visits": len(visits),
                   "request_kinds": sum((y["request_kinds"] for y in years.values()), Counter()),
                   "request_states": sum((y["request_states"] for y in years.values()),
                                         Counter()),
                   "visit_kinds": Counter(v.kind for v in visits)},
        "municipality": m,
    }
