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


def nav_items(user):
    return [item for item in sorted(NAV, key=lambda i: i.order)
            if permissions.can(user, item.action, item.kind)]
