"""Monthly report figures over the API, scoped as on the report pages (liaisons: their regions)."""
from flask_babel import gettext as _

from .. import permissions
from ..services.reports import figures as r
from ..services.reports.monthly import build_monthly_report
from . import bp
from .core import ApiError, api_route, api_user, json_response

MONTHLY_SCHEMA = {"type": "object", "description": "The figures of the monthly report page: "
                  "period, fy_label, scope_region_ids, sections, by_kind, by_theme, by_region, "
                  "by_municipality ... (rows with this month, last month and last year)."}


@api_route(bp, "/reports/monthly/<ym>", "GET", summary="Monthly report figures (YYYY-MM)",
           response=MONTHLY_SCHEMA, tag="reports",
           path_schemas={"ym": {"type": "string", "pattern": r"^\d{4}-\d{2}$"}})
def monthly_report(ym):
    user = api_user()
    scope = permissions.scope_of(user, "view", "report")
    if scope is None:
        raise ApiError(404, _("見つかりません。"))
    try:
        year, month = r.parse_month(ym)
    except ValueError:
        raise ApiError(404, _("見つかりません。")) from None
    regions = (sorted(permissions.liaison_region_filter(user)) if scope == permissions.REGIONS
               else None)
    return json_response(build_monthly_report(year, month, regions))
