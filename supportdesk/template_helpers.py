"""Jinja filters and globals: time in Asia/Tokyo, 和暦, the permission check."""
import json
from datetime import datetime

from flask_babel import get_locale, gettext
from flask_login import current_user

from . import navigation, permissions
from .links import external_url
from .i18n import N_
from .models.expert_assignment import ASSIGNMENT_STATUSES
from .models.request_event import EVENT_ACTIONS, EVENT_KINDS
from .models.notification import ROOM_SCOPES
from .models.support_request import KIND_LABELS
from .models.visit import VISIT_KINDS, VISIT_STATES, SatisfactionSource
from .models.waiting import WAITING_LABELS, WaitingFor
from .roles import Role
from .services import catalogue, reference
from .services.desk import accent_colour, desk
from .services.reports.figures import FIGURE_LABELS
from .services.requests.fields import FIELD_LABELS
from .timeutil import fiscal_year, fiscal_year_label, to_jst, wareki_date, wareki_month
from .workflow import STATE_LABELS, State
from .models.notification import DELIVERY_LABELS, OutboxStatus, delivery_state
from .workflows.announcements import AnnouncementStatus
from .workflows.visits import VisitState


def fmt_datetime(value, with_time=True):
    if value is None:
        return ""
    if isinstance(value, str):  # event data keep times as ISO strings
        value = datetime.fromisoformat(value)
    local = to_jst(value)
    return local.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")


def fmt_date(value):
    if value is None:
        return ""
    if hasattr(value, "tzinfo") and getattr(value, "hour", None) is not None:
        value = to_jst(value)
    return value.strftime("%Y-%m-%d")


def fy_label(value):
    """'令和6年度 (2024年度)' for a date or a fiscal-year number."""
    fy = value if isinstance(value, int) else fiscal_year(value)
    # Through the catalogue: the English text is "FY2024" (the era name means little there).
    return gettext("%(wareki)s (%(fy)d年度)", wareki=fiscal_year_label(fy), fy=fy)


def theme_name(theme):
    """A theme's name in the reader's language (themes carry name_ja and name_en)."""
    if theme is None:
        return ""
    if str(get_locale()) == "en" and theme.name_en:
        return theme.name_en
    return theme.name_ja


def request_kind_label(kind):
    return gettext(KIND_LABELS[kind]) if kind in KIND_LABELS else kind


def request_state_label(state):
    return gettext(STATE_LABELS[state]) if state in STATE_LABELS else state


def visit_kind_label(kind):
    return gettext(VISIT_KINDS[kind]) if kind in VISIT_KINDS else kind


def visit_state_label(state):
    return gettext(VISIT_STATES[state]) if state in VISIT_STATES else state


# Kinds whose action says more than the kind (派遣を辞退, 訪問を中止 ...).
_ACTION_KINDS = ("expert", "visit", "engagement", "link")


def event_label(ev):
    """The word for a request event: its action's label, else its kind's."""
    if ev.kind in _ACTION_KINDS and ev.action in EVENT_ACTIONS:
        return gettext(EVENT_ACTIONS[ev.action])
    return gettext(EVENT_KINDS.get(ev.kind, N_("記録")))


def waiting_label(value):
    return gettext(WAITING_LABELS[WaitingFor(value)]) if value in set(WaitingFor) else ""


def support_action_label(kind):
    return catalogue.label(catalogue.SUPPORT_KIND, kind) if kind else ""


def expert_kind_label(kind):
    return catalogue.label(catalogue.EXPERT_KIND, kind) if kind else ""


def lecture_menu_label(key):
    return catalogue.label(catalogue.LECTURE_MENU, key) if key else ""


def assignment_status_label(status):
    return gettext(ASSIGNMENT_STATUSES[status]) if status in ASSIGNMENT_STATUSES else ""


# The badge an assignment's status wears on the request page.
ASSIGNMENT_BADGES = {"declined": "badge-danger", "accepted": "badge-ok"}


def assignment_badge(status):
    return ASSIGNMENT_BADGES.get(status, "")


def request_field_label(name):
    return gettext(FIELD_LABELS[name]) if name in FIELD_LABELS else name


def figure_label(key):
    """A report figure ('new', 'past_target') by its name in the report."""
    return gettext(FIGURE_LABELS[key]) if key in FIGURE_LABELS else ""


def room_scope_label(scope):
    return gettext(ROOM_SCOPES[scope]) if scope in ROOM_SCOPES else scope


def room_format_label(name):
    from .notifications.channels.webhook import FORMATS

    return gettext(FORMATS[name].label) if name in FORMATS else name


def readable_json(value):
    """JSON for people to read: Japanese stays Japanese (tojson would write \\u65b0...).
    A plain str, so autoescaping still applies."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def can_do(action, obj):
    return permissions.can(current_user, action, obj)


def can_do_in(action, kind, municipality):
    """can_do for an object of `kind` not made yet in `municipality` (permissions.can_in)."""
    return permissions.can_in(current_user, action, kind, municipality)


def wareki_ym(ym):
    """令和7年4月 for "2025-04" (a report's month key), for official output."""
    return wareki_month(int(ym[:4]), int(ym[5:7]))


def register(app):
    app.add_template_filter(fmt_datetime, "datetime")
    app.add_template_filter(fmt_date, "date")
    app.add_template_filter(fy_label, "fy")
    app.add_template_filter(wareki_date, "wareki")  # official output: 令和8年12月2日
    app.add_template_filter(wareki_ym, "wareki_ym")  # 令和7年4月
    app.add_template_filter(readable_json, "readable_json")
    app.add_template_filter(theme_name, "theme_name")
    # Codes stored on rows (kind, state) shown as labels in the reader's language.
    app.add_template_filter(request_kind_label, "request_kind")
    app.add_template_filter(request_state_label, "request_state")
    app.add_template_filter(visit_kind_label, "visit_kind")
    app.add_template_filter(visit_state_label, "visit_state")
    app.add_template_filter(event_label, "event_label")
    app.add_template_filter(support_action_label, "support_action")
    app.add_template_filter(expert_kind_label, "expert_kind")
    app.add_template_filter(lecture_menu_label, "lecture_menu")
    app.add_template_filter(waiting_label, "waiting_label")
    app.add_template_filter(request_field_label, "request_field")
    app.add_template_filter(assignment_status_label, "assignment_status")
    app.add_template_filter(assignment_badge, "assignment_badge")
    app.add_template_filter(figure_label, "figure")
    app.add_template_filter(room_scope_label, "room_scope")
    app.add_template_filter(room_format_label, "room_format")
    app.add_template_global(desk, "desk")
    app.add_template_global(accent_colour, "accent_colour")
    app.add_template_global(can_do, "can_do")
    # A link to be copied out of the desk, for a reader's network (links.py).
    app.add_template_global(external_url, "external_url")
    app.add_template_global(can_do_in, "can_do_in")
    from .models.standardisation import MIGRATION_STATE_LABELS

    app.add_template_filter(lambda s: gettext(MIGRATION_STATE_LABELS[s]), "migration_state")
    # Templates compare with the enums, never with role or state strings.
    app.add_template_global(Role, "Role")
    app.add_template_global(State, "State")
    app.add_template_global(VisitState, "VisitState")
    app.add_template_global(SatisfactionSource, "SatisfactionSource")
    app.add_template_global(OutboxStatus, "OutboxStatus")
    app.add_template_global(AnnouncementStatus, "AnnouncementStatus")
    app.add_template_global(DELIVERY_LABELS, "delivery_labels")
    app.add_template_filter(lambda msg: gettext(DELIVERY_LABELS[delivery_state(msg)]),
                            "delivery_label")
    from .services.requests.filing import may_be_parent

    app.add_template_global(may_be_parent, "may_be_parent")
    app.add_template_global(get_locale, "get_locale")
    app.add_template_global(lambda: navigation.nav_items(current_user), "nav_items")
    # The layout's menu, built once per role, language and current entry (navigation.py).
    app.add_template_global(lambda: navigation.nav_html(current_user._get_current_object()),
                            "nav_html")
    app.add_template_global(navigation.nav_key, "nav_key")
    app.add_template_global(navigation.layout_pieces, "layout_pieces")
    app.add_template_global(reference.municipality_name, "municipality_name")
