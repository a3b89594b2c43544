"""Demo joint project (この指とまれ方式) for `flask seed --demo`, made through the project services:
the satellite leak survey of the package (Ⅲ-3(3) 例1: 衛星データを活用した漏水調査, one contract
by the prefecture, デジ田交付金 at 1/2), open to the municipalities running a water utility, with
about 20 participants; 佐用町 has not answered yet (the demo account can join)."""
from datetime import timedelta

import sqlalchemy as sa

from ..extensions import db
from ..models import Municipality, Project, User
from ..permissions import info_dept_of
from ..services.projects.answers import answer_project, record_answer
from ..services.projects.building import add_milestone, create_project, open_project
from ..services.projects.notices import post_notice
from ..services.projects.service_kinds import set_service_kinds
from ..timeutil import JST, fiscal_year, utcnow
from .cast import demo_cast

DEMO_LIAISON = "liaison.central@demo.example.jp"
# 淡路の3市 are served by the 淡路広域水道企業団, not a utility of their own.
NO_WATER_UTILITY = ("洲本市", "南あわじ市", "淡路市")
JOIN = ("姫路市", "明石市", "加古川市", "高砂市", "稲美町", "播磨町", "三木市", "小野市", "加西市",
        "加東市", "西脇市", "多可町", "相生市", "赤穂市", "たつの市", "宍粟市", "上郡町", "神河町",
        "市川町", "香美町")
CONSIDERING = ("丹波篠山市", "朝来市", "福崎町", "養父市")
DECLINE = ("芦屋市", "猪名川町", "新温泉町")
MILESTONES = (("参加意向の確認", 0, "done"), ("県による一括委託契約の締結", 30, "in_progress"),
              ("衛星画像の取得・AI解析", 90, "planned"), ("漏水疑い箇所の現地調査(各水道事業体)", 150, "planned"),
              ("成果報告会・効果の取りまとめ", 200, "planned"))
GUIDE = ("実施要領(概要).txt",
         "衛星データを活用した漏水調査 実施要領(概要)\n\n1. 県が一括して委託契約を締結します。\n"
         "2. 各水道事業体は配水管の管路情報を提出してください。\n3. 解析結果(漏水疑い箇所)は各事業体に提供します。\n"
         .encode("utf-8"))


def seed_demo_projects(now=None):
    """Idempotent: skipped once any project exists."""
    now = now or utcnow()
    cast = demo_cast()
    liaison = db.session.scalar(sa.select(User).where(User.email == DEMO_LIAISON))
    if liaison is None or db.session.scalar(sa.select(Project.id).limit(1)) is not None:
        return 0
    munis = {m.name: m for m in db.session.scalars(sa.select(Municipality))}
    set_service_kinds(liaison, {m.id: {"water"} for name, m in munis.items()
                                if name not in cast(NO_WATER_UTILITY)}, now=now)
    opened = now - timedelta(days=20)
    today = now.astimezone(JST).date()
    project = create_project(
        liaison, now=opened, title="衛星データを活用した漏水調査(広域連携事業)",
        purpose="人工衛星のマイクロ波データをAIで解析し、漏水が疑われる管路を絞り込みます。"
                "水道管の予防保全と有収率の向上、各水道事業体の調査事務の効率化をめざします。",
        fiscal_year=fiscal_year(today), eligibility="service_kinds", region_ids=[],
        service_kinds=["water"], join_deadline=today + timedelta(days=14), cost_kind="fixed",
        cost_fixed_yen=1_200_000, cost_base_yen=None, cost_per_capita_yen=None,
        funding_name="デジタル田園都市国家構想交付金", subsidy_rate_num=1, subsidy_rate_den=2,
        contract_note="県が一括で委託契約を締結し、各水道事業体の契約事務を軽減します。",
        coordinator=cast("総務部 市町振興課 市町連携推進官"))
    for title, days, status in MILESTONES:
        add_milestone(project, liaison, title=title, due_on=today + timedelta(days=days - 10),
                      status=status, now=opened)
    open_project(project, liaison, now=opened)
    at = opened
    for names, answer in ((JOIN, "join"), (CONSIDERING, "considering"), (DECLINE, "decline")):
        for name in cast(names):
            m = munis[name]
            at += timedelta(hours=9)
            staff = info_dept_of(m.id)
            contact = f"{name} 上下水道課 水道担当"
            note = {"considering": "議会への説明後に判断します。",
                    "decline": "今年度は独自の漏水調査を予定しているため見送ります。"}.get(answer)
            if staff:
                answer_project(project, staff[0], answer=answer, contact=contact, note=note,
                               now=at)
            else:
                record_answer(project, liaison, m, answer=answer, contact=contact,
                              note=note or "メールで参加の回答を受領", now=at)
    # One municipality first said 検討中, then joined: its history shows both.
    toyooka = cast.muni("豊岡市")
    record_answer(project, liaison, munis[toyooka], answer="considering",
                  contact=cast("豊岡市 上下水道部 水道課"), note="予算の確認中", now=opened + timedelta(hours=1))
    record_answer(project, liaison, munis[toyooka], answer="join",
                  contact=cast("豊岡市 上下水道部 水道課"), note="補正予算で対応します。",
                  now=now - timedelta(days=2))
    post_notice(project, liaison, title="実施要領と管路情報の提出のお願い",
                body="参加(検討中を含む)の水道事業体の皆様へ。実施要領を添付します。管路情報の提出方法は説明会でご案内します。",
                uploads=[GUIDE], now=now - timedelta(days=1))
    db.session.flush()
    return 1
