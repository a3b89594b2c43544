"""The municipality page's history section (対応履歴) of the request library module."""
from ..models.support_request import KIND_LABELS
from ..models.visit import VISIT_KINDS, VISIT_STATES
from ..services.history import municipality_history
from ..workflow import STATE_LABELS, State
from . import municipalities


def history_section(m, user):
    data = municipality_history(m, user)
    # The long history goes after the short lists of visits and rounds.
    return {"template": "municipalities/_history.html", "history": data, "order": 10,
            "kind_labels": KIND_LABELS, "state_labels": {s.value: STATE_LABELS[s] for s in State},
            "visit_kinds": VISIT_KINDS, "visit_states": VISIT_STATES}


if history_section not in municipalities.HISTORY_SECTIONS:
    municipalities.HISTORY_SECTIONS.append(history_section)
