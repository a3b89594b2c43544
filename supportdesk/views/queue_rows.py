"""The queue's rows as HTML, built in Python (the page shows 50 of them, 11 cells each).

In Jinja the rows were a third of the page's time: each cell's value went through the
context's attribute lookup, a call, autoescape and a Markup object. Here every value that comes
from the database or a translation is escaped with markupsafe.escape exactly once; the
labels are escaped once per page (`RowLabels`). The HTML is the same as the template wrote it
(tests/test_queue_views.py, and byte-for-byte on the bench data).
"""
from markupsafe import Markup, escape

from ..services.requests.response_target import due_status
from ..template_helpers import fmt_datetime


class RowLabels:
    """The translated words of the rows, escaped once per page (not once per row)."""

    def __init__(self, labels):
        esc = lambda d: {k: str(escape(v)) for k, v in d.items()}  # noqa: E731
        self.state, self.kind, self.waiting = (esc(labels["state"]), esc(labels["kind"]),
                                               esc(labels["waiting"]))
        self.unassigned = str(escape(labels["unassigned"]))
        self.badges = {
            "overdue": f'<span class="badge badge-overdue" data-testid="due-badge">'
                       f'{escape(labels["overdue"])}</span>',
            "today": f'<span class="badge badge-warn" data-testid="due-badge">'
                     f'{escape(labels["today"])}</span>',
            "waiting": f'<span class="badge" data-testid="due-badge">'
                       f'{escape(labels["paused"])}</span>'}
        self.remaining, self.since = labels["remaining"], labels["since"]  # escaped when filled


def rows_html(rows, *, labels, locale, request_href, now, checkboxes, checked_ids=(),
              ids_error=False):
    """The <tr> of each row (each preceded and followed by the template's indentation)."""
    href = str(escape(request_href))
    described = ' aria-describedby="bulk-ids-error"' if ids_error else ""
    out = []
    for s in rows:
        rid = s.id
        if checkboxes:
            check = (f'<td><input type="checkbox" name="ids" value="{rid}" '
                     f'aria-labelledby="num-{rid}"{" checked" if rid in checked_ids else ""}'
                     f'{described}></td>')
        else:
            check = ""
        state = labels.state.get(s.state, "")
        if s.waiting_for:
            since = escape(labels.since % {"at": fmt_datetime(s.waiting_since)})
            state += (f'<br><span class="badge badge-warn" data-testid="waiting-badge">'
                      f'{labels.waiting.get(s.waiting_for, "")}</span> <small>{since}</small>')
        themes = "".join(f'<span class="badge">{escape(t.label(locale))}</span> '
                         for t in s.themes)
        d = due_status(s, now)
        if d is None:
            due = ""
        elif d[0] == "remaining":
            due = (f'<span class="badge badge-ok" data-testid="due-badge">'
                   f'{escape(labels.remaining % {"n": d[1]})}</span>')
        else:
            due = labels.badges[d[0]]
        assignee = escape(s.assignee_name) if s.assignee_name else labels.unassigned
        out.append(
            f'\n    <tr data-request-id="{rid}">\n      {check}\n'
            f'      <td class="nowrap" id="num-{rid}">{escape(s.display_number)}</td>\n'
            f'      <td class="title"><a href="{href}{rid}">{escape(s.title)}</a></td>\n'
            f'      <td class="short">{escape(s.municipality_name)}</td>\n'
            f'      <td class="short">{labels.kind.get(s.kind, "")}</td>\n'
            f'      <td class="short">{state}</td>\n'
            f'      <td class="themes">{themes}</td>\n'
            f'      <td class="short">{assignee}</td>\n'
            f'      <td class="when">{fmt_datetime(s.submitted_at)}</td>\n'
            f'      <td class="short">{due}</td>\n'
            f'      <td class="when">{fmt_datetime(s.updated_at)}</td>\n'
            f'    </tr>\n    ')
    return Markup("".join(out))
