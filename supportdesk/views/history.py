"""The municipality page's history section (対応履歴): requests and their events, paged."""
from flask import abort, g, request, url_for
from flask_babel import gettext as _
from werkzeug.routing import BuildError

from .. import permissions
from ..models.support_request import KIND_LABELS
from ..models.visit import VISIT_KINDS, VISIT_STATES
from ..services.requests.history import municipality_history, municipality_visits
from ..workflow import STATE_LABELS, State


def _request_href():
    """The request page's path without its id: one url_for for the section's 120 links."""
    try:
        return url_for("requests.show", request_id=0)[:-1]
    except BuildError:  # the requests blueprint absent (as assignments.request_url allows)
        return "/requests/"


def visible_visits(m, user):
    """municipality_visits(m, user), read once per request for the two sections that show
    them (the visits section and the history's counts)."""
    memo = g.setdefault("_municipality_visits", {})
    key = (m.id, user.id)
    if key not in memo:
        memo[key] = municipality_visits(m, user)
    return memo[key]


def _all_requests_href(m, user):
    """Where the viewer finds every request of `m` that the history counts but does not list:
    the queue filtered by the municipality (newest first), a municipality's own list for its
    staff, an expert's assignments; None when the viewer has no such list."""
    if permissions.scope_of(user, "view", "queue") is not None:
        endpoint, args = "queue.index", {"municipality": m.code, "state": "all",
                                         "region": "all", "sort": "submitted", "dir": "desc"}
    elif permissions.scope_of(user, "view", "own_municipality_requests") is not None:
        endpoint, args = "requests.mine", {}
    elif permissions.scope_of(user, "respond", "expert_assignment") is not None:
        endpoint, args = "assignments.mine", {}
    else:
        return None
    try:
        return url_for(endpoint, **args)
    except BuildError:  # that blueprint absent
        return None


def history_section(m, user):
    raw = request.args.get("page", "1")
    if not raw.isdigit() or int(raw) < 1:
        abort(404)
    data = municipality_history(m, user, page=int(raw), visits=visible_visits(m, user))
    if data is None:
        abort(404)
    # The long history goes after the short lists of visits and rounds. Labels are translated
    # here once, not once per row (gettext per cell was most of the section's render time).
    return {"template": "municipalities/_history.html", "history": data, "order": 10,
            "kind_labels": {k: _(v) for k, v in KIND_LABELS.items()},
            "state_labels": {s.value: _(STATE_LABELS[s]) for s in State},
            "visit_kinds": {k: _(v) for k, v in VISIT_KINDS.items()},
            "visit_states": VISIT_STATES, "request_href": _request_href(),
            "all_requests_href": (_all_requests_href(m, user) if data["totals"]["requests"]
                                  > data["listed"] else None)}
