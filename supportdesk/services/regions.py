"""Regions (圏域) after the pack: an admin renames, adds, reorders and marks them central, and
moves a municipality from one region to another, keeping its membership history.

What a move does (the one owner of the rule):
- from the moment of the move the municipality is in the new region: its new requests route
  to the new region's team, its profile, rounds and pickers follow it (Municipality.region_id);
- the requests it filed before the move keep the region they were routed to
  (SupportRequest.region_id is set once, at submission, and nothing rewrites it), open ones
  included: the team that accepted a request, talked with the municipality and may have a
  visit booked finishes it, and their queue and notices stay with them. Zammad rewrote every
  ticket's organisation when a customer changed organisation, closed ones too, until its users
  asked for a switch (zammad#4660), and the mass update notified every agent of every ticket
  (zammad#3952); osTicket leaves a ticket in its department. The admin sees how many open
  requests stay before confirming, and the audit row records it;
- marking a region central (or giving it its liaisons back) changes who works its requests at
  once, open ones included: the requests keep their region, the region changes its team;
- reports place a contact or a visit in the region the municipality belonged to at that moment
  (`in_regions_at`), and a request in the region it was routed to, so a closed month's figures
  per region never change after a move.
"""
import logging

import sqlalchemy as sa
from flask import g, has_app_context
from flask_babel import gettext as _

from ..extensions import db
from ..models import Municipality, Region, RegionMembership, SupportRequest
from ..timeutil import utcnow
from ..workflow import OPEN_STATES
from . import ValidationFailed
from .audit import record_audit
from .reference import bump_reference_version

logger = logging.getLogger(__name__)

REGION_FIELDS = ("name", "has_liaison", "sort_order", "round_cycle_months")
ROUND_CYCLES = (1, 2, 3, 4, 6, 12)


# --- the history as SQL ----------------------------------------------------------------------

def _memberships(region_ids):
    """The membership rows (municipality id, valid_from, valid_to) of `region_ids`: a few dozen
    rows, read once per request (or app context) for all of a report's figures; a move or
    the seed forgets them (`forget_memberships`)."""
    key = tuple(sorted(region_ids))
    cache = g.setdefault("_region_memberships", {}) if has_app_context() else {}
    if key not in cache:
        m = RegionMembership
        cache[key] = db.session.execute(
            sa.select(m.municipality_id, m.valid_from, m.valid_to)
            .where(m.region_id.in_(key)).order_by(m.municipality_id, m.id)).all()
    return cache[key]


def forget_memberships():
    if has_app_context():
        g.pop("_region_memberships", None)


def in_regions_at(mid_col, at_col, region_ids):
    """SQL condition: the municipality `mid_col` belonged to one of `region_ids` at `at_col`.

    The regions' memberships are a few dozen rows: they are read first and written into the
    condition as literals (the municipalities always in the regions as one IN list, a moved
    one as its time window), so the reports' big scans keep their plain index paths instead of
    a correlated lookup per row (measured: twice as slow on SQLite)."""
    always, windows = set(), []
    for mid, start, end in _memberships(region_ids):
        if start is None and end is None:
            always.add(mid)
            continue
        bounds = [mid_col == mid]
        if start is not None:
            bounds.append(at_col >= start)
        if end is not None:
            bounds.append(at_col < end)
        windows.append(sa.and_(*bounds))
    conds = ([mid_col.in_(sorted(always))] if always else []) + windows
    return sa.or_(*conds) if conds else sa.false()


def member_ids_at_end(region_ids, end):
    """The ids of the municipalities in `region_ids` at the last moment before `end` (a
    period's end: a move at midnight of the 1st belongs to the new month), as a sorted list,
    read first for the same reason as above."""
    return sorted({mid for mid, start, stop in _memberships(region_ids)
                   if (start is None or start < end) and (stop is None or stop >= end)})


def region_history(municipality_id):
    """The municipality's memberships, oldest first (the admin page shows them)."""
    return list(db.session.scalars(
        sa.select(RegionMembership).where(RegionMembership.municipality_id == municipality_id)
        .order_by(RegionMembership.valid_from.is_not(None), RegionMembership.valid_from,
                  RegionMembership.id)))


def ensure_memberships():
    """Give every municipality without a membership row one for its current region, open on
    both sides (the seed; idempotent)."""
    missing = sa.select(Municipality.id, Municipality.region_id).where(~sa.exists().where(
        RegionMembership.municipality_id == Municipality.id))
    rows = [{"municipality_id": mid, "region_id": rid, "valid_from": None, "valid_to": None}
            for mid, rid in db.session.execute(missing)]
    if rows:
        db.session.execute(sa.insert(RegionMembership), rows)
        forget_memberships()
    return len(rows)


# --- the admin's changes ---------------------------------------------------------------------

def _snapshot(region):
    return {k: getattr(region, k, None) for k in REGION_FIELDS}


def save_region(actor, region=None, *, name, has_liaison, sort_order, round_cycle_months,
                now=None):
    """Add a region or change one (name, liaison or central team, order, round cycle)."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_("圏域名を入力してください。"), "name")
    clash = db.session.scalar(sa.select(Region.id).where(Region.name == name))
    if clash is not None and (region is None or clash != region.id):
        raise ValidationFailed(_("この圏域名は既に使われています。"), "name")
    if round_cycle_months not in ROUND_CYCLES:
        raise ValidationFailed(_("巡回の周期を選んでください。"), "round_cycle_months")
    created = region is None
    before = None if created else _snapshot(region)
    region = region or Region()
    region.name, region.has_liaison = name, bool(has_liaison)
    region.sort_order, region.round_cycle_months = int(sort_order or 0), round_cycle_months
    db.session.add(region)
    db.session.flush()
    after = _snapshot(region)
    if before == after:
        return region
    bump_reference_version()  # region pickers, filters and the routing's regions
    record_audit("region.created" if created else "region.updated", actor=actor, target=region,
                 now=now, before=before, after=after)
    logger.info("region %s %s by %s", region.id, "created" if created else "updated",
                getattr(actor, "id", None))
    return region


def open_requests_of(municipality):
    """How many of the municipality's requests are open (they stay with their team on a move)."""
    return db.session.scalar(sa.select(sa.func.count(SupportRequest.id)).where(
        SupportRequest.municipality_id == municipality.id,
        SupportRequest.state.in_([s.value for s in OPEN_STATES]))) or 0


def move_municipality(actor, municipality, region, *, now=None):
    """Move `municipality` to `region` from `now` on: close its open membership, append the
    new one, point Municipality.region_id at the new region. Requests already filed keep
    theirs (see the module's docstring)."""
    now = now or utcnow()
    if region is None:
        raise ValidationFailed(_("移動先の圏域を選んでください。"), "region_id")
    old_id = municipality.region_id
    if region.id == old_id:
        raise ValidationFailed(_("現在と同じ圏域です。別の圏域を選んでください。"), "region_id")
    m = RegionMembership
    current = db.session.scalars(sa.select(m).where(m.municipality_id == municipality.id,
                                                    m.valid_to.is_(None))).all()
    for row in current:
        if row.valid_from is not None and row.valid_from >= now:
            raise ValidationFailed(_("この市町は既にこの時刻以降の所属が登録されています。"), "region_id")
        row.valid_to = now
    if not current:  # a history that was never started: what held until now was the current region
        db.session.add(m(municipality_id=municipality.id, region_id=old_id, valid_from=None,
                         valid_to=now))
    db.session.add(m(municipality_id=municipality.id, region_id=region.id, valid_from=now,
                     valid_to=None))
    old = db.session.get(Region, old_id)
    municipality.region_id = region.id
    municipality.region = region
    kept = open_requests_of(municipality)
    db.session.flush()
    forget_memberships()
    bump_reference_version()  # the municipality list carries its region
    record_audit("municipality.region_moved", actor=actor, target=municipality, now=now,
                 before={"region_id": old_id, "region": old.name if old else None},
                 after={"region_id": region.id, "region": region.name},
                 open_requests_kept=kept)
    logger.info("municipality %s moved from region %s to %s by %s (%s open requests stay)",
                municipality.id, old_id, region.id, getattr(actor, "id", None), kept)
    return kept
