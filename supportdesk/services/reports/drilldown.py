"""The drill-down of a monthly report figure: which filters it takes, and its name in words."""
from ...extensions import db
from ...i18n import N_
from ...models import Municipality, Region, Theme
from ...models.support_request import KIND_LABELS
from .figures import REQUEST_FIGURES

ORIGIN_LABELS = {"municipal": N_("市町から"), "push": N_("プッシュ型(リエゾン発)")}

# Each filter argument by its name in the heading (ORIGINS in models.support_request).
FILTERS = {"kind": N_("種別"), "origin": N_("発意"), "theme_id": N_("分野"),
           "region_id": N_("圏域"), "municipality_id": N_("市町")}
_MODELS = {"theme_id": (Theme, "name_ja"), "region_id": (Region, "name"),
           "municipality_id": (Municipality, "name")}
_VOCABULARIES = {"kind": KIND_LABELS, "origin": ORIGIN_LABELS}


class UnknownDrillDown(LookupError):
    """A figure or filter value the report does not have (the page answers 404)."""


def drilldown(figure, args):
    """(filters for figures.requests_behind, [(filter name, value in words)]) for the figure
    and the query arguments; UnknownDrillDown for an unknown figure or filter value, so that a
    heading never names something the list was not filtered by. Values in words are msgids
    for the vocabularies (kind, origin) and data (names) for the rest: {"text", "translate"}."""
    if figure not in REQUEST_FIGURES:
        raise UnknownDrillDown(figure)
    filters, words = {}, []
    for key, name in FILTERS.items():
        value = args.get(key)
        if not value:
            continue
        if key in _VOCABULARIES:
            if value not in _VOCABULARIES[key]:
                raise UnknownDrillDown(f"{key}={value}")
            filters[key] = value
            words.append({"name": name, "text": _VOCABULARIES[key][value], "translate": True})
            continue
        if not value.isdigit():
            raise UnknownDrillDown(f"{key}={value}")
        model, attr = _MODELS[key]
        row = db.session.get(model, int(value))
        if row is None:
            raise UnknownDrillDown(f"{key}={value}")
        filters[key] = row.id
        words.append({"name": name, "text": getattr(row, attr), "translate": False,
                      "text_en": getattr(row, "name_en", None)})
    return filters, words

