"""The navigation bar: entries shown to whoever may use them. Modules append their entries."""
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from . import permissions


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object
    action: str
    kind: str
    order: int = 50


NAV = [
    NavItem("municipalities.index", _l("市町"), "view", "municipality", 40),
    NavItem("admin.users", _l("管理"), "view", "admin_area", 90),
    NavItem("announcements.index", _l("お知らせ"), "view", "announcement", 60),
]


def nav_items(user):
    return [item for item in sorted(NAV, key=lambda i: i.order)
            if permissions.can(user, item.action, item.kind)]
