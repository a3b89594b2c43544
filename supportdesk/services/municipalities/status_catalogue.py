"""The catalogue of status items: seeded from supportdesk/data/status_items.json (the national
plan's 重点取組事項, the DX procedure's steps, the profile facts), then kept by admins."""
import json
from importlib import resources

import sqlalchemy as sa
from flask_babel import gettext as _

from ... import permissions
from ...extensions import db
from ...models import Municipality, StatusItem, StatusValue
from ...models.org import DX_STAFF_BANDS, POPULATION_BANDS
from ...models.status import ITEM_GROUPS, ITEM_TYPES
from ...timeutil import utcnow
from .. import ValidationFailed
from ..audit import record_audit

# The profile bands are the model's lists: the steps of their items are these, in this order.
BAND_STEPS = {"dx_staff_band": list(DX_STAFF_BANDS), "population_band": list(POPULATION_BANDS)}
IMPORT_REF = "municipality profile"


def catalogue_rows(items_file="status_items.json"):
    """The status items a prefecture pack ships (its [catalogue] status_items file)."""
    text = resources.files("supportdesk.data").joinpath(items_file).read_text("utf-8")
    return json.loads(text)


def seed_status_catalogue(now=None, items_file="status_items.json"):
    """Add the seeded items that are missing (an admin's later changes are kept), then import
    the profile facts that have no history yet as source "import". Idempotent."""
    now = now or utcnow()
    existing = {i.key: i for i in db.session.scalars(sa.select(StatusItem))}
    for order, row in enumerate(catalogue_rows(items_file)):
        if row["key"] in existing:
            continue
        field = row.get("profile_field")
        item = StatusItem(key=row["key"], label_ja=row["label_ja"], label_en=row["label_en"],
                          item_type=row["type"], item_group=row["group"], sort_order=order * 10,
                          steps=BAND_STEPS.get(field, row.get("steps")),
                          steps_en=row.get("steps_en"),
                          description=row.get("description"), profile_field=field)
        db.session.add(item)
        existing[item.key] = item
    db.session.flush()
    return import_profile_values(existing.values(), now)


def import_profile_values(items, now):
    """Profile facts held on Municipality before the tracker, as history rows (source
    "import", as of the day they were last updated, or today). A false yes/no is left out:
    the old column's default said nothing."""
    from .status import today_of

    items = [i for i in items if i.profile_field]
    have = set(db.session.execute(sa.select(StatusValue.municipality_id, StatusValue.item_id)
                                  .where(StatusValue.item_id.in_([i.id for i in items]))).all())
    added = 0
    for m in db.session.scalars(sa.select(Municipality).order_by(Municipality.id)):
        for item in items:
            value = getattr(m, item.profile_field)
            if (m.id, item.id) in have or value is None or value is False:
                continue
            if item.profile_field in BAND_STEPS:
                if value not in item.steps:
                    continue
                number = float(item.steps.index(value))
            else:
                number = float(value)  # dx_step's index, or True
            day = today_of(m.profile_updated_at) if m.profile_updated_at else today_of(now)
            db.session.add(StatusValue(municipality_id=m.id, item_id=item.id,
                                       value_number=number, as_of=day, set_at=now,
                                       source_kind="import", source_ref=IMPORT_REF))
            added += 1
    db.session.flush()
    return added


def save_status_item(actor, item=None, *, now=None, **values):
    """Create or change a catalogue item (admins). The key and the type of an item that has
    values stay as they are: the history must keep its meaning."""
    permissions.require(actor, "manage", "status_item")
    key = (values.get("key") or (item.key if item else "")).strip()
    if not key:
        raise ValidationFailed(_("キーを入力してください。"), "key")
    clash = db.session.scalar(sa.select(StatusItem.id).where(StatusItem.key == key))
    if clash is not None and (item is None or clash != item.id):
        raise ValidationFailed(_("このキーは既に使われています。"), "key")
    if values.get("item_type", item.item_type if item else None) not in ITEM_TYPES:
        raise ValidationFailed(_("種類を選んでください。"), "item_type")
    if values.get("item_group", item.item_group if item else None) not in ITEM_GROUPS:
        raise ValidationFailed(_("分類を選んでください。"), "item_group")
    steps = values.get("steps")
    if isinstance(steps, str):
        steps = [s.strip() for s in steps.splitlines() if s.strip()]
        values["steps"] = steps or None
    if values.get("item_type", item.item_type if item else None) == "step" and not (
            steps or (item and item.steps)):
        raise ValidationFailed(_("段階の名前を1行に1つずつ入力してください。"), "steps")
    if item is not None and item.profile_field and "steps" in values and values["steps"] \
            != item.steps:
        raise ValidationFailed(_("プロフィールと連動する項目の段階は変更できません。"), "steps")
    if item is not None:
        used = db.session.scalar(sa.select(StatusValue.id).where(StatusValue.item_id == item.id)
                                 .limit(1))
        if used is not None and (key != item.key or values.get("item_type", item.item_type)
                                 != item.item_type):
            raise ValidationFailed(_("値が記録された項目のキーと種類は変更できません。"), "key")
        if used is not None and item.item_type == "step" and steps is not None \
                and len(steps) < len(item.steps or []):
            raise ValidationFailed(_("値が記録された項目の段階は減らせません。"), "steps")
    created = item is None
    item = item or StatusItem(key=key, sort_order=0)
    before = None if created else {k: getattr(item, k) for k in values if k != "key"}
    values["key"] = key
    for name, value in values.items():
        setattr(item, name, value)
    db.session.add(item)
    db.session.flush()
    record_audit("status_item.created" if created else "status_item.updated", actor=actor,
                 target=item, now=now or utcnow(), before=before,
                 after={k: v for k, v in values.items()})
    return item
