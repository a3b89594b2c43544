"""The DX status tracker over the API (read only): the catalogue, current values, one item's
history, and the standardisation progress, scoped like the pages (staff: their own)."""
import sqlalchemy as sa
from flask_babel import gettext as _

from .. import permissions
from ..extensions import db
from ..models import Municipality, Region, StatusItem, StatusValue
from ..services.municipalities import standardisation as std
from ..services.municipalities.status import (active_items, display_value, python_value,
                                              today_of, value_history, values_as_of)
from ..timeutil import JST, utcnow
from . import bp
from .core import ApiError, api_route, api_user, dump, json_response, parse_query
from .schemas.status import (StatusItemOut, StatusValueOut, StatusValueQuery,
                             SystemMigrationOut)


def _value_out(row, code):
    return StatusValueOut(municipality_code=code, item_key=row.item.key,
                          value=python_value(row), display=display_value(row), as_of=row.as_of,
                          source_kind=row.source_kind, source_ref=row.source_ref,
                          set_at=row.set_at.astimezone(JST),
                          set_by=row.set_by.display_name if row.set_by else None)


def _visible(code):
    m = db.session.scalar(sa.select(Municipality).where(Municipality.code == code))
    if m is None or not permissions.can(api_user(), "view", StatusValue(municipality_id=m.id)):
        raise ApiError(404, _("見つかりません。"))
    return m


@api_route(bp, "/status/items", "GET", summary="The status items of the DX tracker (active)",
           response=list[StatusItemOut], tag="status", errors=(401, 429))
def list_status_items():
    return json_response(dump([StatusItemOut(key=i.key, label_ja=i.label_ja, label_en=i.label_en,
                                             item_type=i.item_type, item_group=i.item_group,
                                             steps=i.steps, active=i.active)
                               for i in active_items()]))


@api_route(bp, "/status/values", "GET",
           summary="Current tracker values of the municipalities the caller may see",
           response=list[StatusValueOut], query=StatusValueQuery, tag="status",
           errors=(401, 429))
def list_status_values():
    query = parse_query(StatusValueQuery)
    stmt = sa.select(Municipality).join(Region).order_by(Region.sort_order, Municipality.code)
    if query.region:
        stmt = stmt.where(Municipality.region_id == query.region)
    munis = db.session.scalars(permissions.scope_status_municipalities(stmt, api_user())).all()
    items = active_items()
    if query.item:
        items = [i for i in items if i.key == query.item]
    values = values_as_of(None, [m.id for m in munis], [i.id for i in items])
    out = [_value_out(values[(m.id, i.id)], m.code) for m in munis for i in items
           if (m.id, i.id) in values]
    return json_response(dump(out))


@api_route(bp, "/municipalities/<code>/status/<key>/history", "GET",
           summary="Every value of one item of one municipality, newest as-of first",
           response=list[StatusValueOut], tag="status", errors=(401, 404, 429))
def status_history(code, key):
    m = _visible(code)
    item = db.session.scalar(sa.select(StatusItem).where(StatusItem.key == key))
    if item is None:
        raise ApiError(404, _("見つかりません。"))
    return json_response(dump([_value_out(r, m.code) for r in value_history(m, item)]))


@api_route(bp, "/municipalities/<code>/standardisation", "GET",
           summary="The current standardisation state of each of the 20 systems (recorded ones)",
           response=list[SystemMigrationOut], tag="status", errors=(401, 404, 429))
def municipality_standardisation(code):
    m = _visible(code)
    today = today_of(utcnow())
    current = std.current_migrations([m.id])
    out = []
    for sys_code, name, _en in std.standard_systems():
        r = current.get((m.id, sys_code))
        if r is None:
            continue
        out.append(SystemMigrationOut(
            municipality_code=m.code, system_code=sys_code, system_name=name, status=r.status,
            planned_on=r.planned_on, migrated_on=r.migrated_on, special_support=r.special_support,
            vendor=r.vendor, line_contracted=r.line_contracted, overdue=std.is_overdue(r, today),
            as_of=r.as_of, source_kind=r.source_kind, set_at=r.set_at.astimezone(JST)))
    return json_response(dump(out))
