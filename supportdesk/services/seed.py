"""Reference data: regions, the 41 municipalities, themes and cases. Idempotent."""
import csv
import logging
from importlib import resources

import sqlalchemy as sa

from ..extensions import db
from ..models import Municipality, Region, Theme

logger = logging.getLogger(__name__)

KOBE_REGION = "神戸"


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
    # The status catalogue (0018); the migration tests also seed databases at older revisions.
    if sa.inspect(db.session.connection()).has_table("status_items"):
        from .municipalities.status_catalogue import seed_status_catalogue

        seed_status_catalogue()
    if sa.inspect(db.session.connection()).has_table("retention_policies"):
        from .retention.kinds import seed_policies  # the defaults of 公文書管理 (0030)

        seed_policies()
    return len(rows)
