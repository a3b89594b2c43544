"""The municipality page's history section (対応履歴): requests and their events, paged."""
from flask import abort, request

from ..models.support_request import KIND_LABELS
from ..models.visit import VISIT_KINDS, VISIT_STATES
from ..services.requests.history import municipality_history
from ..workflow import STATE_LABELS, State


def history_section(m, user):
    raw = request.args.get("page", "1")
    if not raw.isdigit() or int(raw) < 1:
        abort(404)
    data = municipality_history(m, user, page=int(raw))
    if data is None:
        abort(404)
    # The long history goes after the short lists of visits and rounds.
    return {"template": "municipalities/_history.html", "history": data, "order": 10,
            "kind_labels": KIND_LABELS, "state_labels": {s.value: STATE_LABELS[s] for s in State},
            "visit_kinds": VISIT_KINDS, "visit_states": VISIT_STATES}
