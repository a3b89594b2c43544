"""Demo surveys (調査・照会) for `flask seed --demo`, made through the survey services: the closed
standardisation checklist of the package (Ⅲ-1(4)) with most of 西播磨・中播磨 answering, and an
open DX人材 survey with partial answers (some submitted, one draft, one corrected)."""
import random
from datetime import timedelta

import sqlalchemy as sa

from ..calendar_jp import add_business_days
from ..extensions import db
from ..models import Municipality, Region, Survey, User
from ..permissions import survey_respondents
from ..roles import Role
from ..services.accounts.users import create_user
from ..services.surveys.answering import save_response_draft, submit_response
from ..services.surveys.building import add_question, close_survey, create_survey, open_survey
from ..timeutil import JST, utcnow
from .cast import demo_cast
from .users import DEMO_PASSWORD

DEMO_LIAISON = "liaison.nishiharima@demo.example.jp"
REGIONS = ("西播磨", "中播磨")
# The 情報部門 accounts made for municipalities that had none, so their demo answers have a respondent.
SURVEY_ACCOUNT_PREFIX = "joho."
SYSTEMS = ("住民記録", "個人住民税", "固定資産税", "国民健康保険", "介護保険", "児童手当")

CHECKLIST = [
    dict(kind="number", label="標準化対象20業務のうち、標準準拠システムへ移行済みの業務数",
         required=True, status_item_key="standardisation_migrated"),
    dict(kind="single_choice", label="ガバメントクラウドへの接続回線", required=True,
         options=["契約済", "調達中", "未着手"]),
    dict(kind="single_choice", label="特定移行支援システムに該当する業務", options=["あり", "なし"]),
    dict(kind="date", label="全業務の移行完了予定日"),
    dict(kind="table", label="業務ごとの状況(主なもの)", options=["業務", "状況", "移行予定日", "ベンダ"]),
    dict(kind="long_text", label="移行にあたっての課題"),
]
DX_STAFF = [
    dict(kind="number", label="DX・情報担当の職員数(人)", required=True,
         status_item_key="dx_staff_count"),
    dict(kind="single_choice", label="CIO(またはそれに相当する職)を任命していますか", required=True,
         options=["任命している", "任命していない", "検討中"], status_item_key="cio_appointed"),
    dict(kind="multiple_choice", label="活用している外部デジタル人材",
         options=["CIO補佐官", "DXアドバイザー", "地域活性化起業人", "民間委託", "活用していない"]),
    dict(kind="file", label="DX推進体制図(任意)"),
    dict(kind="long_text", label="人材確保・育成の課題"),
]
ISSUES = ("ベンダの作業が集中し、移行時期が後ろ倒しになりそうです。", "運用経費の増加が見込まれ、財政当局への説明に苦慮しています。",
          "情報部門が2名で、他業務と兼務しています。", "")


def _respondent(survey, m):
    """A respondent of the municipality (its 情報部門); a demo account is made where none exists."""
    people = [u for u in survey_respondents(survey, m.id) if u.is_information_dept]
    if people:
        return people[0]
    return create_user(None, email=f"{SURVEY_ACCOUNT_PREFIX}{m.code}@demo.example.jp",
                       display_name=f"{m.name} 情報担当", role=Role.STAFF, password=DEMO_PASSWORD,
                       municipality_id=m.id, region_ids=[], department="情報政策担当",
                       is_information_dept=True)


def _values(survey, answers):
    out = {}
    for q, a in zip(survey.questions, answers):
        if a is None:
            continue
        if q.kind == "table":
            for r, row in enumerate(a):
                for c, cell in enumerate(row):
                    out[f"{q.field_name}_r{r}_c{c}"] = cell
        else:
            out[q.field_name] = a
    return out


def _build(liaison, title, purpose, questions, deadline, munis, now):
    survey = create_survey(liaison, title=title, purpose=purpose, deadline=deadline,
                           reminder_days=3, municipality_ids=[m.id for m in munis], now=now)
    for q in questions:
        add_question(survey, liaison, now=now, **q)
    return open_survey(survey, liaison, now=now)


def seed_demo_surveys(now=None):
    """Idempotent: skipped once any inquiry (照会) exists; a lecture's survey does not count."""
    now = now or utcnow()
    cast = demo_cast()
    liaison = db.session.scalar(sa.select(User).where(User.email == cast(DEMO_LIAISON)))
    if liaison is None or db.session.scalar(
            sa.select(Survey.id).where(Survey.kind == "inquiry").limit(1)) is not None:
        return 0
    rnd = random.Random(15)
    issues = cast(ISSUES)
    munis = db.session.scalars(sa.select(Municipality).join(Region).where(
        Region.name.in_(cast(REGIONS))).order_by(Municipality.code)).all()
    today = now.astimezone(JST).date()

    opened = now - timedelta(days=70)
    checklist = _build(
        liaison, "システム標準化・ガバメントクラウド移行 チェックリスト(令和8年度)",
        "支援パッケージⅢ-1(4)に基づき、標準準拠システムへの移行状況とガバメントクラウド接続の準備状況を確認します。",
        cast(CHECKLIST), (opened + timedelta(days=30)).astimezone(JST).date(), munis, opened)
    for i, m in enumerate(munis):
        if i % 5 == 4:
            continue  # some never answered
        done = rnd.randint(2, 18)
        rows = [[s, rnd.choice(["移行済", "移行中", "未着手"]), f"2026-{rnd.randint(1, 12):02d}-01",
                 rnd.choice(["A社", "B社", "C社"])] for s in SYSTEMS[:rnd.randint(2, 5)]]
        submit_response(checklist, _respondent(checklist, m), values=_values(checklist, [
            str(done), rnd.choice(["契約済", "契約済", "調達中", "未着手"]), rnd.choice(["あり", "なし"]),
            f"2027-{rnd.randint(1, 3):02d}-28", rows, rnd.choice(issues)]),
            now=opened + timedelta(days=rnd.randint(3, 28), hours=rnd.randint(0, 6)))
    close_survey(checklist, liaison, now=opened + timedelta(days=40))

    opened = now - timedelta(days=6)
    dx_staff = cast(DX_STAFF)
    dx = _build(liaison, "DX人材の配置状況調査",
                cast("各市町のDX・情報担当職員数、CIOの任命、外部デジタル人材の活用状況を把握し、県の人材支援の検討に活用します。"),
                dx_staff, add_business_days(today, 8), munis, opened)
    for i, m in enumerate(munis[:7]):
        values = _values(dx, [str(rnd.randint(1, 8)), rnd.choice(dx_staff[1]["options"]),
                              rnd.sample(dx_staff[2]["options"][:4], rnd.randint(1, 2)), None,
                              rnd.choice(issues)])
        who = _respondent(dx, m)
        at = opened + timedelta(days=rnd.randint(1, 5), hours=rnd.randint(0, 6))
        if i == 6:
            save_response_draft(dx, who, values=values, now=at)  # 回答中
            continue
        submit_response(dx, who, values=values, now=at)
        if i == 0:  # corrected once: the first version stays readable
            values[dx.questions[0].field_name] = str(int(values[dx.questions[0].field_name]) + 1)
            submit_response(dx, who, values=values, now=at + timedelta(hours=20))
    db.session.flush()
    return 2
