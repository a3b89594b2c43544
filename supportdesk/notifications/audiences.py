"""Who hears what: one table of event type -> audiences, and audiences -> people and rooms."""
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..extensions import db
from ..permissions import info_dept_of, team_for
from ..roles import Role
from ..workflow import EXPERTS, FILER, FOLLOWERS, TEAM

INFO_DEPT, ATTENDEES, MUNICIPALITY, MANAGERS = "info_dept", "attendees", "municipality", "managers"
TEAM_LEADS, ASSIGNEE, COUNTERPART, NAMED = "team_leads", "assignee", "counterpart", "named"
DEPARTMENT, ADMINS = "department", "admins"
SENDER = "sender"

AUDIENCE_LABELS = {
    FILER: _l("申し出た職員"),
    FOLLOWERS: _l("フォロワー"),
    TEAM: _l("担当圏域のリエゾン(リエゾンのいない圏域は本庁チーム)とチームのルーム"),
    EXPERTS: _l("担当の専門人材"),
    INFO_DEPT: _l("市町の情報部門の職員とその市町のルーム"),
    ATTENDEES: _l("訪問の出席者"),
    MUNICIPALITY: _l("訪問先市町のルームと申し出た職員"),
    MANAGERS: _l("マネージャー"),
    TEAM_LEADS: _l("担当チームのリーダー(登録がなければチーム全員)"),
    ASSIGNEE: _l("依頼の担当リエゾン"),
    COUNTERPART: _l("相手方(市町職員が操作したときは担当チーム、県側が操作したときは申し出た職員)"),
    NAMED: _l("この通知で名指しされた人(依頼された人材、追加された共同申込の職員、お知らせの対象の連絡先など)"),
    DEPARTMENT: _l("共有先の県の関係部署(登録された連絡先メールアドレス)"),
    SENDER: _l("受け取ったメールの差出人(アカウントがなくてもそのアドレス)"),
    ADMINS: _l("管理者"),
}

# Event type -> audiences: the ONE table of who hears what. Every notice the code sends has a row
# here, and nothing else adds listeners (notify() refuses named recipients unless the row lists
# NAMED). Whoever caused the event is never told about it. Shown on
# /admin/notifications/who-hears; the preferences page offers the events of EVENT_LABELS.
WHO_HEARS = {
    "request.submit": (TEAM,),
    "request.info_dept_shared": (INFO_DEPT,),
    "request.triage": (FILER, FOLLOWERS),
    "request.select_experts": (FILER, FOLLOWERS),
    "request.schedule": (FILER, FOLLOWERS, EXPERTS),
    "request.deliver": (FILER, FOLLOWERS),
    "request.answer": (FILER, FOLLOWERS),
    "request.close": (FILER, FOLLOWERS, COUNTERPART),
    "request.reopen": (FILER, FOLLOWERS, TEAM),
    "request.hold": (FILER, FOLLOWERS),
    "request.resume": (FILER, FOLLOWERS),
    "request.withdraw": (TEAM, FOLLOWERS),
    "request.decline": (FILER, FOLLOWERS),
    "request.reply": (COUNTERPART, FOLLOWERS),
    "expert.assigned": (NAMED,),
    "request.escalation": (TEAM_LEADS,),
    "visit.confirmed": (ATTENDEES, MUNICIPALITY, FILER, FOLLOWERS),
    "visit.moved": (ATTENDEES, MUNICIPALITY, FILER, FOLLOWERS),
    "visit.cancelled": (ATTENDEES, MUNICIPALITY, FILER, FOLLOWERS),
    "visit.remind_7d": (ATTENDEES, MUNICIPALITY),
    "visit.remind_1d": (ATTENDEES, MUNICIPALITY),
    "visit.satisfaction_requested": (FILER,),
    "engagement.checkin_due": (NAMED,),
    "round.due": (NAMED,),
    "round.overdue": (NAMED,),
    # A round written up: the liaison who wrote it knows; webhook subscribers hear it.
    "round.recorded": (),
    "report.ready": (MANAGERS,),
    "announcement.published": (MUNICIPALITY, NAMED),
    # Surveys (調査・照会): to each targeted municipality's respondents (permissions.
    # survey_respondents, named by the service) and its room; the overdue list to the liaisons.
    "survey.opened": (MUNICIPALITY, NAMED),
    "survey.reminder": (MUNICIPALITY, NAMED),
    "survey.overdue": (NAMED,),
    # Training (services/training): an application reaches the municipality's 情報部門 when the
    # course needs its approval (else the course's organiser); the applicant hears the decision
    # and a seat coming free from the waiting list. All named by the service.
    "training.applied": (NAMED,),
    "training.approved": (NAMED,),
    "training.rejected": (NAMED,),
    "training.seat_offered": (NAMED,),
    # Meetings and forums (services/meetings): the invitees the service names (users, and
    # contacts without an account by mail) and each invited municipality's room; the owners of
    # an action item (a person, the owner municipality's 情報部門 and room, a department).
    "meeting.invited": (MUNICIPALITY, NAMED),
    "meeting.answer_reminder": (NAMED,),
    "meeting.cancelled": (MUNICIPALITY, NAMED),
    "meeting.minutes_published": (NAMED,),
    "meeting.action_due": (MUNICIPALITY, NAMED, DEPARTMENT),
    "meeting.action_overdue": (MUNICIPALITY, NAMED, DEPARTMENT),
    # Joint projects (この指とまれ): the call to join goes to each eligible municipality's
    # 情報部門 (named by the service) and its room; a notice to the participants' answerers and
    # 情報部門 and their rooms; an answer to the project's author.
    "project.opened": (MUNICIPALITY, NAMED),
    "project.notice": (MUNICIPALITY, NAMED),
    "project.answered": (NAMED,),
    # Messages users do not switch on or off one by one (MESSAGE_ONLY_LABELS below).
    "request.assigned": (ASSIGNEE,),
    "request.co_applicant": (NAMED,),
    "request.note": (TEAM,),
    "request.support_action": (FILER, FOLLOWERS),
    "expert.accepted": (TEAM, ASSIGNEE),
    "expert.declined": (TEAM, ASSIGNEE),
    "expert.removed": (NAMED,),
    "engagement.opened": (NAMED,),
    "engagement.closed": (NAMED,),
    # To a prefectural department (no account: its contact address), one event per department.
    "round.findings_shared": (DEPARTMENT,),
    # Mail about a person's own account (see ACCOUNT_EVENTS).
    "account.password_reset": (NAMED,),
    # Inbound mail (services/mail_in): the one polite refusal goes to the sender's address; a
    # draft made from a new mail is announced to the person who sent it.
    "mail.refused": (SENDER,),
    "mail.draft_created": (NAMED,),
    # An answer of a connected form (LoGoフォーム) became a draft: its filer confirms it.
    "intake.draft_created": (NAMED,),
    "account.invited": (NAMED,),
    # March: the municipality's 情報部門 is asked to confirm its users and contacts for the
    # coming fiscal year (services/contacts/handover.py).
    "handover.confirm_requested": (INFO_DEPT,),
    # The nightly check found a changed, removed or inserted row in an append-only history.
    "audit.chain_broken": (ADMINS,),
    # April: the records whose retention period ends this fiscal year await the admins' decision.
    "retention.spring_list": (ADMINS,),
}

EVENT_LABELS = {
    "request.submit": _l("新しい依頼"),
    "request.info_dept_shared": _l("情報部門への情報共有"),
    "request.triage": _l("依頼の調整開始"),
    "request.select_experts": _l("人材調整の開始"),
    "request.schedule": _l("日程の確定"),
    "request.deliver": _l("実施済"),
    "request.answer": _l("回答済"),
    "request.close": _l("依頼の完了"),
    "request.reopen": _l("依頼の再開"),
    "request.hold": _l("依頼の保留"),
    "request.resume": _l("保留の解除"),
    "request.withdraw": _l("依頼の取下げ"),
    "request.decline": _l("対応不可"),
    "request.reply": _l("返信"),
    "expert.assigned": _l("派遣の依頼"),
    "request.escalation": _l("対応期限超過のエスカレーション"),
    "visit.confirmed": _l("訪問の確定"),
    "visit.moved": _l("訪問日時の変更"),
    "visit.cancelled": _l("訪問の中止"),
    "visit.remind_7d": _l("訪問のリマインド(1週間前)"),
    "visit.remind_1d": _l("訪問のリマインド(前日)"),
    "visit.satisfaction_requested": _l("満足度アンケートのお願い"),
    "engagement.checkin_due": _l("伴走支援の定期連絡"),
    "round.due": _l("定期巡回の時期"),
    "round.overdue": _l("定期巡回の期限超過"),
    "report.ready": _l("月次報告の作成完了"),
    "announcement.published": _l("県からのお知らせ"),
    "handover.confirm_requested": _l("年度替わりの利用者・連絡先の確認"),
    "survey.opened": _l("調査・照会の依頼"),
    "survey.reminder": _l("調査・照会の回答期限が近づいています"),
    "survey.overdue": _l("調査・照会の期限超過(未回答の市町)"),
    "training.applied": _l("研修の受講申込"),
    "training.approved": _l("研修の受講申込の承認"),
    "training.rejected": _l("研修の受講申込が承認されませんでした"),
    "training.seat_offered": _l("研修のキャンセル待ちからの繰上げ"),
    "meeting.invited": _l("会議の案内"),
    "meeting.answer_reminder": _l("会議の出欠回答のお願い"),
    "meeting.cancelled": _l("会議の中止"),
    "meeting.minutes_published": _l("会議の議事録"),
    "meeting.action_due": _l("会議の宿題の期限が近づいています"),
    "meeting.action_overdue": _l("会議の宿題の期限超過"),
    "project.opened": _l("共同事業(この指とまれ)への参加のお誘い"),
    "project.notice": _l("参加している共同事業からのお知らせ"),
    "project.answered": _l("共同事業への市町の回答"),
}

# Mail about a person's own account or their own mail (the password-reset link, the refusal
# of an inbound mail, the draft made from it): to that person only, by e-mail
# only (never the bell, a chat room or a webhook subscription), at once, whatever their
# preferences or digest choice. Not in EVENT_LABELS (the preferences page), so no setting can
# switch it off.
ACCOUNT_EVENTS = frozenset({"account.password_reset", "account.invited", "mail.refused",
                            "mail.draft_created", "intake.draft_created"})

# Events users do not switch on or off one by one (they are not on the preferences page), but
# whose messages still need a readable subject instead of the event code.
MESSAGE_ONLY_LABELS = {
    "account.password_reset": _l("パスワードの再設定"),
    "mail.refused": _l("メールを受け付けられませんでした"),
    "mail.draft_created": _l("メールから相談の下書きを作成しました"),
    "intake.draft_created": _l("フォームの回答から相談の下書きを作成しました"),
    "account.invited": _l("アカウントの作成(パスワードの設定)"),
    "request.assigned": _l("担当者の割当て"),
    "request.co_applicant": _l("共同申込の依頼"),
    "request.note": _l("内部メモ"),
    "request.support_action": _l("支援の記録"),
    "expert.accepted": _l("派遣の引受"),
    "expert.declined": _l("派遣の辞退"),
    "expert.removed": _l("派遣の取消し"),
    "engagement.opened": _l("伴走支援の開始"),
    "engagement.closed": _l("伴走支援の終了"),
    "round.findings_shared": _l("定期巡回で把握した内容の共有"),
    "round.recorded": _l("定期巡回の記録"),
    "audit.chain_broken": _l("監査ログ・対応履歴の改ざん検知"),
    "retention.spring_list": _l("保存期間が満了する記録の確認(公文書管理)"),
}


def event_label(event_type):
    """The words for an event type in messages; the code itself only for an unknown type."""
    label = EVENT_LABELS.get(event_type) or MESSAGE_ONLY_LABELS.get(event_type)
    return str(label) if label is not None else event_type


# Always delivered at once (no waiting for office hours).
URGENT_EVENTS = frozenset({"request.escalation", "visit.cancelled",
                           "audit.chain_broken"}) | ACCOUNT_EVENTS


@dataclass
class Audience:
    users: dict = field(default_factory=dict)   # id -> User, insertion-ordered
    rooms: dict = field(default_factory=dict)   # id -> ChatRoom
    # Addresses of recipients without an account (a department): key -> e-mail address.
    addresses: dict = field(default_factory=dict)

    def add_users(self, users):
        for u in users:
            if u is not None and u.active:
                self.users.setdefault(u.id, u)

    def add_rooms(self, rooms):
        for r in rooms:
            if r is not None and r.active:
                self.rooms.setdefault(r.id, r)


def audiences_for(event_type):
    return WHO_HEARS.get(event_type, ())


def resolve(audiences, *, sreq=None, visit=None, municipality=None, actor=None, named=(),
            named_rooms=(), named_addresses=(), department=None, address=None):
    """People and rooms for audience names, in the context of a request or a visit. `named`,
    `named_rooms` and `named_addresses` ((key, e-mail) of people without an account) are the
    people and rooms the event itself names (the NAMED audience); `address` is the sender of an
    inbound mail (the SENDER audience)."""
    out = Audience()
    for name in audiences:
        if name == NAMED:
            out.add_users(named)
            out.add_rooms(named_rooms)
            for key, named_address in named_addresses:
                if named_address:
                    out.addresses.setdefault(key, named_address)
        else:
            RESOLVERS[name](out, sreq=sreq, visit=visit, municipality=municipality, actor=actor,
                            department=department, address=address)
    return out


def _filer(out, sreq=None, **_):
    if sreq is not None:
        out.add_users([sreq.filer])


def _followers(out, sreq=None, **_):
    if sreq is not None:
        out.add_users(sreq.followers)


def _team(out, sreq=None, visit=None, **_):
    from ..models import ChatRoom, Region

    region_ids = {sreq.region_id} if sreq is not None else set()
    if visit is not None:
        region_ids |= visit.scope_region_ids()
    for region_id in region_ids:
        region = db.session.get(Region, region_id)
        if region.has_liaison:
            rooms = db.session.scalars(sa.select(ChatRoom).where(
                ChatRoom.scope == "region", ChatRoom.region_id == region_id))
        else:  # a region without a liaison: the central team and the prefecture room
            rooms = db.session.scalars(sa.select(ChatRoom).where(ChatRoom.scope == "prefecture"))
        out.add_users(team_for(region))
        out.add_rooms(rooms.all())


def team_leads_for(region):
    """Active liaison team leads of the region's team (permissions.team_for)."""
    return team_for(region, leads_only=True)


def _team_leads(out, sreq=None, visit=None, **_):
    """The request's team lead(s); with no lead on file, the whole team rather than nobody."""
    from ..models import Region

    if sreq is None:
        return
    leads = team_leads_for(db.session.get(Region, sreq.region_id))
    if leads:
        out.add_users(leads)
    else:
        _team(out, sreq=sreq)


def _experts(out, sreq=None, visit=None, **_):
    from ..models import ExpertAssignment, User
    from ..models.expert_assignment import ACTIVE_ASSIGNMENT_STATUSES

    if sreq is None or sreq.id is None:
        return
    out.add_users(db.session.scalars(sa.select(User).join(
        ExpertAssignment, ExpertAssignment.expert_id == User.id).where(
        ExpertAssignment.request_id == sreq.id,
        ExpertAssignment.status.in_(ACTIVE_ASSIGNMENT_STATUSES))).all())


def municipality_rooms(municipality_ids):
    from ..models import ChatRoom

    if not municipality_ids:
        return []
    return db.session.scalars(sa.select(ChatRoom).where(
        ChatRoom.scope == "municipality", ChatRoom.municipality_id.in_(municipality_ids),
        ChatRoom.active.is_(True)).order_by(ChatRoom.id)).all()


def _info_dept(out, sreq=None, municipality=None, **_):
    mid = sreq.municipality_id if sreq is not None else getattr(municipality, "id", None)
    if mid is None:
        return
    out.add_users(info_dept_of(mid))
    out.add_rooms(municipality_rooms([mid]))


def _attendees(out, visit=None, **_):
    if visit is not None:
        out.add_users(visit.attendees)
        out.add_users([visit.liaison])


def _municipality(out, visit=None, sreq=None, municipality=None, **_):
    mids = set()
    if visit is not None:
        mids |= visit.scope_municipality_ids()
        sreq = sreq or visit.sreq
    if municipality is not None:
        mids.add(municipality.id)
    if sreq is not None:
        out.add_users([sreq.filer])
    out.add_rooms(municipality_rooms(mids))


def _managers(out, **_):
    from ..models import User

    out.add_users(db.session.scalars(sa.select(User).where(User.role == Role.MANAGER)
                                     .order_by(User.id)).all())


def _admins(out, **_):
    from ..models import User

    out.add_users(db.session.scalars(sa.select(User).where(User.role == Role.ADMIN)
                                     .order_by(User.id)).all())


def _assignee(out, sreq=None, **_):
    if sreq is not None:
        out.add_users([sreq.assignee])


def _counterpart(out, sreq=None, actor=None, **_):
    """The other side of the conversation: the team when the municipality acted, else the filer."""
    if sreq is None:
        return
    if actor is not None and actor.role == Role.STAFF:
        _team(out, sreq=sreq)
    else:
        _filer(out, sreq=sreq)


def _department(out, department=None, **_):
    """The department the event is about, at its contact address (departments have no account)."""
    if department is not None and department.active and department.contact_email:
        out.addresses.setdefault(f"d{department.id}", department.contact_email)


def _sender(out, address=None, **_):
    """The sender of an inbound mail, at the address it came from (it may have no account)."""
    if address:
        out.addresses.setdefault(f"a:{address.lower()}", address)


RESOLVERS = {
    FILER: _filer, FOLLOWERS: _followers, TEAM: _team, EXPERTS: _experts, INFO_DEPT: _info_dept,
    ATTENDEES: _attendees, MUNICIPALITY: _municipality, MANAGERS: _managers,
    TEAM_LEADS: _team_leads, ASSIGNEE: _assignee, COUNTERPART: _counterpart,
    DEPARTMENT: _department, SENDER: _sender, ADMINS: _admins,
}


def address_reader(key):
    """Whose network a link mailed to an address without an account is built for (links.py):
    a prefectural department reads on the prefecture's side, like the liaisons; the sender of an
    inbound mail is unknown (the default network); a directory contact is the municipality's."""
    if key.startswith("d"):
        return Role.LIAISON
    if key.startswith("a:"):
        return None
    return Role.STAFF
