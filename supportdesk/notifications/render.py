"""Render notifications at enqueue time: templates/email/<kind>.txt and templates/chat/<kind>.txt.

An e-mail template's first line is the subject, then a blank line, then the body. Chat templates
are the whole message. Chat text leaves our trust boundary: it gets the facts of FACT_KEYS only
(number, municipality, kind, state, staff names on the request, dates, link), never bodies,
titles, reasons or internal notes.
"""
from flask import current_app
from flask_babel import force_locale, gettext as _
from jinja2 import TemplateNotFound

from ..links import absolute
from ..roles import Role
from ..workflow import STATE_LABELS, State
from .audiences import event_label

# Messages go to many people at once, whatever language the actor's screen is in: Japanese.
MESSAGE_LOCALE = "ja"


def _template(folder, event_type):
    env = current_app.jinja_env
    for name in (f"{folder}/{event_type}.txt", f"{folder}/default.txt"):
        try:
            return env.get_template(name)
        except TemplateNotFound:
            continue
    raise TemplateNotFound(f"{folder}/{event_type}.txt")


def _state_label(value):
    try:
        return str(STATE_LABELS[State(value)])
    except (ValueError, KeyError):
        return value or ""


def chat_facts(event_type, *, sreq=None, visit=None, announcement=None, link=None,
               municipality=None, context=None):
    """The only values a chat message may carry (see the module docstring)."""
    with force_locale(MESSAGE_LOCALE):
        return _chat_facts(event_type, sreq, visit, announcement, link, municipality, context)


def _chat_facts(event_type, sreq, visit, announcement, link, municipality, context):
    from ..models.support_request import KIND_LABELS

    context = context or {}
    facts = {
        "event_type": event_type,
        "event_label": event_label(event_type),
        "link": link,
        "next_action": context.get("next_action"),
        "next_date": context.get("next_date"),
        "municipality": municipality.name if municipality is not None else None,
    }
    if sreq is not None:
        facts.update(
            number=sreq.display_number,
            municipality=sreq.municipality.name if sreq.municipality else "",
            kind=KIND_LABELS.get(sreq.kind, sreq.kind),
            state=_state_label(sreq.state),
            from_state=_state_label(context.get("from_state")),
            assignee=sreq.assignee.display_name if sreq.assignee else None,
            needed_by=sreq.needed_by,
        )
    if visit is not None:
        facts.update(
            visit_starts_at=visit.starts_at,
            visit_municipalities="、".join(m.name for m in visit.municipalities),
            visit_liaison=visit.liaison.display_name if visit.liaison else None,
        )
    if announcement is not None:
        # Files never go into chat: only how many there are; they are downloaded in the desk.
        facts.update(category=announcement.category, title=announcement.title,
                     attachment_count=len(announcement.attachments))
    return facts


def render_email(event_type, context):
    with force_locale(MESSAGE_LOCALE):
        return _render_email(event_type, context)


def render_chat(event_type, facts):
    with force_locale(MESSAGE_LOCALE):
        return _render_chat(event_type, facts)


def _render_email(event_type, context):
    text = _template("email", event_type).render(**context).strip("\n")
    subject, _, body = text.partition("\n")
    subject = " ".join(subject.split())  # one line: no header injection through a title
    body = body.lstrip("\n") + "\n"
    html = current_app.jinja_env.get_template("email/_layout.html").render(
        subject=subject, body=body, link=context.get("link"),
        link_label=context.get("link_label"))
    return subject, body, html


def _render_chat(event_type, facts):
    text = _template("chat", event_type).render(**facts).strip("\n") + "\n"
    subject = "【" + facts["event_label"] + "】"
    return subject, text


def chat_copy_text(*, sreq=None, announcement=None, recipient=Role.STAFF):
    """The plain text the chat webhook posts about a request or an announcement, for a person to
    paste into a LoGoチャット room (no public incoming-webhook API of LoGoチャット is confirmed).
    The room is the municipality's: its link is built for the municipal staff's network."""
    if announcement is not None:
        event_type, path = "announcement.published", f"/announcements/{announcement.id}"
        municipality = None
    else:
        event_type, path, municipality = "request.copy", f"/requests/{sreq.id}", None
    link = absolute(path, recipient)
    facts = chat_facts(event_type, sreq=sreq, announcement=announcement, link=link,
                       municipality=municipality)
    if sreq is not None:
        with force_locale(MESSAGE_LOCALE):
            facts["event_label"] = _("依頼のご案内")
    # The text is a function of the facts alone (and the template): a page shows it on every
    # view, so each worker renders one text once and keeps it under its facts.
    key = (event_type, tuple(sorted(facts.items())))
    try:
        hash(key)
    except TypeError:  # a fact that is not a plain value: render it every time
        return render_chat(event_type, facts)[1]
    memo = current_app.extensions.setdefault("chat_copy_texts", {})
    text = memo.get(key)
    if text is None:
        if len(memo) >= CHAT_COPY_MEMO_SIZE:
            memo.clear()
        text = memo[key] = render_chat(event_type, facts)[1]
    return text


CHAT_COPY_MEMO_SIZE = 1000
