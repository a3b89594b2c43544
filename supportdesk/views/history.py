"""Registrations of the request library module: the municipality history section (対応履歴),
the expert's home page and the demo request seeder."""
from flask import abort, request

from .. import cli
from ..models.support_request import KIND_LABELS
from ..models.visit import VISIT_KINDS, VISIT_STATES
from ..services.demo_requests import seed_demo_requests
from ..services.history import municipality_history
from ..workflow import STATE_LABELS, State
from . import home, municipalities


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


if history_section not in municipalities.HISTORY_SECTIONS:
    municipalities.HISTORY_SECTIONS.append(history_section)
home.ROLE_HOME["expert"] = "assignments.mine"
if seed_demo_requests not in cli.DEMO_SEEDERS:
    cli.DEMO_SEEDERS.append(seed_demo_requests)
