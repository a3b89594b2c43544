"""Reports for managers (and liaisons for their regions): monthly, fiscal year, municipality."""
from calendar import monthrange
from datetime import date, datetime

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import permissions
from ..extensions import db
from ..models import Municipality, ReportSnapshot, SupportRequest, Visit
from ..models.visit import visit_municipalities
from ..services.municipalities.status_overview import CHANGE_WORDS, year_of_municipality
from ..services.reports import figures as r
from ..services.reports.drilldown import UnknownDrillDown, drilldown
from ..services.reports.monthly import build_monthly_report
from ..services.reports.exports import fiscal_xlsx, report_csv, report_xlsx
from ..services.reports.fiscal_series import build_fiscal_report, municipality_year_series
from ..services.reports.municipality_year import fiscal_year_period, requests_per_month
from ..services.reports.pdf import fiscal_title, html_to_pdf, monthly_title
from ..services.reports.tiles import contact_recency_tiles
from ..services.reports.snapshots import freeze_monthly_report, monthly_report, snapshots_for
from ..services.requests.response_target import overdue_condition
from ..template_helpers import fy_label
from ..timeutil import JST, fiscal_year, utcnow
from .decorators import permission_required
from .report_tables import figure_rows, row_label
from .report_charts import (fiscal_charts, monthly_charts, municipality_chart,
                            municipality_sheet_charts)

bp = Blueprint("reports", __name__, url_prefix="/reports")
bp.add_app_template_global(figure_rows, "figure_rows")
bp.add_app_template_global(row_label, "figure_label")
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _region_scope():
    """None (every region) for managers and admins; a liaison's own regions otherwise."""
    if permissions.scope_of(current_user, "view", "report") == permissions.REGIONS:
        return sorted(permissions.liaison_region_filter(current_user))
    return None


def keep_business_days():
    """Commit the business-day calendar rows the report filled in (PostgreSQL: they are in the
    request's transaction; without it every page view rolls them back and the next one
    inserts them again). On SQLite a report page is a read that fills the calendar in a write
    transaction of its own (services/reports/calendar.py); nothing else is written."""
    db.session.commit()


def _month(ym):
    try:
        return r.parse_month(ym)
    except ValueError:
        abort(404)


def _last_month():
    today = utcnow().astimezone(JST).date()
    return r.previous_month(today.year, today.month)


@bp.get("/")
@permission_required("view", "report")
def index():
    year, month = _last_month()
    return redirect(url_for("reports.monthly", ym=f"{year:04d}-{month:02d}"))


@bp.get("/dashboard")
@permission_required("view", "report")
def dashboard():
    today = utcnow().astimezone(JST).date()
    report = build_monthly_report(today.year, today.month, _region_scope())
    keep_business_days()
    overdue = db.session.scalars(
        permissions.scope_requests(sa.select(SupportRequest), current_user)
        .where(*overdue_condition(utcnow()))
        .order_by(SupportRequest.first_response_due_at, SupportRequest.id).limit(20)).all()
    ly, lm = r.previous_month(today.year, today.month)
    return render_template("reports/dashboard.html", report=report, overdue=overdue,
                           last_month=f"{ly:04d}-{lm:02d}")


def _monthly(ym):
    """The month's report and its charts, the tile map as at the month's end (or now)."""
    year, month = _month(ym)
    report, frozen = monthly_report(year, month, _region_scope(), now=utcnow(),
                                    live=request.args.get("live") == "1")
    end = r.month_period(year, month).end
    moment = min(end, utcnow())
    tiles = contact_recency_tiles(moment, _region_scope(), last_by_code=_report_last_contacts(
        report) if moment == end else None)
    keep_business_days()
    return year, month, report, monthly_charts(report, tiles), frozen


def _report_last_contacts(report):
    """{code: datetime or None} from a report's last contacts at its month's end (None when a
    snapshot frozen before they were recorded lacks them)."""
    last = report["reach"].get("last_contacts")
    if last is None:
        return None
    return {code: datetime.fromisoformat(at) if at else None for code, at in last.items()}


@bp.get("/monthly/<ym>")
@permission_required("view", "report")
def monthly(ym):
    year, month, report, charts, frozen = _monthly(ym)
    snaps = snapshots_for(ym) if _region_scope() is None else []
    prev = "%04d-%02d" % r.previous_month(year, month)
    nxt = "%04d-%02d" % ((year + 1, 1) if month == 12 else (year, month + 1))
    return render_template("reports/monthly.html", report=report, ym=ym, snapshots=snaps,
                           prev_ym=prev, next_ym=nxt, charts=charts, frozen=frozen)


def _pdf(body, name):
    return Response(body, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/monthly/<ym>.pdf")
@permission_required("view", "report")
def monthly_pdf(ym):
    """The monthly report on A4: cover, charts and tables, dates in 和暦."""
    year, month, report, charts, frozen = _monthly(ym)
    html = render_template("reports/print/monthly.html", report=report, ym=ym, charts=charts,
                           title=monthly_title(year, month), made_at=utcnow(),
                           scoped=_region_scope() is not None, first_day=date(year, month, 1),
                           last_day=date(year, month, monthrange(year, month)[1]))
    return _pdf(html_to_pdf(html), f"monthly-report-{ym}.pdf")


@bp.get("/monthly/<ym>.csv")
@permission_required("view", "report")
def monthly_csv(ym):
    year, month = _month(ym)
    body = report_csv(monthly_report(year, month, _region_scope(), now=utcnow(),
                                     live=request.args.get("live") == "1")[0])
    keep_business_days()
    # mimetype gets its charset from Flask; content_type is taken as written (once).
    return Response(body, content_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="monthly-report-{ym}.csv"'})


@bp.get("/monthly/<ym>.xlsx")
@permission_required("view", "report")
def monthly_xlsx(ym):
    year, month = _month(ym)
    body = report_xlsx(monthly_report(year, month, _region_scope(), now=utcnow(),
                                      live=request.args.get("live") == "1")[0],
                       title=monthly_title(year, month), made_at=utcnow())
    keep_business_days()
    return Response(body, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="monthly-report-{ym}.xlsx"'})


@bp.get("/monthly/<ym>/requests")
@permission_required("view", "report")
def monthly_requests(ym):
    """The requests behind one figure of the report, named in words with its filters."""
    year, month = _month(ym)
    figure = request.args.get("figure", "new")
    try:
        filters, words = drilldown(figure, request.args)
    except UnknownDrillDown:
        abort(404)
    period = r.month_period(year, month)
    rows = r.requests_behind(figure, period, region_ids=_region_scope(), **filters)
    rows = [s for s in rows if permissions.can(current_user, "view", s)]
    return render_template("reports/requests.html", rows=rows, ym=ym, figure=figure,
                           filters=filters, filter_words=words)


@bp.post("/monthly/<ym>/snapshot")
@permission_required("snapshot", "report")
def snapshot(ym):
    year, month = _month(ym)
    freeze_monthly_report(year, month, actor=current_user, reason=request.form.get("reason") or "manual")
    db.session.commit()
    flash(_("月次報告を確定版として保存しました。"), "success")
    return redirect(url_for("reports.monthly", ym=ym))


@bp.get("/snapshots/<int:snapshot_id>")
@permission_required("snapshot", "report")
def snapshot_show(snapshot_id):
    snap = db.session.get(ReportSnapshot, snapshot_id) or abort(404)
    return render_template("reports/monthly.html", report=snap.figures, ym=snap.period,
                           snapshots=[], snapshot=snap, prev_ym=None, next_ym=None,
                           charts=monthly_charts(snap.figures))


def _known_fiscal_year(fy):
    # Beyond these the date arithmetic itself fails (year 2147483647 is out of range).
    if not 2000 <= fy <= 2100:
        abort(404)


def _fiscal(fy):
    _known_fiscal_year(fy)
    summary = build_fiscal_report(fy, _region_scope(), now=utcnow())
    tiles = contact_recency_tiles(min(fiscal_year_period(fy).end, utcnow()), _region_scope())
    keep_business_days()
    label, prev_label = fy_label(fy), fy_label(fy - 1)
    charts = fiscal_charts(summary, label, prev_label, tiles)
    return dict(summary, fy=fy, label=label, prev_label=prev_label, charts=charts)


@bp.get("/fiscal/<int:fy>")
@permission_required("view", "report")
def fiscal(fy):
    return render_template("reports/fiscal.html", **_fiscal(fy))


@bp.get("/fiscal/<int:fy>.pdf")
@permission_required("view", "report")
def fiscal_pdf(fy):
    html = render_template("reports/print/fiscal.html", **_fiscal(fy), title=fiscal_title(fy),
                           made_at=utcnow(), scoped=_region_scope() is not None,
                           first_day=date(fy, 4, 1), last_day=date(fy + 1, 3, 31))
    return _pdf(html_to_pdf(html), f"fiscal-report-{fy}.pdf")


@bp.get("/fiscal/<int:fy>.xlsx")
@permission_required("view", "report")
def fiscal_xlsx_download(fy):
    """The fiscal-year report as a workbook: the printed report's title and 和暦 dates."""
    _known_fiscal_year(fy)
    body = fiscal_xlsx(build_fiscal_report(fy, _region_scope(), now=utcnow()), fy,
                       title=fiscal_title(fy), made_at=utcnow())
    keep_business_days()
    return Response(body, mimetype=XLSX_MIMETYPE, headers={
        "Content-Disposition": f'attachment; filename="fiscal-report-{fy}.xlsx"'})


@bp.get("/municipality/<code>/<int:fy>")
@permission_required("view", "report")
def municipality_sheet(code, fy):
    _known_fiscal_year(fy)
    m = db.session.scalar(sa.select(Municipality).where(Municipality.code == code)) or abort(404)
    region_ids = _region_scope()
    if region_ids is not None and m.region_id not in region_ids:
        abort(404)
    period = fiscal_year_period(fy)
    reqs = db.session.scalars(
        sa.select(SupportRequest).where(SupportRequest.municipality_id == m.id,
                                        SupportRequest.submitted_at >= period.start,
                                        SupportRequest.submitted_at < period.end)
        .order_by(SupportRequest.submitted_at)).all()
    visits = db.session.scalars(
        sa.select(Visit).join(visit_municipalities, visit_municipalities.c.visit_id == Visit.id)
        .where(visit_municipalities.c.municipality_id == m.id, Visit.starts_at >= period.start,
               Visit.starts_at < period.end).order_by(Visit.starts_at)).all()
    label, prev_label = fy_label(fy), fy_label(fy - 1)
    counts, prev_counts = requests_per_month(m.id, fy), requests_per_month(m.id, fy - 1)
    chart = municipality_chart(counts, prev_counts, label, prev_label)
    sheet = municipality_year_series(m, fy, now=utcnow())
    keep_business_days()
    return render_template("reports/municipality_sheet.html", m=m, fy=fy, requests=reqs,
                           visits=visits, label=label, prev_label=prev_label, chart=chart,
                           counts=counts, prev_counts=prev_counts, sheet=sheet,
                           charts=municipality_sheet_charts(sheet, label, prev_label),
                           status=year_of_municipality(m, fy, now=utcnow()),
                           change_words=CHANGE_WORDS)


def current_fiscal_year():
    return fiscal_year(utcnow().astimezone(JST).date())


@bp.app_template_filter("reach_round_row")
def reach_round_row(row):
    """A round-coverage row as a chart bar: percentage of the region's municipalities visited."""
    share = round(100 * row["visited"] / row["total"]) if row["total"] else 0
    return {"label": row["region"], "value": share}
