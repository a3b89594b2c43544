"""Reports for managers (and liaisons for their regions): monthly, fiscal year, municipality."""
import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import permissions
from ..extensions import db
from ..models import Municipality, ReportSnapshot, SupportRequest, Visit
from ..models.visit import visit_municipalities
from ..services.reports import figures as r
from ..services.reports.drilldown import UnknownDrillDown, drilldown
from ..services.reports.monthly import build_fiscal_summary, build_monthly_report
from ..services.reports.exports import report_csv, report_xlsx
from ..services.reports.snapshots import freeze_monthly_report, monthly_report, snapshots_for
from ..services.requests.response_target import overdue_condition
from ..template_helpers import fy_label
from ..timeutil import JST, fiscal_year, utcnow
from .decorators import permission_required

bp = Blueprint("reports", __name__, url_prefix="/reports")


def _region_scope():
    """None (every region) for managers and admins; a liaison's own regions otherwise."""
    if permissions.scope_of(current_user, "view", "report") == permissions.REGIONS:
        return sorted(permissions.liaison_region_filter(current_user))
    return None


def keep_business_days():
    """Commit the business-day calendar rows the report filled in: without it every page view
    rolls them back and the next one computes and inserts them again (nothing else is written)."""
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


@bp.get("/monthly/<ym>")
@permission_required("view", "report")
def monthly(ym):
    year, month = _month(ym)
    report, frozen = monthly_report(year, month, _region_scope(), now=utcnow(),
                                    live=request.args.get("live") == "1")
    keep_business_days()
    snaps = snapshots_for(ym) if _region_scope() is None else []
    prev = "%04d-%02d" % r.previous_month(year, month)
    nxt = "%04d-%02d" % ((year + 1, 1) if month == 12 else (year, month + 1))
    return render_template("reports/monthly.html", report=report, ym=ym, snapshots=snaps,
                           prev_ym=prev, next_ym=nxt, frozen=frozen)


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
                                      live=request.args.get("live") == "1")[0])
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
                           snapshots=[], snapshot=snap, prev_ym=None, next_ym=None)


def _known_fiscal_year(fy):
    # Beyond these the date arithmetic itself fails (year 2147483647 is out of range).
    if not 2000 <= fy <= 2100:
        abort(404)


@bp.get("/fiscal/<int:fy>")
@permission_required("view", "report")
def fiscal(fy):
    _known_fiscal_year(fy)
    summary = build_fiscal_summary(fy, _region_scope())
    return render_template("reports/fiscal.html", fy=fy, label=fy_label(fy),
                           prev_label=fy_label(fy - 1), **summary)


@bp.get("/municipality/<code>/<int:fy>")
@permission_required("view", "report")
def municipality_sheet(code, fy):
    _known_fiscal_year(fy)
    m = db.session.scalar(sa.select(Municipality).where(Municipality.code == code)) or abort(404)
    region_ids = _region_scope()
    if region_ids is not None and m.region_id not in region_ids:
        abort(404)
    period = r.Period(r.month_period(fy, 4).start, r.month_period(fy + 1, 3).end, f"FY{fy}")
    reqs = db.session.scalars(
        sa.select(SupportRequest).where(SupportRequest.municipality_id == m.id,
                                        SupportRequest.submitted_at >= period.start,
                                        SupportRequest.submitted_at < period.end)
        .order_by(SupportRequest.submitted_at)).all()
    visits = db.session.scalars(
        sa.select(Visit).join(visit_municipalities, visit_municipalities.c.visit_id == Visit.id)
        .where(visit_municipalities.c.municipality_id == m.id, Visit.starts_at >= period.start,
               Visit.starts_at < period.end).order_by(Visit.starts_at)).all()
    return render_template("reports/municipality_sheet.html", m=m, fy=fy, requests=reqs,
                           visits=visits, label=fy_label(fy))


def current_fiscal_year():
    return fiscal_year(utcnow().astimezone(JST).date())


@bp.app_template_filter("reach_round_row")
def reach_round_row(row):
    """A round-coverage row as a chart bar: percentage of the region's municipalities visited."""
    share = round(100 * row["visited"] / row["total"]) if row["total"] else 0
    return {"label": row["region"], "value": share}
