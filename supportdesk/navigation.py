"""The navigation bar (entries shown to whoever may use them; modules append their entries) and
the layout's pieces that every page view would otherwise render again (base.html)."""
from dataclasses import dataclass

from flask import current_app, g, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from . import permissions
from .services.reference import derived


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object
    action: str
    kind: str
    order: int = 50


NAV = [
    NavItem("municipalities.index", _l("市町"), "view", "municipality", 40),
    NavItem("status.index", _l("DX状況"), "overview", "status", 41),
    NavItem("reports.index", _l("月次報告"), "view", "report", 60),
    NavItem("admin.users", _l("管理"), "view", "admin_area", 90),
    NavItem("assignments.mine", _l("担当依頼"), "respond", "expert_assignment", 20),
    NavItem("cases.index", _l("事例"), "view", "case", 60),
    NavItem("rounds.index", _l("定期巡回"), "view", "round", 45),
    NavItem("requests.intake", _l("新規相談"), "create", "request", 20),
    NavItem("requests.mine", _l("自分の市町の依頼"), "view", "own_municipality_requests", 21),
    NavItem("reply_templates.index", _l("定型文"), "manage", "reply_template", 80),
    NavItem("calendar.index", _l("カレンダー"), "view", "calendar", 30),
    NavItem("engagements.index", _l("伴走支援"), "view", "engagement", 35),
    NavItem("queue.index", _l("受付キュー"), "view", "queue", 20),
    NavItem("announcements.index", _l("お知らせ"), "view", "announcement", 60),
    NavItem("mail_in.index", _l("受信メール"), "view", "inbound_mail", 70),
    NavItem("handover.status", _l("引継ぎ状況"), "track", "handover", 65),
    NavItem("surveys.index", _l("調査・照会"), "view", "survey", 61),
    NavItem("retention.register_page", _l("ファイル管理簿"), "view_register", "retention", 85),
    NavItem("training.index", _l("研修"), "view", "training_course", 62),
    NavItem("meetings.index", _l("会議・フォーラム"), "view", "meeting_series", 61),
    NavItem("projects.index", _l("共同事業"), "view", "project", 63),
]


def _visible(user):
    """The entries `user` may use, in menu order. permissions.can() on a kind name depends on the
    role alone (scope_of: an active, logged-in user's role), so this is worked out once per role
    and app (tests/test_navigation.py holds it to the check on every entry)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.active:
        return ()
    role = user.role
    by_role = current_app.extensions.setdefault("nav_by_role", {})
    items = by_role.get(role)
    if items is None:
        items = by_role[role] = tuple(item for item in sorted(NAV, key=lambda i: i.order)
                                      if permissions.can(user, item.action, item.kind))
    return items


def nav_items(user):
    return list(_visible(user))


def nav_key(user):
    """What the menu of this page view depends on besides the language: the role, and the
    current page if it is one of the menu's entries (marked aria-current)."""
    items = _visible(user)
    if not items:
        return (None, None)
    endpoint = request.endpoint
    if not any(item.endpoint == endpoint for item in items):
        endpoint = None
    return (user.role, endpoint)


def nav_html(user):
    """The menu's entries as HTML (<li> links, the current page marked), built once per process
    for each role, language, current entry and script root, and forgotten with the reference
    lists: a label may carry the desk's word for its municipalities (pack_words.py)."""
    items = _visible(user)
    if not items:
        return Markup("")
    role, endpoint = nav_key(user)
    key = ("nav_html", role, endpoint, str(get_locale()), request.script_root)

    def build():
        return Markup("\n").join(
            Markup('<li><a href="%s"%s>%s</a></li>') % (
                url_for(item.endpoint),
                Markup(' aria-current="page"') if item.endpoint == endpoint else "",
                item.label)
            for item in items)

    return derived(key, build)


class LayoutPieces:
    """The static pieces of the layout for one page view (base.html: `{% set piece =
    layout_pieces() %}`, then `{% call piece("name", *key) %}...{% endcall %}`): each rendered once
    per process for each language, script root and `key` (what else the piece depends on, say
    nav_key()), and forgotten with the reference lists (the desk's name, word and colour are in
    them). The language is read once, when the page's layout starts."""

    def __init__(self, pieces):
        self._pieces = pieces

    def __call__(self, name, *key, caller):
        html = self._pieces.get((name, *key))
        if html is None:
            html = self._pieces[(name, *key)] = caller()
        return html


def layout_pieces():
    """This page view's LayoutPieces. Within a request they are looked up without asking the
    reference cache again; a change to the lists in this request
    (reference.forget_reference_lists) drops that copy."""
    locale = get_locale()
    memo = g.get("_layout_fragments")
    if memo is None or memo[0] is not locale:  # force_locale swaps the Locale object
        pieces = derived(("layout_fragments", str(locale), request.script_root), dict)
        memo = g._layout_fragments = (locale, LayoutPieces(pieces))
    return memo[1]
