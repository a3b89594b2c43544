"""Periodic rounds (定期巡回) over the API: coverage per region, each municipality's round status,
and round records, for the people the round pages show them to (read only)."""
import sqlalchemy as sa
from flask_babel import gettext as _

from .. import permissions
from ..extensions import db
from ..models import Municipality, Region, RoundRecord, SupportRequest
from ..services.visits import rounds as svc
from ..timeutil import JST, utcnow
from . import bp
from .core import ApiError, api_route, api_user, dump, json_response, load_visible, parse_query
from .pages import keyset_page
from .schemas.engagements import (RegionRoundsOut, RoundCoverageOut, RoundRecordListQuery,
                                  RoundRecordOut, RoundRecordPage, RoundStatusOut)


def _refuse_unless_rounds(user):
    if not permissions.can(user, "view", "round"):
        raise ApiError(403, _("この操作を行う権限がありません。"))


def _coverage(row):
    region = row["region"]
    return dict(region_id=region.id, region=region.name, cycle_months=region.round_cycle_months,
                cycle_start=row["cycle_start"], cycle_end=row["cycle_end"], total=row["total"],
                visited=row[svc.VISITED], due=row[svc.DUE], overdue=row[svc.OVERDUE])


def record_out(rec, user):
    proposed = rec.proposed_request_id
    if proposed is not None:
        sreq = db.session.get(SupportRequest, proposed)
        proposed = proposed if sreq is not None and permissions.can(user, "view", sreq) else None
    return RoundRecordOut(id=rec.id, visit_id=rec.visit_id, municipality_code=rec.municipality.code,
                          held_at=rec.visit.starts_at.astimezone(JST), progress=rec.progress,
                          issues=rec.issues, shared_departments=rec.shared_department_names,
                          recorded_by=rec.recorded_by.display_name,
                          recorded_at=rec.recorded_at.astimezone(JST),
                          proposed_request_id=proposed)


@api_route(bp, "/rounds/regions", "GET",
           summary="Round coverage of the regions the caller may see (this cycle)",
           response=list[RoundCoverageOut], tag="rounds", errors=(401, 403, 429))
def list_round_regions():
    user = api_user()
    _refuse_unless_rounds(user)
    rows = svc.coverage(svc.visible_plan_regions(user), utcnow())
    return json_response(dump([RoundCoverageOut(**_coverage(r)) for r in rows]))


@api_route(bp, "/rounds/regions/<int:region_id>", "GET",
           summary="One region's round plan: coverage and each municipality's round status",
           response=RegionRoundsOut, tag="rounds", errors=(401, 403, 404, 429))
def get_round_region(region_id):
    user = api_user()
    _refuse_unless_rounds(user)
    region = db.session.get(Region, region_id)
    if region is None or not region.has_liaison:
        raise ApiError(404, _("見つかりません。"))
    permissions.require(user, "view", svc.RoundPlan(region))
    now = utcnow()
    statuses = [RoundStatusOut(municipality_code=s.municipality.code, status=s.status,
                               last_round_on=s.last_round_on, cycle_start=s.cycle_start,
                               cycle_end=s.cycle_end, next_due_on=s.next_due_on,
                               overdue_since=s.overdue_since)
                for s in svc.region_statuses(region, now)]
    return json_response(dump(RegionRoundsOut(**_coverage(svc.coverage([region], now)[0]),
                                              statuses=statuses)))


@api_route(bp, "/round-records", "GET",
           summary="Round records (巡回記録) the caller may see, newest first",
           query=RoundRecordListQuery, response=RoundRecordPage, tag="rounds",
           errors=(401, 403, 429))
def list_round_records():
    args = parse_query(RoundRecordListQuery)
    user = api_user()
    _refuse_unless_rounds(user)
    stmt = permissions.scope_round_records(sa.select(RoundRecord), user)
    if args.municipality:
        stmt = stmt.where(RoundRecord.municipality_id.in_(
            sa.select(Municipality.id).where(Municipality.code == args.municipality)))
    rows, next_cursor = keyset_page(stmt, RoundRecord.id, args)
    return json_response(dump(RoundRecordPage(items=[record_out(r, user) for r in rows],
                                              next_cursor=next_cursor)))


@api_route(bp, "/round-records/<int:record_id>", "GET", summary="One round record",
           response=RoundRecordOut, tag="rounds", errors=(401, 404, 429))
def get_round_record(record_id):
    rec = load_visible(RoundRecord, record_id)
    return json_response(dump(record_out(rec, api_user())))
