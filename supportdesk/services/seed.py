"""Reference data: the prefecture pack's regions and municipalities, its programme catalogue,
themes and status items, and cases. Idempotent."""
import csv
import logging
from importlib import resources

import sqlalchemy as sa

from ..extensions import db
from ..models import DeskProfile, Municipality, Region, Theme

logger = logging.getLogger(__name__)


def _read_csv(name):
    text = resources.files("supportdesk.data").joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def seed_reference(prefecture=None):
    """Load the pack's regions and municipalities, themes and cases; running it again changes
    nothing. The pack is `prefecture`, else the one the desk was set up from, else the
    PREFECTURE setting; a desk set up for one prefecture is never re-seeded as another."""
    pack = _pack_for(prefecture)
    _seed_desk_profile(pack)
    regions = {r.name: r for r in db.session.scalars(sa.select(Region))}
    for i, pr in enumerate(pack.regions):
        region = regions.get(pr.name)
        if region is None:
            region = Region(name=pr.name, has_liaison=not pr.central, sort_order=i)
            db.session.add(region)
            regions[pr.name] = region
    db.session.flush()
    existing = {m.code: m for m in db.session.scalars(sa.select(Municipality))}
    for pr in pack.regions:
        for pm in pr.members:
            m = existing.get(pm.code)
            if m is None:
                m = Municipality(code=pm.code, population_band=pm.population_band)
                db.session.add(m)
                m.region_id = regions[pr.name].id  # later moves are the admin's, with history
            m.name, m.kana, m.kind = pm.name, pm.kana, pm.kind
    db.session.flush()
    if _has_table("region_memberships"):  # the membership history (0038) starts here
        from .regions import ensure_memberships

        ensure_memberships()
    themes = {t.code: t for t in db.session.scalars(sa.select(Theme))}
    for i, row in enumerate(_read_csv(pack.themes_file)):
        if row["code"] not in themes:
            db.session.add(Theme(code=row["code"], name_ja=row["name_ja"], name_en=row["name_en"],
                                 sort_order=i * 10))
    db.session.flush()
    from .cases import seed_cases  # the case library (事例) ships with the reference data

    seed_cases()
    # The status catalogue (0018); the migration tests also seed databases at older revisions.
    if sa.inspect(db.session.connection()).has_table("status_items"):
        from .municipalities.status_catalogue import seed_status_catalogue

        seed_status_catalogue(items_file=pack.status_items_file)
    if _has_table("catalogue_entries"):
        from .catalogue import seed_catalogue  # lecture menus, support kinds, expert kinds (0037)

        seed_catalogue(pack)
    if sa.inspect(db.session.connection()).has_table("retention_policies"):
        from .retention.kinds import seed_policies  # the defaults of 公文書管理 (0030)

        seed_policies()
    return len(pack.municipalities)


def _pack_for(prefecture):
    from flask import current_app

    from .packs import PackError, load_pack

    profile = db.session.get(DeskProfile, 1) if _has_table("desk_profiles") else None
    pack = load_pack(prefecture or (profile.pack if profile else None)
                     or current_app.config.get("PREFECTURE"))
    if profile is not None and profile.pack != pack.key:
        raise PackError([f"this desk was set up for {profile.prefecture_name} (pack "
                         f"{profile.pack!r}); it cannot be re-seeded as {pack.prefecture_name}"])
    return pack


def _has_table(name):
    return sa.inspect(db.session.connection()).has_table(name)


def _seed_desk_profile(pack):
    """The desk's identity row from the pack, once: after that it is the admin's."""
    if not _has_table("desk_profiles") or db.session.get(DeskProfile, 1) is not None:
        return
    db.session.add(DeskProfile(
        id=1, pack=pack.key, prefecture_code=pack.prefecture_code,
        prefecture_name=pack.prefecture_name, desk_name=pack.desk_name,
        municipalities_word=pack.municipalities_word,
        municipalities_word_en=pack.municipalities_word_en, footer=pack.footer,
        central_team=pack.central_team, mail_sender=pack.mail_sender, colour=pack.colour,
        tile_map=pack.tile_map))
    db.session.flush()
