"""Demo meetings and forums for `flask seed --demo`, made through the meeting services: the
市町DX推進連絡会 (with the council's general meeting) with a past meeting, its attendance, minutes
and open action items (one overdue, owned by 佐用町), and an upcoming CIOフォーラム whose
invitations have answers (some by substitutes)."""
import random
from datetime import datetime, time, timedelta

import sqlalchemy as sa

from ..extensions import db
from ..models import Department, MeetingSeries, Municipality, User
from ..services.meetings.answers import answer_invitation
from ..services.meetings.items import add_item, close_item
from ..services.meetings.meetings import create_meeting, invite, publish_minutes, record_attendance
from ..services.meetings.series import create_series, members_of
from ..timeutil import JST, utcnow
from .cast import demo_cast

DEMO_LIAISON = "liaison.nishiharima@demo.example.jp"
SAYO_INFO = "sayo.joho@demo.example.jp"
MINUTES = """1 開会
2 報告事項
 (1) 市町DX支援パッケージの進捗(県デジタル改革課)
 (2) システム標準化・ガバメントクラウド移行の状況(各市町から)
3 協議事項
 生成AI利用ガイドラインのひな形について、県が案を示し、各市町で庁内周知の状況を次回までに報告することとした。
4 閉会"""


def _at(day, hour, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=JST)


def _user(email):
    return db.session.scalar(sa.select(User).where(User.email == email))


def _municipality(name):
    return db.session.scalar(sa.select(Municipality).where(Municipality.name == name))


def seed_demo_meetings(now=None):
    """Idempotent: skipped once any meeting series exists."""
    now = now or utcnow()
    cast = demo_cast()
    liaison = _user(cast(DEMO_LIAISON))
    if liaison is None or db.session.scalar(sa.select(MeetingSeries.id).limit(1)) is not None:
        return 0
    rnd = random.Random(16)
    today = now.astimezone(JST).date()

    council = create_series(
        liaison, kind="liaison_council", title=cast("市町DX推進連絡会"),
        description=cast("協議会総会にあわせて開く、全市町の情報部門との連絡会(支援パッケージⅢ-1(1)ア c)。"),
        member_roles=["info_head"], member_info_dept=True, now=now - timedelta(days=90))
    held_day = today - timedelta(days=40)
    past = create_meeting(
        council, liaison, title=cast("令和8年度 第2回 市町DX推進連絡会"), starts_at=_at(held_day, 14),
        ends_at=_at(held_day, 16), venue=cast("兵庫県庁 3号館 第1会議室"),
        online_url="https://meet.pref.demo.example.jp/renrakukai-2",
        agenda="1 パッケージの進捗\n2 標準化・ガバクラ移行の状況\n3 生成AI利用ガイドライン",
        answer_deadline=held_day - timedelta(days=7), now=now - timedelta(days=70))
    invite(past, liaison, now=now - timedelta(days=60))
    attended = []
    for inv in past.invitations:
        if rnd.random() < 0.8:
            answer_invitation(inv, liaison, answer="attend", now=now - timedelta(days=50))
            attended.append(inv.id)
        else:
            answer_invitation(inv, liaison, answer="absent", now=now - timedelta(days=50))
    record_attendance(past, liaison, attended, now=_at(held_day, 17))
    publish_minutes(past, liaison, minutes=cast(MINUTES), now=_at(held_day + timedelta(days=2), 10))
    after = _at(held_day + timedelta(days=2), 11)
    add_item(past, liaison, kind="action", title="生成AI利用ガイドラインの庁内周知状況を報告する",
             owner_kind="municipality", owner_id=_municipality(cast.muni("佐用町")).id,
             due_on=today - timedelta(days=10), now=after)
    done = add_item(past, liaison, kind="action", title="標準化の移行スケジュール表を提出する",
                    owner_kind="municipality", owner_id=_municipality(cast.muni("神河町")).id,
                    due_on=today - timedelta(days=20), now=after)
    close_item(done, liaison, note="移行スケジュール表を受領しました(メール)。", now=now - timedelta(days=21))
    dept = db.session.scalar(sa.select(Department).where(Department.name == "デジタル改革課"))
    if dept is not None:
        add_item(past, liaison, kind="action", title=cast("ガイドラインのひな形(県案)を市町に送付する"),
                 owner_kind="department", owner_id=dept.id, due_on=today + timedelta(days=14),
                 now=after)
    add_item(past, liaison, kind="decision", title="次回は総会と同日に開催する(会場は県庁)",
             owner_kind="person", owner_id=liaison.id, due_on=today + timedelta(days=60),
             internal=True, now=after)

    forum = create_series(
        liaison, kind="cio_forum", title="CIOフォーラム",
        description=cast("各市町のCIO(相当職)が集まり、DX推進の方針と課題を共有する(支援パッケージⅢ-1(3))。"),
        member_roles=["cio"], now=now - timedelta(days=30))
    day = today + timedelta(days=14)
    if not members_of(forum, (now - timedelta(days=4)).astimezone(JST).date()):
        return len(past.invitations)  # a directory without CIOs on file: no invitations
    upcoming = create_meeting(
        forum, liaison, title="第3回 CIOフォーラム「生成AIと業務改革」", starts_at=_at(day, 13, 30),
        ends_at=_at(day, 16), venue=cast("兵庫県民会館 けんみんホール"),
        agenda=cast("1 基調講演「自治体の生成AI活用」\n2 市町の取組紹介(2市町)\n3 意見交換"),
        answer_deadline=today + timedelta(days=7), now=now - timedelta(days=5))
    invite(upcoming, liaison, now=now - timedelta(days=4))
    sayo_info = _user(cast(SAYO_INFO))
    for i, inv in enumerate(upcoming.invitations):
        roll = rnd.random()
        if roll < 0.45:
            answer_invitation(inv, liaison, answer="attend", now=now - timedelta(days=2))
        elif roll < 0.55:
            answer_invitation(inv, liaison, answer="proxy", substitute_name="企画課長(代理)",
                              now=now - timedelta(days=2))
        elif roll < 0.65:
            answer_invitation(inv, liaison, answer="absent", note="議会日程と重なるため",
                              now=now - timedelta(days=2))
    sayo = next((i for i in upcoming.invitations
                 if i.municipality_id == getattr(sayo_info, "municipality_id", None)), None)
    if sayo is not None and sayo_info is not None and sayo.user_id is None:
        # 佐用町's CIO has no account: its 情報部門 answers for them.
        answer_invitation(sayo, sayo_info, answer="proxy", substitute_name="総務課長 田中",
                          now=now - timedelta(days=1))
    db.session.flush()
    return len(past.invitations) + len(upcoming.invitations)
