"""The lists behind the report's figures about knowing each municipality (surveys sent, answers
due and given, DX status values recorded), for a month or a fiscal year; routes on the reports
blueprint, scoped like the report itself (a liaison: their regions)."""
from flask import render_template
from flask_babel import get_locale

from ..models.standardisation import MIGRATION_STATE_LABELS
from ..models.status import SOURCE_LABELS
from ..services.municipalities.standardisation import system_name
from ..services.municipalities.status import display_value
from ..services.reports import figures as r
from ..services.reports.knowing import status_updates_behind, surveys_behind
from ..services.reports.municipality_year import fiscal_year_period
from ..template_helpers import fy_label
from .decorators import permission_required
from .reports import _known_fiscal_year, _month, _region_scope, bp


def _back(ym=None, fy=None):
    """(period's name, the report page to go back to as endpoint and arguments)."""
    if ym is not None:
        return ym, ("reports.monthly", {"ym": ym})
    return fy_label(fy), ("reports.fiscal", {"fy": fy})


def _surveys(period, name, back):
    return render_template("reports/knowing_surveys.html", data=surveys_behind(
        period, _region_scope()), name=name, back=back)


def _status(period, name, back):
    return render_template("reports/knowing_status.html",
                           data=status_updates_behind(period, _region_scope()), name=name,
                           back=back, display_value=display_value, source_labels=SOURCE_LABELS,
                           system_name=system_name, states=MIGRATION_STATE_LABELS,
                           locale=str(get_locale()))


@bp.get("/monthly/<ym>/surveys")
@permission_required("view", "report")
def monthly_surveys(ym):
    return _surveys(r.month_period(*_month(ym)), *_back(ym=ym))


@bp.get("/monthly/<ym>/status-updates")
@permission_required("view", "report")
def monthly_status_updates(ym):
    return _status(r.month_period(*_month(ym)), *_back(ym=ym))


@bp.get("/fiscal/<int:fy>/surveys")
@permission_required("view", "report")
def fiscal_surveys(fy):
    _known_fiscal_year(fy)
    return _surveys(fiscal_year_period(fy), *_back(fy=fy))


@bp.get("/fiscal/<int:fy>/status-updates")
@permission_required("view", "report")
def fiscal_status_updates(fy):
    _known_fiscal_year(fy)
    return _status(fiscal_year_period(fy), *_back(fy=fy))
