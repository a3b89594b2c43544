"""The figure tables of the report pages, made ready for the template in the reader's language.

A report page shows about 150 figure rows. Each row's label, its drill-down link and its bar
were worked out in the template (a label macro, a `url_for` and an escape per row: half of a
closed month's page, which is otherwise only its snapshot). Here they are made once per table:
the links to the month's request list share one `url_for`, with each row's own query string.
"""
from numbers import Number
from typing import NamedTuple
from urllib.parse import urlencode

from flask import url_for
from flask_babel import get_locale

from ..pack_words import request_translations

# The characters Werkzeug leaves unescaped in a query string (werkzeug.urls._urlencode), so
# that a link is the one url_for would have built.
QUERY_SAFE = "!$'()*,/:;?@"


class FigureRow(NamedTuple):
    label: str
    value: object  # the figure, or "—" when it has none
    href: str | None  # the drill-down (the month's requests behind the figure), if any
    prev: object
    prev_year: object
    bar: float  # the bar's width (0-120) when the table draws bars


def _get(row, key):
    return row.get(key) if isinstance(row, dict) else getattr(row, key, None)


def _shown(value):
    return "—" if value is None else value


def row_label(row, english=None, translate=None):
    """A row's label in the reader's language: its own English name where it carries one
    (catalogue and theme rows), otherwise its msgid translated."""
    if english is None:
        english = str(get_locale()) == "en"
    label_en = _get(row, "label_en")
    if label_en and english:
        return label_en
    return (translate or request_translations().ugettext)(_get(row, "label"))


def _query(figure, params):
    items = [("figure", figure)] if figure is not None else []
    for key, value in (params or {}).items():
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            items.extend((key, v) for v in value if v is not None)
        else:
            items.append((key, value))
    return urlencode(items, safe=QUERY_SAFE)


def figure_rows(rows, ym, bars=False):
    """The rows of one figure table as FigureRow: label, value, link and bar."""
    rows = rows or []
    english = str(get_locale()) == "en"
    translate = request_translations().ugettext  # once per table, not once per row
    maxv = max([v for v in (_get(row, "value") for row in rows) if isinstance(v, Number)] + [1])
    requests_url = url_for("reports.monthly_requests", ym=ym) if ym else None
    out = []
    for row in rows:
        value = _get(row, "value")
        params = _get(row, "params") or {}
        figure = _get(row, "figure")
        href = None
        if figure and ym:
            href = requests_url + "?" + _query(figure, params)
        elif params.get("drill") and ym:
            href = url_for("reports.monthly_" + params["drill"], ym=ym,
                           _anchor=params.get("anchor"))
        out.append(FigureRow(
            label=row_label(row, english, translate), value=_shown(value), href=href,
            prev=_shown(_get(row, "prev")), prev_year=_shown(_get(row, "prev_year")),
            bar=round((value or 0) / maxv * 120, 1) if bars else 0))
    return out
