"""Read-only reference data: regions, municipalities, themes, and the caller."""
import sqlalchemy as sa

from .. import permissions
from ..extensions import db
from ..models import Municipality, Region, Theme
from . import bp
from .core import ApiError, api_route, api_user, dump, json_response
from .schemas.common import MeOut, MunicipalityOut, RegionOut, ThemeOut


def municipality_out(m):
    return MunicipalityOut(code=m.code, name=m.name, kana=m.kana, kind=m.kind, region=m.region.name,
                           population_band=m.population_band, dx_staff_band=m.dx_staff_band,
                           cio_appointed=m.cio_appointed, dx_plan_in_place=m.dx_plan_in_place,
                           dx_step=m.dx_step)


@api_route(bp, "/me", "GET", summary="The calling user", response=MeOut, tag="reference")
def me():
    user = api_user()
    from flask import g

    return json_response(dump(MeOut(id=user.id, email=user.email, display_name=user.display_name,
                                    role=user.role,
                                    municipality_code=user.municipality.code if user.municipality else None,
                                    scope=g.api_scope)))


@api_route(bp, "/regions", "GET", summary="Regions (圏域)", response=list[RegionOut], tag="reference")
def regions():
    rows = db.session.scalars(sa.select(Region).order_by(Region.sort_order)).all()
    return json_response(dump([RegionOut(id=r.id, name=r.name, has_liaison=r.has_liaison) for r in rows]))


@api_route(bp, "/municipalities", "GET", summary="Municipalities the caller may see",
           response=list[MunicipalityOut], tag="reference")
def municipalities():
    stmt = permissions.scope_municipalities(
        sa.select(Municipality).join(Region).order_by(Region.sort_order, Municipality.code), api_user())
    return json_response(dump([municipality_out(m) for m in db.session.scalars(stmt)]))


@api_route(bp, "/municipalities/<code>", "GET", summary="One municipality",
           response=MunicipalityOut, tag="reference")
def municipality(code):
    m = db.session.scalar(sa.select(Municipality).where(Municipality.code == code))
    if m is None:
        raise ApiError(404, "見つかりません。")
    permissions.require(api_user(), "view", m)
    return json_response(dump(municipality_out(m)))


@api_route(bp, "/themes", "GET", summary="Consultation themes (相談分野)", response=list[ThemeOut],
           tag="reference")
def themes():
    rows = db.session.scalars(sa.select(Theme).where(Theme.active.is_(True)).order_by(Theme.sort_order))
    return json_response(dump([ThemeOut(id=t.id, code=t.code, name_ja=t.name_ja, name_en=t.name_en)
                               for t in rows]))
