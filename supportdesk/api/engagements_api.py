"""Accompaniment (伴走支援) over the API: engagements the caller may see, their check-ins, and
logging a contact (a check-in without a visit), through the engagement service."""
import sqlalchemy as sa
from flask_babel import gettext as _

from .. import permissions
from ..extensions import db
from ..models import Engagement
from ..services.visits.engagements import (checkin_timeline, last_checkin_dates, log_contact,
                                           next_checkin_due)
from ..timeutil import JST
from . import bp
from .core import (ApiError, api_route, api_user, dump, json_response, load_visible, parse_body,
                   parse_query)
from .pages import keyset_page
from .schemas.engagements import (CheckinOut, ContactIn, EngagementListQuery, EngagementOut,
                                  EngagementPage, EngagementSummary)
from .schemas.visits import PersonOut


def _tokyo(value):
    return value.astimezone(JST) if value is not None else None


def _person(user):
    return PersonOut(id=user.id, display_name=user.display_name, role=user.role)


def _summary_fields(eng, due):
    return dict(id=eng.id, title=eng.title, state=eng.state,
                municipality_code=eng.municipality.code, owner=_person(eng.owner),
                cadence_days=eng.cadence_days, starts_on=eng.starts_on, ends_on=eng.ends_on,
                next_checkin_due=due)


def _checkin(item):
    contact = item.get("contact")
    return CheckinOut(kind=item["kind"], at=_tokyo(item["at"]), held=item["held"],
                      visit_id=item["visit"].id if item["kind"] == "visit" else None,
                      summary=contact.summary if contact is not None else None,
                      by=contact.by.display_name if contact is not None else None)


def engagement_out(eng, user):
    request_id = eng.request_id if (
        eng.sreq is not None and permissions.can(user, "view", eng.sreq)) else None
    return EngagementOut(**_summary_fields(eng, next_checkin_due(eng)), goal=eng.goal,
                         experts=[_person(u) for u in sorted(eng.experts, key=lambda u: u.id)],
                         request_id=request_id, lecture_visit_id=eng.lecture_visit_id,
                         achievement=eng.achievement, put_in_place=eng.put_in_place,
                         next_steps=eng.next_steps, outcome=eng.outcome,
                         closed_at=_tokyo(eng.closed_at),
                         checkins=[_checkin(i) for i in checkin_timeline(eng)])


@api_route(bp, "/engagements", "GET", summary="Engagements (伴走支援) the caller may see, newest first",
           query=EngagementListQuery, response=EngagementPage, tag="engagements",
           errors=(401, 403, 429))
def list_engagements():
    args = parse_query(EngagementListQuery)
    user = api_user()
    if permissions.scope_of(user, "view", "engagement") is None:
        raise ApiError(403, _("この操作を行う権限がありません。"))
    stmt = permissions.scope_engagements(sa.select(Engagement), user)
    if args.state:
        stmt = stmt.where(Engagement.state == args.state)
    rows, next_cursor = keyset_page(stmt, Engagement.id, args)
    last = last_checkin_dates([e.id for e in rows])
    items = [EngagementSummary(**_summary_fields(e, next_checkin_due(e, last.get(e.id))))
             for e in rows]
    return json_response(dump(EngagementPage(items=items, next_cursor=next_cursor)))


@api_route(bp, "/engagements/<int:engagement_id>", "GET",
           summary="One engagement with its check-ins (visits and logged contacts), oldest first",
           response=EngagementOut, tag="engagements")
def get_engagement(engagement_id):
    eng = load_visible(Engagement, engagement_id)
    return json_response(dump(engagement_out(eng, api_user())))


@api_route(bp, "/engagements/<int:engagement_id>/contacts", "POST",
           summary="Log a check-in without a visit: a call, mail, an online chat "
                   "(liaisons; experts on the engagement)",
           scope="write", body=ContactIn, response=EngagementOut, status=201, tag="engagements",
           errors=(401, 403, 404, 409, 429))
def log_engagement_contact(engagement_id):
    eng = load_visible(Engagement, engagement_id)
    body = parse_body(ContactIn)
    user = api_user()
    if not permissions.can(user, "log_contact", eng):
        raise ApiError(403, _("この操作を行う権限がありません。"))
    log_contact(eng, user, at=body.at, summary=body.summary)
    db.session.commit()
    return json_response(dump(engagement_out(eng, user)), status=201)
