"""Reference lists cached per process: municipalities, regions, themes, liaisons, reply templates,
the case library's picker and the programme catalogue.

Every page with filter drop-downs or pickers read these small tables on every view (the queue
ran five statements and built ~100 ORM objects for them). Here each list is loaded once per
process into plain frozen rows (no ORM object outlives its session) and kept until either

- the version counter row (ReferenceVersion "reference") differs from the copy's: the services
  that change a list call `bump_reference_version()` in the admin's transaction, so after the
  commit every worker sees the new version on its next request (one primary-key read per
  request, memoised on flask.g) and reloads: an admin's change shows at once everywhere;
- or REFERENCE_CACHE_TTL seconds (default 60) have passed, which bounds staleness after a change
  that bypassed the services (a manual SQL fix, a restore).

The cache lives on the app (app.extensions), so two apps in one process (tests) never share it.
"""
import threading
import time
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app, g, has_request_context

from ..extensions import db
from ..models import Case, Municipality, ReferenceVersion, Region, ReplyTemplate, Theme, User
from ..roles import Role

VERSION_NAME = "reference"
DEFAULT_TTL = 60.0


@dataclass(frozen=True)
class ThemeRef:
    id: int
    code: str
    name_ja: str
    name_en: str | None
    sort_order: int

    def label(self, locale="ja"):
        return self.name_en if locale == "en" else self.name_ja


@dataclass(frozen=True)
class RegionRef:
    id: int
    name: str
    sort_order: int


@dataclass(frozen=True)
class MunicipalityRef:
    id: int
    code: str
    name: str
    region_id: int


@dataclass(frozen=True)
class LiaisonRef:
    id: int
    display_name: str


@dataclass(frozen=True)
class ReplyTemplateRef:
    id: int
    title: str
    body: str


def _load_themes():
    return tuple(ThemeRef(t.id, t.code, t.name_ja, t.name_en, t.sort_order) for t in db.session.execute(
        sa.select(Theme.id, Theme.code, Theme.name_ja, Theme.name_en, Theme.sort_order)
        .where(Theme.active.is_(True)).order_by(Theme.sort_order, Theme.id)))


def _load_regions():
    return tuple(RegionRef(*row) for row in db.session.execute(
        sa.select(Region.id, Region.name, Region.sort_order).order_by(Region.sort_order, Region.id)))


def _load_municipalities():
    return tuple(MunicipalityRef(*row) for row in db.session.execute(
        sa.select(Municipality.id, Municipality.code, Municipality.name, Municipality.region_id)
        .order_by(Municipality.code)))


def _load_liaisons():
    return tuple(LiaisonRef(*row) for row in db.session.execute(
        sa.select(User.id, User.display_name)
        .where(User.role == Role.LIAISON, User.active.is_(True))
        .order_by(User.display_name, User.id)))


def _load_reply_templates():
    return tuple(ReplyTemplateRef(*row) for row in db.session.execute(
        sa.select(ReplyTemplate.id, ReplyTemplate.title, ReplyTemplate.body)
        .where(ReplyTemplate.active.is_(True)).order_by(ReplyTemplate.title, ReplyTemplate.id)))


CASE_OPTIONS_LIMIT = 500


def _load_case_options():
    """(id, label) pairs for a select of the case library (事例)."""
    return tuple((cid, f"{title}【{org}】") for cid, title, org in db.session.execute(
        sa.select(Case.id, Case.title, Case.organisation)
        .order_by(Case.title).limit(CASE_OPTIONS_LIMIT)))


def _load_catalogue():
    from .catalogue import load_catalogue

    return load_catalogue()


def _load_desk():
    from .desk import load_desk

    return load_desk()


LOADERS = {"desk": _load_desk, "catalogue": _load_catalogue, "case_options": _load_case_options, "themes": _load_themes, "regions": _load_regions,
           "municipalities": _load_municipalities, "liaisons": _load_liaisons,
           "reply_templates": _load_reply_templates}


class _Cache:
    def __init__(self):
        self.lock = threading.Lock()
        self.version = None      # the counter's value the lists below were loaded under
        self.loaded_at = 0.0
        self.lists = {}


def _cache():
    return current_app.extensions.setdefault("reference_cache", _Cache())


def _version_select():
    return sa.select(ReferenceVersion.version).where(ReferenceVersion.name == VERSION_NAME)


def version_column():
    """The counter's value as a scalar subquery: the session lookup reads it in its own
    statement (services/accounts/auth.py), so a page pays no round trip of its own for it."""
    return _version_select().scalar_subquery()


def remember_version(version):
    """The counter's value read by another statement of this request (version_column)."""
    if has_request_context() and "_reference_version" not in g:
        g._reference_version = version or 0


def current_version():
    """The counter row's value (0 before the first change), read once per request."""
    if has_request_context() and "_reference_version" in g:
        return g._reference_version
    version = db.session.scalar(_version_select()) or 0
    if has_request_context():
        g._reference_version = version
    return version


def reference_list(name):
    """The cached list `name` (one of LOADERS), as a tuple of frozen rows."""
    if g.get("_reference_bumped"):
        # This unit of work changed a list and may still roll back: read it, keep nothing.
        return LOADERS[name]()
    cache = _cache()
    version = current_version()
    with cache.lock:
        _forget_if_stale(cache, version)
        if name not in cache.lists:
            cache.lists[name] = LOADERS[name]()
        return cache.lists[name]


def _forget_if_stale(cache, version):
    """(With cache.lock held) empty the cache if the version moved or the TTL ran out."""
    ttl = current_app.config.get("REFERENCE_CACHE_TTL", DEFAULT_TTL)
    if cache.version != version or time.monotonic() - cache.loaded_at > ttl:
        cache.version, cache.loaded_at, cache.lists = version, time.monotonic(), {}


def derived(key, build):
    """A value built from reference lists (say, a drop-down's escaped options), kept with the
    lists and forgotten with them: `key` names it (include the locale where labels are
    translated), `build()` makes it from reference_list() reads."""
    if g.get("_reference_bumped"):
        return build()
    cache = _cache()
    version = current_version()
    with cache.lock:
        _forget_if_stale(cache, version)  # as a list read would (no list is loaded for it)
        if key in cache.lists:
            return cache.lists[key]
    value = build()
    with cache.lock:
        cache.lists.setdefault(key, value)
        return cache.lists[key]


def bump_reference_version():
    """Called (flushed with) every service change to a reference list: this process forgets its
    copy now, every other process on its next request after the commit."""
    updated = db.session.execute(
        sa.update(ReferenceVersion).where(ReferenceVersion.name == VERSION_NAME)
        .values(version=ReferenceVersion.version + 1)).rowcount
    if not updated:  # a database made by create_all (tests, bench): the row comes with the first change
        db.session.add(ReferenceVersion(name=VERSION_NAME, version=1))
        db.session.flush()
    forget_reference_lists()
    g._reference_bumped = True


def forget_reference_lists():
    cache = _cache()
    with cache.lock:
        cache.version, cache.lists = None, {}
    g.pop("_reference_version", None)
    g.pop("_pack_words", None)  # pack_words.py's copy of the desk's word for this request
    g.pop("_layout_fragments", None)  # navigation.layout_fragment's copy for this request


def themes():
    return reference_list("themes")


def regions():
    return reference_list("regions")


def municipalities():
    return reference_list("municipalities")


def liaisons():
    return reference_list("liaisons")


def reply_templates():
    return reference_list("reply_templates")


def case_options():
    return reference_list("case_options")


def municipality_name(municipality_id):
    """A municipality's name from the cached list ("" for an unknown id): the layout names the
    user's municipality on every page without loading it."""
    names = derived(("municipality_names",), lambda: {m.id: m.name for m in municipalities()})
    return names.get(municipality_id, "")
