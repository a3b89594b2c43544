"""Reference data (regions, the 41 municipalities, themes) and demo accounts. Idempotent."""
import csv
import logging
from importlib import resources

import sqlalchemy as sa

from ..extensions import db
from ..models import ExpertProfile, Municipality, Region, Theme, User
from .auth import set_password

logger = logging.getLogger(__name__)

KOBE_REGION = "神戸"
DEMO_PASSWORD = "demo-desk-2024!"  # documented in README; demo data only


def _read_csv(name):
    text = resources.files("supportdesk.data").joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def seed_reference():
    """Load regions, municipalities and themes; running it again changes nothing."""
    regions = {r.name: r for r in db.session.scalars(sa.select(Region))}
    rows = _read_csv("municipalities.csv")
    order = []
    for row in rows:
        if row["region"] not in order:
            order.append(row["region"])
    for i, name in enumerate(order):
        region = regions.get(name)
        if region is None:
            region = Region(name=name, has_liaison=name != KOBE_REGION, sort_order=i)
            db.session.add(region)
            regions[name] = region
    db.session.flush()
    existing = {m.code: m for m in db.session.scalars(sa.select(Municipality))}
    for row in rows:
        m = existing.get(row["code"])
        if m is None:
            m = Municipality(code=row["code"], population_band=row["population_band"] or None)
            db.session.add(m)
        m.name, m.kana, m.kind = row["name"], row["kana"], row["kind"]
        m.region_id = regions[row["region"]].id
    themes = {t.code: t for t in db.session.scalars(sa.select(Theme))}
    for i, row in enumerate(_read_csv("themes.csv")):
        if row["code"] not in themes:
            db.session.add(Theme(code=row["code"], name_ja=row["name_ja"], name_en=row["name_en"],
                                 sort_order=i * 10))
    db.session.flush()
    from .cases import seed_cases  # the case library (事例) ships with the reference data

    seed_cases()
    return len(rows)


# (email, name, role, municipality name, regions, flags)
DEMO_USERS = [
    ("admin@demo.example.jp", "管理 太郎", "admin", None, (), {}),
    ("manager@demo.example.jp", "市町振興 花子", "manager", None, (), {}),
    ("liaison.nishiharima@demo.example.jp", "西播磨 リエゾン", "liaison", None, ("西播磨", "中播磨"),
     {"is_team_lead": True}),
    ("liaison.tajima@demo.example.jp", "但馬 リエゾン", "liaison", None, ("但馬", "丹波"), {}),
    ("liaison.hanshin@demo.example.jp", "阪神 リエゾン", "liaison", None,
     ("阪神南", "阪神北", "東播磨", "北播磨", "淡路"), {}),
    ("liaison.central@demo.example.jp", "本庁 リエゾン", "liaison", None, (),
     {"is_central_team": True, "is_team_lead": True}),
    ("expert@demo.example.jp", "DXアドバイザー 一郎", "expert", None, (), {}),
    ("expert2@demo.example.jp", "民間採用 次郎", "expert", None, (), {}),
    ("sayo.joho@demo.example.jp", "佐用 情報", "municipal_staff", "佐用町", (),
     {"department": "総務課 情報係", "is_information_dept": True}),
    ("sayo.fukushi@demo.example.jp", "佐用 福祉", "municipal_staff", "佐用町", (),
     {"department": "健康福祉課"}),
    ("kamikawa.joho@demo.example.jp", "神河 情報", "municipal_staff", "神河町", (),
     {"department": "総務課", "is_information_dept": True}),
    ("kamikawa.fukushi@demo.example.jp", "神河 福祉", "municipal_staff", "神河町", (),
     {"department": "健康福祉課"}),
    ("toyooka.joho@demo.example.jp", "豊岡 情報", "municipal_staff", "豊岡市", (),
     {"department": "情報推進課", "is_information_dept": True}),
    ("kobe.joho@demo.example.jp", "神戸 情報", "municipal_staff", "神戸市", (),
     {"department": "デジタル戦略部", "is_information_dept": True}),
]

DEMO_EXPERTS = {
    "expert@demo.example.jp": ("DXアドバイザー", "西播磨",
                               ["top_management", "governance_planning", "generative_ai"]),
    "expert2@demo.example.jp": ("県の民間採用人材", "中播磨",
                                ["kaizen_nocode", "data_utilization", "ai_rpa"]),
}


def seed_demo_users():
    """Demo accounts for every role; idempotent (existing accounts are left as they are)."""
    regions = {r.name: r for r in db.session.scalars(sa.select(Region))}
    munis = {m.name: m for m in db.session.scalars(sa.select(Municipality))}
    themes = {t.code: t for t in db.session.scalars(sa.select(Theme))}
    created = 0
    for email, name, role, muni, region_names, flags in DEMO_USERS:
        if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
            continue
        user = User(email=email, display_name=name, role=role,
                    municipality_id=munis[muni].id if muni else None, **flags)
        user.regions = [regions[n] for n in region_names]
        set_password(user, DEMO_PASSWORD)
        db.session.add(user)
        created += 1
        if email in DEMO_EXPERTS:
            kind, home, codes = DEMO_EXPERTS[email]
            db.session.add(ExpertProfile(user=user, kind=kind, home_region=regions[home],
                                         themes=[themes[c] for c in codes],
                                         organisation="兵庫県"))
    db.session.flush()
    return created
