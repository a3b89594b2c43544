"""The completion list of a course (CSV with BOM for Excel, XLSX) and a completion
certificate (修了証, an A4 PDF through the reports' WeasyPrint path)."""
import csv
import io

import sqlalchemy as sa
from flask import render_template
from flask_babel import gettext as _

from ... import permissions
from ...extensions import db
from ...models import TrainingApplication
from ...timeutil import to_jst, wareki_date
from ...workflows.training import ApplicationStatus
from .. import ValidationFailed
from ..reports.exports import safe_cell
from ..reports.pdf import html_to_pdf

HEADER = ["市町コード", "市町", "氏名", "所属", "修了日"]


def completion_rows(course, user):
    """[(code, municipality, name, department, completed day)] of the course's completions the
    user may read, by municipality code and name."""
    permissions.require(user, "track", course)
    stmt = sa.select(TrainingApplication).where(
        TrainingApplication.course_id == course.id,
        TrainingApplication.status == ApplicationStatus.COMPLETED.value)
    apps = db.session.scalars(permissions.scope_training_applications(stmt, user)).all()
    rows = [(a.municipality.code, a.municipality.name, a.user.display_name,
             a.user.department or "", to_jst(a.completed_at).date().isoformat())
            for a in apps]
    return sorted(rows, key=lambda r: (r[0], r[2]))


def completions_csv(course, user):
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([safe_cell(course.title), course.starts_on.isoformat()])
    writer.writerow(HEADER)
    for row in completion_rows(course, user):
        writer.writerow([safe_cell(v) for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def completions_xlsx(course, user):
    from openpyxl import Workbook  # lazy: needed only by the XLSX download
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "修了者"
    ws.append([safe_cell(course.title)])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(HEADER)
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for row in completion_rows(course, user):
        ws.append([safe_cell(v) for v in row])
    ws.freeze_panes = "A3"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def certificate_pdf(app_, user):
    """The 修了証 of one completed application: the applicant, their 情報部門 and the
    prefecture may print it."""
    permissions.require(user, "view", app_)
    if app_.status != ApplicationStatus.COMPLETED:
        raise ValidationFailed(_("修了した受講者の修了証だけ出力できます。"))
    html = render_template("training/certificate.html", a=app_, course=app_.course,
                           completed_on=wareki_date(to_jst(app_.completed_at).date(),
                                                    western=True))
    return html_to_pdf(html)
