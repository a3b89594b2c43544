"""The programme catalogue (講座メニュー, 支援の種類, 専門人材の種別): its labels and choices in the
reader's language through the reference cache, the seed from the prefecture pack, and the
admin's changes (audited; every page sees them at once)."""
import logging
from dataclasses import dataclass

import sqlalchemy as sa
from flask import has_request_context
from flask_babel import get_locale
from flask_babel import gettext as _

from ..extensions import db
from ..models import CatalogueEntry
from ..models.catalogue import CATALOGUE_LISTS, KEY_WIDTHS
from ..timeutil import utcnow
from . import ValidationFailed
from .audit import record_audit
from .reference import bump_reference_version, reference_list

logger = logging.getLogger(__name__)

LECTURE_MENU, SUPPORT_KIND, EXPERT_KIND = CATALOGUE_LISTS


@dataclass(frozen=True)
class EntryRef:
    id: int
    list: str
    key: str
    name_ja: str
    name_en: str | None
    guidance_ja: str | None
    guidance_en: str | None
    sort_order: int
    active: bool

    def label(self, locale=None):
        return self.name_en if _locale(locale) == "en" and self.name_en else self.name_ja

    def guidance(self, locale=None):
        return self.guidance_en if _locale(locale) == "en" and self.guidance_en else self.guidance_ja


def _locale(locale):
    if locale is not None:
        return locale
    return str(get_locale()) if has_request_context() else "ja"


def load_catalogue():
    """Every entry, retired ones too (old rows still show their label), in the lists' order."""
    return tuple(EntryRef(*row) for row in db.session.execute(
        sa.select(CatalogueEntry.id, CatalogueEntry.list, CatalogueEntry.key, CatalogueEntry.name_ja,
                  CatalogueEntry.name_en, CatalogueEntry.guidance_ja, CatalogueEntry.guidance_en,
                  CatalogueEntry.sort_order, CatalogueEntry.active)
        .order_by(CatalogueEntry.list, CatalogueEntry.sort_order, CatalogueEntry.id)))


def entries(list_name, *, active_only=False):
    return [e for e in reference_list("catalogue")
            if e.list == list_name and (e.active or not active_only)]


def entry(list_name, key):
    return next((e for e in entries(list_name) if e.key == key), None)


def label(list_name, key, locale=None):
    """The label of a stored key in the reader's language (the key itself if the catalogue
    does not hold it: nothing stored is ever hidden)."""
    if key is None:
        return ""
    found = entry(list_name, key)
    return found.label(locale) if found else key


def labels(list_name, locale=None):
    """{key: label} of every entry, retired ones too, in order."""
    return {e.key: e.label(locale) for e in entries(list_name)}


def keys(list_name, *, active_only=True):
    return [e.key for e in entries(list_name, active_only=active_only)]


def choices(list_name, *, keep=()):
    """(key, label) of the entries a form offers: the active ones, plus any retired one the
    row being edited already holds (`keep`), so an old request can be saved as it is."""
    keep = set(keep or ())
    return [(e.key, e.label()) for e in entries(list_name) if e.active or e.key in keep]


def check_keys(list_name, values, *, field, kept=()):
    """Refuse a key the catalogue does not offer (retired keys a row already holds stay)."""
    allowed = set(keys(list_name)) | set(kept or ())
    for value in values:
        if value not in allowed:
            raise ValidationFailed(_("選択肢にない値です。"), field)


def seed_catalogue(pack):
    """Add the pack's entries the desk does not hold yet; an admin's later changes are kept."""
    existing = {(e.list, e.key) for e in db.session.scalars(sa.select(CatalogueEntry))}
    order = {}
    added = 0
    for pe in pack.catalogue:
        order[pe.list] = order.get(pe.list, -1) + 1
        if (pe.list, pe.key) in existing:
            continue
        db.session.add(CatalogueEntry(list=pe.list, key=pe.key, name_ja=pe.name, name_en=pe.name_en,
                                      guidance_ja=pe.guidance, guidance_en=pe.guidance_en,
                                      sort_order=order[pe.list] * 10, active=True))
        added += 1
    if added:
        db.session.flush()
        bump_reference_version()
    return added


EDITABLE = ("name_ja", "name_en", "guidance_ja", "guidance_en", "sort_order", "active")


def save_entry(actor, entry_row=None, *, list_name=None, key=None, now=None, **values):
    """Add an entry (list_name and key given) or change one (its key never changes: rows hold
    it). Retiring is `active=False`; nothing is deleted."""
    now = now or utcnow()
    created = entry_row is None
    if created:
        if list_name not in CATALOGUE_LISTS:
            raise ValidationFailed(_("一覧を選んでください。"), "list_name")
        key = (key or "").strip()
        if not key or len(key) > KEY_WIDTHS[list_name] or any(c.isspace() for c in key) or (
                list_name != EXPERT_KIND and not (key.isascii() and key.replace("_", "").isalnum()
                                                  and key == key.lower())):
            raise ValidationFailed(_("キーは%(n)d文字以内で入力してください(英小文字・数字・_)。",
                                     n=KEY_WIDTHS[list_name])
                                   if list_name != EXPERT_KIND else
                                   _("キーは%(n)d文字以内で、空白を含めずに入力してください。",
                                     n=KEY_WIDTHS[list_name]), "key")
        clash = db.session.scalar(sa.select(CatalogueEntry.id).where(
            CatalogueEntry.list == list_name, CatalogueEntry.key == key))
        if clash is not None:
            raise ValidationFailed(_("このキーは既に使われています。"), "key")
        entry_row = CatalogueEntry(list=list_name, key=key)
    name_ja = (values.get("name_ja") or "").strip()
    if not name_ja:
        raise ValidationFailed(_("名称を入力してください。"), "name_ja")
    clean = {"name_ja": name_ja, "sort_order": values.get("sort_order") or 0,
             "active": bool(values.get("active", True))}
    for k in ("name_en", "guidance_ja", "guidance_en"):
        clean[k] = (values.get(k) or "").strip() or None
    before = None if created else {k: getattr(entry_row, k) for k in EDITABLE}
    for k, v in clean.items():
        setattr(entry_row, k, v)
    entry_row.updated_at = now
    db.session.add(entry_row)
    db.session.flush()
    bump_reference_version()  # every form, page, report and the API read the catalogue
    action = "catalogue.created" if created else (
        "catalogue.retired" if before["active"] and not clean["active"] else "catalogue.updated")
    record_audit(action, actor=actor, target=entry_row, now=now, list=entry_row.list,
                 key=entry_row.key, before=before, after=clean)
    logger.info("catalogue %s %s/%s by user=%s", action, entry_row.list, entry_row.key, actor.id)
    return entry_row
