"""Demo DX status for `flask seed --demo`: the tracker filled for all 41 municipalities with a
believable spread and history (last fiscal year and this one), the staff band of each, and the
standardisation of the 20 systems, made through the tracker's services."""
import random
from datetime import date, timedelta

import sqlalchemy as sa

from ..extensions import db
from ..models import Municipality, SystemMigration, User
from ..models.org import DX_STAFF_BANDS, POPULATION_BANDS
from ..permissions import team_for
from ..services.municipalities.standardisation import record_migration, standard_systems
from ..services.municipalities.status import record_status, today_of
from ..timeutil import fiscal_year, utcnow
from .cast import demo_cast

DEMO_ADMIN = "admin@demo.example.jp"
VENDORS = ("播磨電算センター", "阪神システムズ", "ひょうご情報サービス", "近畿データ", "淡路ソフト")
ISSUES = ("情報部門が少人数で標準化と並行して手が回らない", "生成AIの利用ルールが未整備",
          "庁内のDX推進体制づくりに幹部の理解が必要", "窓口改革の進め方が分からない",
          "ガバメントクラウドの運用経費が想定より高い")
# Staff bands by population band (index): small towns have one or two, Kobe more than fifty.
STAFF_BY_POPULATION = {0: (0, 1, 2), 1: (1, 2, 3), 2: (3, 4, 5), 3: (5, 6), 4: (6, 7), 5: (8,)}


def _clamp(n, low, high):
    return max(low, min(high, n))


def _days_before(day, today):
    return min(day, today)


def _actor_for(m, admin):
    team = team_for(m.region)
    return team[0] if team else admin


def seed_demo_status(now=None):
    """Idempotent: skipped once any standardisation row exists."""
    now = now or utcnow()
    admin = db.session.scalar(sa.select(User).where(User.email == DEMO_ADMIN))
    if admin is None or db.session.scalar(sa.select(SystemMigration.id).limit(1)) is not None:
        return 0
    today = today_of(now)
    fy = fiscal_year(today)
    last_fy = date(fy - 1, 10, 1)            # what the desk knew last autumn
    spring = _days_before(date(fy, 6, 15), today)  # this year's first round of updates
    autumn = _days_before(date(fy, 10, 20), today)
    rnd = random.Random(41)
    vendors = demo_cast()(VENDORS)
    munis = db.session.scalars(sa.select(Municipality).order_by(Municipality.code)).all()
    count = 0
    for m in munis:
        actor = _actor_for(m, admin)
        pop = POPULATION_BANDS.index(m.population_band) \
            if m.population_band in POPULATION_BANDS else 0

        def put(key, value, day, source="edit", ref=None, actor=actor):
            nonlocal count
            record_status(m, key, value, actor=actor if source in ("edit", "round") else None,
                          source_kind=source, source_ref=ref, as_of=day, now=now)
            count += 1

        step_last = _clamp(pop // 2 + rnd.choice((0, 1, 1)), 0, 3)
        put("dx_step", step_last, last_fy, "import", "令和7年度 県調査")
        if rnd.random() < 0.45 and step_last < 3:
            put("dx_step", step_last + 1, autumn, "round", "定期巡回")
        staff = rnd.choice(STAFF_BY_POPULATION[pop])
        put("dx_staff_band", DX_STAFF_BANDS[staff], last_fy, "import", "令和7年度 県調査")
        if rnd.random() < 0.2:  # April's transfers
            put("dx_staff_band", DX_STAFF_BANDS[_clamp(staff + rnd.choice((-1, 1)), 0, 8)],
                spring)
        rate = round(rnd.uniform(68, 79), 1)
        put("mynumber_card_rate", rate, last_fy, "import", "令和7年度 県調査")
        put("mynumber_card_rate", round(rate + rnd.uniform(1.5, 5), 1), autumn, "survey",
            "マイナンバーカード交付状況の照会")
        online = round(rnd.uniform(35, 85))
        put("online_procedures_rate", online, last_fy, "import", "令和7年度 県調査")
        if rnd.random() < 0.6:
            put("online_procedures_rate", min(100, online + rnd.randint(4, 20)), spring)
        put("ai_in_use", rnd.random() < 0.35 + pop * 0.12, last_fy, "import")
        rpa = rnd.random() < 0.3 + pop * 0.12
        put("rpa_in_use", rpa, last_fy, "import")
        if not rpa and rnd.random() < 0.3:
            put("rpa_in_use", True, spring)
        put("telework", rnd.random() < 0.55 + pop * 0.08, last_fy, "import")
        put("security_policy_revised_on", last_fy - timedelta(days=rnd.randint(60, 900)),
            last_fy, "import")
        if rnd.random() < 0.3:
            put("security_policy_revised_on", spring - timedelta(days=rnd.randint(5, 40)), spring)
        yard = _clamp(pop // 2 + rnd.choice((-1, 0, 0, 1)), 0, 3)
        put("front_yard", yard, last_fy, "import")
        if yard < 3 and rnd.random() < 0.35:
            put("front_yard", yard + 1, autumn)
        put("cio_appointed", rnd.random() < 0.8 + pop * 0.05, last_fy, "import")
        plan = rnd.random() < 0.55 + pop * 0.08
        put("dx_plan_in_place", plan, last_fy, "import")
        if not plan and rnd.random() < 0.4:
            put("dx_plan_in_place", True, spring)
        put("external_talent", rnd.random() < 0.25 + pop * 0.1, last_fy, "import")
        if rnd.random() < 0.3:
            put("main_issues", rnd.choice(ISSUES), autumn, "round", "定期巡回")
        done = _seed_systems(m, actor, rnd, today, fy, last_fy, now, vendors)
        put("standardisation", 2 if rnd.random() < 0.8 else 1, last_fy, "import",
            "令和7年度 標準化調査")
        put("standardisation", 3 if done == 20 else 2, autumn)
    db.session.flush()
    return count


def _seed_systems(m, actor, rnd, today, fy, last_fy, now, vendors=VENDORS):
    """20 systems: most migrated by the end of last FY; a few 特定移行支援システム planned
    later; a few municipalities late on a planned date. Returns how many are migrated."""
    vendor = rnd.choice(vendors)
    systems = range(len(standard_systems()))
    special = set(rnd.sample(systems, rnd.choice((0, 0, 1, 2, 3))))
    late = set(rnd.sample(systems, 2)) - special if rnd.random() < 0.15 else set()
    pending = set(rnd.sample(systems, rnd.randint(1, 4))) - special - late \
        if rnd.random() < 0.35 else set()
    migrated = 0
    for i, (code, _ja, _en) in enumerate(standard_systems()):
        planned = date(fy - 1, 12, 1) + timedelta(days=rnd.randint(0, 120))
        record_migration(m, code, actor=None, status="migrating" if i < 14 else "preparing",
                         planned_on=planned, vendor=vendor, line_contracted=i < 16,
                         source_kind="import", source_ref="令和7年度 標準化調査",
                         as_of=last_fy, now=now)
        if i in special:
            record_migration(m, code, actor=actor, status="preparing",
                             planned_on=date(fy + 1, 3, 1) + timedelta(days=rnd.randint(0, 300)),
                             special_support=True, vendor=vendor, line_contracted=True,
                             as_of=min(today, date(fy, 5, 10)), now=now)
        elif i in late or i in pending:
            planned = (today - timedelta(days=rnd.randint(10, 120)) if i in late
                       else date(fy + 1, 3, 31) - timedelta(days=rnd.randint(0, 100)))
            record_migration(m, code, actor=actor, status="migrating", planned_on=planned,
                             vendor=vendor, line_contracted=True,
                             as_of=min(today, date(fy, 7, 1)), now=now)
        else:
            record_migration(m, code, actor=actor, status="migrated", planned_on=planned,
                             migrated_on=min(planned + timedelta(days=rnd.randint(-20, 30)),
                                             today),
                             vendor=vendor, line_contracted=True,
                             as_of=min(today, planned + timedelta(days=31)), now=now)
            migrated += 1
    return migrated
