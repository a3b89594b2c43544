"""Demo accounts for every role (seed --demo), made through the account services. Idempotent."""
import sqlalchemy as sa

from ..extensions import db
from ..models import Municipality, Region, Theme, User
from ..roles import Role
from ..services.accounts.users import create_user, save_expert_profile
from .cast import demo_cast

DEMO_PASSWORD = "demo-desk-2024!"  # documented in README; demo data only

# (email, name, role, municipality name, regions, flags)
DEMO_USERS = [
    ("admin@demo.example.jp", "管理 太郎", Role.ADMIN, None, (), {}),
    ("manager@demo.example.jp", "市町振興 花子", Role.MANAGER, None, (), {}),
    ("liaison.nishiharima@demo.example.jp", "西播磨 リエゾン", Role.LIAISON, None, ("西播磨", "中播磨"),
     {"is_team_lead": True}),
    ("liaison.tajima@demo.example.jp", "但馬 リエゾン", Role.LIAISON, None, ("但馬", "丹波"), {}),
    ("liaison.hanshin@demo.example.jp", "阪神 リエゾン", Role.LIAISON, None,
     ("阪神南", "阪神北", "東播磨", "北播磨", "淡路"), {}),
    ("liaison.central@demo.example.jp", "本庁 リエゾン", Role.LIAISON, None, (),
     {"is_central_team": True, "is_team_lead": True}),
    ("expert@demo.example.jp", "DXアドバイザー 一郎", Role.EXPERT, None, (), {}),
    ("expert2@demo.example.jp", "民間採用 次郎", Role.EXPERT, None, (), {}),
    ("sayo.joho@demo.example.jp", "佐用 情報", Role.STAFF, "佐用町", (),
     {"department": "総務課 情報係", "is_information_dept": True}),
    ("sayo.fukushi@demo.example.jp", "佐用 福祉", Role.STAFF, "佐用町", (),
     {"department": "健康福祉課"}),
    ("kamikawa.joho@demo.example.jp", "神河 情報", Role.STAFF, "神河町", (),
     {"department": "総務課", "is_information_dept": True}),
    ("kamikawa.fukushi@demo.example.jp", "神河 福祉", Role.STAFF, "神河町", (),
     {"department": "健康福祉課"}),
    ("toyooka.joho@demo.example.jp", "豊岡 情報", Role.STAFF, "豊岡市", (),
     {"department": "情報推進課", "is_information_dept": True}),
    ("kobe.joho@demo.example.jp", "神戸 情報", Role.STAFF, "神戸市", (),
     {"department": "デジタル戦略部", "is_information_dept": True}),
]

DEMO_EXPERTS = {
    "expert@demo.example.jp": ("DXアドバイザー", "西播磨",
                               ["top_management", "governance_planning", "generative_ai"]),
    "expert2@demo.example.jp": ("県の民間採用人材", "中播磨",
                                ["kaizen_nocode", "data_utilization", "ai_rpa"]),
}


def seed_demo_users(now=None):
    """Demo accounts for every role; idempotent (existing accounts are left as they are)."""
    cast = demo_cast()
    regions = {r.name: r for r in db.session.scalars(sa.select(Region))}
    munis = {m.name: m for m in db.session.scalars(sa.select(Municipality))}
    themes = {t.code: t for t in db.session.scalars(sa.select(Theme))}
    created = 0
    experts = cast(DEMO_EXPERTS)
    for email, name, role, muni, region_names, flags in cast(DEMO_USERS):
        if flags.get("is_central_team"):
            region_names = (*region_names, *cast.central_stand_ins)
        if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
            continue
        user = create_user(None, email=email, display_name=name, role=role,
                           password=DEMO_PASSWORD,
                           municipality_id=munis[muni].id if muni else None,
                           region_ids=[regions[n].id for n in region_names], now=now, **flags)
        created += 1
        if email in experts:
            kind, home, codes = experts[email]
            save_expert_profile(None, user, kind=kind, home_region_id=regions[home].id,
                                organisation=cast("兵庫県"), theme_ids=[themes[c].id for c in codes],
                                now=now)
    db.session.flush()
    return created
