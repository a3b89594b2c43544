"""Demo visits for `flask seed --demo`: a held lecture (rated by its participants through the
shared link, with a question the liaison added), upcoming visits, an engagement.

The two lectures serve demo requests (demo/requests.py, seeded first) when those exist: the
confirmation moves a request to 日程確定 and the record to 実施済, as on the desk."""
from datetime import datetime, time, timedelta

import sqlalchemy as sa

from ..extensions import db
from ..models import Municipality, SupportRequest, User, Visit
from ..services.visits.engagements import open_followup_engagement
from ..services.visits.lecture_survey import add_lecture_question
from ..services.visits.lifecycle import create_visit, record_visit
from ..services.visits.participant_survey import participant_link, submit_participant_answer
from ..timeutil import JST, utcnow
from .cast import demo_cast
from .requests import GENAI_LECTURE, KAIZEN_JOINT_LECTURE
from .rounds import DEMO_LIAISON

MARKER_TITLE = "生成AI活用入門(出前講座)"


def seed_demo_visits(now=None):
    now = now or utcnow()
    cast = demo_cast()
    liaison = db.session.scalar(sa.select(User).where(User.email == cast(DEMO_LIAISON)))
    expert = db.session.scalar(sa.select(User).where(User.email == "expert@demo.example.jp"))
    if liaison is None or expert is None:
        return 0
    # Its first visit is the marker (the rounds seeder adds visits by the same liaison).
    if db.session.scalar(sa.select(Visit.id).where(Visit.title == MARKER_TITLE).limit(1)):
        return 0
    sayo, shiso, kamikawa = (cast.muni(n) for n in ("佐用町", "宍粟市", "神河町"))
    munis = {m.name: m for m in db.session.scalars(sa.select(Municipality).where(
        Municipality.name.in_((sayo, shiso, kamikawa))))}
    today = now.astimezone(JST).date()

    def at(days, hour):
        return datetime.combine(today + timedelta(days=days), time(hour), tzinfo=JST)

    def request_titled(title):
        return db.session.scalar(sa.select(SupportRequest).where(SupportRequest.title == title))

    held = create_visit(liaison, kind="lecture", title=MARKER_TITLE,
                        starts_at=at(-14, 14), ends_at=at(-14, 16), municipalities=[munis[sayo]],
                        attendees=[expert], venue=cast("佐用町役場 大会議室"), confirm=True,
                        sreq=request_titled(cast(GENAI_LECTURE)),
                        now=now - timedelta(days=30))
    record_visit(held, liaison, attendees_executives=3, attendees_business=18,
                 attendees_information=2, covered="生成AIの基礎、庁内での活用例、デモ",
                 issues="利用ルールが未整備", follow_ups="ガイドライン策定を伴走支援", now=now)
    # The liaison added a question after the 5-point one; the filer forwarded the participants'
    # link; six of the 23 participants answered.
    useful = add_lecture_question(held, liaison, kind="single_choice",
                                  label="今日の内容を業務に活かせそうですか",
                                  options=["すぐに活かせる", "いずれ活かせる", "活かしにくい"],
                                  now=now)
    link = participant_link(held, held.sreq.filer if held.sreq else liaison, now=now)
    for rating, comment, answer in ((5, "デモが分かりやすかった", "すぐに活かせる"),
                                    (4, "", "いずれ活かせる"),
                                    (4, "庁内ルールの例がほしい", "いずれ活かせる"),
                                    (5, "", "すぐに活かせる"), (3, "もう少し時間がほしい", "活かしにくい"),
                                    (4, "", None)):
        submit_participant_answer(link, rating=rating, comment=comment,
                                  values={useful.field_name: answer} if answer else {}, now=now)
    open_followup_engagement(held, liaison, title="生成AI利用ガイドライン策定の伴走",
                             goal="年度内にガイドラインを策定・周知", cadence_days=30, now=now)
    create_visit(liaison, kind="lecture", title="カイゼンDX 合同講座",
                 starts_at=at(7, 13), ends_at=at(7, 16),
                 municipalities=[munis[shiso], munis[sayo]], attendees=[expert],
                 venue=cast("宍粟市役所"), confirm=True,
                 sreq=request_titled(cast(KAIZEN_JOINT_LECTURE)),
                 now=now)
    create_visit(liaison, kind="round", title=cast("定期巡回(神河町)"), starts_at=at(3, 10),
                 ends_at=at(3, 11), municipalities=[munis[kamikawa]], now=now)
    db.session.flush()
    return 3
