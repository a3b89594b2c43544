"""The queue's rows built in Python (views/queue_rows.py) write what the Jinja loop they
replaced wrote, for every branch of a row: waiting badge, the four first-response badges, no
due date, unassigned, themes in both languages, ticked and refused checkboxes, no bulk actions,
and text that must be escaped."""
from datetime import datetime, timedelta

import pytest

from supportdesk.services.reference import ThemeRef
from supportdesk.services.requests.queue import QueueRow
from supportdesk.services.requests.response_target import due_status
from supportdesk.timeutil import UTC

# The template's loop as it was (templates/queue/index.html before the rows moved to Python).
JINJA_ROWS = """{% for s in rows %}
    <tr data-request-id="{{ s.id }}">
      {% if ops %}<td><input type="checkbox" name="ids" value="{{ s.id }}" aria-labelledby="num-{{ s.id }}"{% if s.id in checked_ids %} checked{% endif %}{% if ids_error %} aria-describedby="bulk-ids-error"{% endif %}></td>{% endif %}
      <td class="nowrap" id="num-{{ s.id }}">{{ s.display_number }}</td>
      <td class="title"><a href="{{ request_href }}{{ s.id }}">{{ s.title }}</a></td>
      <td class="short">{{ s.municipality_name }}</td>
      <td class="short">{{ labels.kind[s.kind] }}</td>
      <td class="short">{{ labels.state[s.state] }}{% if s.waiting_for %}<br><span class="badge badge-warn" data-testid="waiting-badge">{{ labels.waiting[s.waiting_for] }}</span> <small>{{ labels.since|format(at=s.waiting_since|datetime) }}</small>{% endif %}</td>
      <td class="themes">{% for t in s.themes %}<span class="badge">{{ t.label(loc) }}</span> {% endfor %}</td>
      <td class="short">{{ s.assignee_name or labels.unassigned }}</td>
      <td class="when">{{ s.submitted_at|datetime }}</td>
      <td class="short">{% set d = due(s) %}{% if d %}{% if d[0] == "overdue" %}<span class="badge badge-overdue" data-testid="due-badge">{{ labels.overdue }}</span>{% elif d[0] == "today" %}<span class="badge badge-warn" data-testid="due-badge">{{ labels.today }}</span>{% elif d[0] == "waiting" %}<span class="badge" data-testid="due-badge">{{ labels.paused }}</span>{% else %}<span class="badge badge-ok" data-testid="due-badge">{{ labels.remaining|format(n=d[1]) }}</span>{% endif %}{% endif %}</td>
      <td class="when">{{ s.updated_at|datetime }}</td>
    </tr>
    {% endfor %}"""

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)  # a Friday, 12:00 JST


def _row(i, **kw):
    fields = dict(id=i, number=f"R8-{i:05d}", title=f"相談{i}", kind="consultation",
                  state="submitted", waiting_for=None, waiting_since=None,
                  submitted_at=NOW - timedelta(days=3), first_response_due_at=None,
                  first_response_at=None, updated_at=NOW - timedelta(hours=1),
                  municipality_name="佐用町", assignee_name="リエゾン 一郎", themes=())
    fields.update(kw)
    return QueueRow(**fields)


def _rows():
    ai = ThemeRef(1, "ai_rpa", "AI・RPA", "AI & RPA", 1)
    sec = ThemeRef(2, "security", "セキュリティ<対策>", None, 2)
    return [
        _row(1, first_response_due_at=NOW - timedelta(days=1), themes=(ai, sec)),    # overdue
        _row(2, first_response_due_at=NOW + timedelta(hours=5)),                     # today
        _row(3, first_response_due_at=NOW + timedelta(days=6), assignee_name=None),  # remaining
        _row(4, first_response_due_at=NOW + timedelta(days=2), waiting_for="municipality",
             waiting_since=NOW - timedelta(days=1), state="triage"),                  # waiting
        _row(5, first_response_due_at=NOW - timedelta(days=1),
             first_response_at=NOW - timedelta(days=2), waiting_for="expert",
             waiting_since=NOW - timedelta(hours=2)),                                 # answered
        _row(6, state="closed", kind="lecture", title='<script>"x" & y</script>',
             municipality_name="A&B町", assignee_name="<b>", number=None),
        _row(7, state="no_such_state", kind="no_such_kind"),
    ]


@pytest.mark.parametrize("locale", ["ja", "en"])
@pytest.mark.parametrize("ops,checked,ids_error", [(True, {2, 6}, False), (True, set(), True),
                                                   (False, set(), False)])
def test_python_rows_equal_the_jinja_loop(app, locale, ops, checked, ids_error):
    from flask_babel import force_locale

    from supportdesk.views.queue import _row_labels
    from supportdesk.views.queue_rows import RowLabels, rows_html

    rows = _rows()
    with app.test_request_context(), force_locale(locale):
        labels = _row_labels()
        want = app.jinja_env.from_string(JINJA_ROWS).render(
            rows=rows, ops=ops, checked_ids=checked, ids_error=ids_error, labels=labels,
            loc=locale, request_href="/requests/", due=lambda s: due_status(s, NOW))
        got = rows_html(rows, labels=RowLabels(labels), locale=locale, request_href="/requests/",
                        now=NOW, checkboxes=ops, checked_ids=checked, ids_error=ids_error)
    assert str(got) == want
    # every branch was drawn
    for part in ("badge-overdue", "badge-warn", "badge-ok", "waiting-badge", "&lt;script&gt;",
                 "A&amp;B町", '<span class="badge" data-testid="due-badge">'):
        assert part in want, part
