"""A survey's results: each municipality's answer status, the answers one row per municipality
(CSV with BOM, XLSX), the summary per question, and a municipality's answers for its dossier."""
import csv
import io
from collections import Counter

import sqlalchemy as sa

from ... import permissions
from ...extensions import db
from ...i18n import N_
from ...models import Municipality, Region, Survey, SurveyResponse, SurveyTarget
from ...timeutil import JST
from ...workflows.surveys import ANSWER_STATUS_LABELS, answer_status
from ..reports.exports import safe_cell
from .answering import today_in_tokyo


def status_rows(survey, now):
    """[(municipality, AnswerStatus, response or None)] for every target, by region and code.
    Whether an answer exists is not secret to the prefecture side ("track"); its content is."""
    responses = {r.municipality_id: r for r in db.session.scalars(
        sa.select(SurveyResponse).where(SurveyResponse.survey_id == survey.id))}
    munis = db.session.scalars(sa.select(Municipality).join(
        SurveyTarget, SurveyTarget.municipality_id == Municipality.id).join(Region).where(
        SurveyTarget.survey_id == survey.id).order_by(Region.sort_order, Municipality.code)).all()
    today = today_in_tokyo(now)
    out = []
    for m in munis:
        r = responses.get(m.id)
        st = answer_status(has_draft=r is not None, submitted=r is not None and r.version > 0,
                           deadline=survey.deadline, today=today)
        out.append((m, st, r))
    return out


def status_counts(rows):
    c = Counter(st for _m, st, _r in rows)
    return {st: c.get(st, 0) for st in ANSWER_STATUS_LABELS}


def visible_responses(survey, user):
    """The submitted answers the user may read (liaisons: their regions), by municipality code."""
    stmt = sa.select(SurveyResponse).join(Municipality).where(
        SurveyResponse.survey_id == survey.id, SurveyResponse.version > 0).order_by(
        Municipality.code)
    return db.session.scalars(permissions.scope_survey_responses(stmt, user)).all()


def submitted_answers(response):
    """The answers of the latest submitted version (a correction in progress never shows)."""
    return (response.versions[-1].answers or {}) if response.versions else {}


def display_value(q, value):
    """An answer as one line of text (exports, the dossier)."""
    if value is None:
        return ""
    if q.kind == "multiple_choice":
        return "、".join(value)
    if q.kind == "file":
        return value.get("filename", "")
    if q.kind == "table":
        return " / ".join("|".join(row) for row in value)
    return str(value)


def answer_table(survey, user):
    """Header and rows: one row per municipality whose answer the user may read."""
    header = ["市町コード", "市町", "提出日時", "版"] + [
        f"Q{i}. {q.label}" for i, q in enumerate(survey.questions, start=1)]
    rows = []
    for r in visible_responses(survey, user):
        answers = submitted_answers(r)
        rows.append([r.municipality.code, r.municipality.name,
                     r.submitted_at.astimezone(JST).strftime("%Y-%m-%d %H:%M"), r.version]
                    + [display_value(q, answers.get(str(q.id))) for q in survey.questions])
    return header, rows


def answers_csv(survey, user):
    header, rows = answer_table(survey, user)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([safe_cell(survey.title)])
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def answers_xlsx(survey, user):
    header, rows = answer_table(survey, user)
    from openpyxl import Workbook  # lazy: needed only by the XLSX download
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "回答"
    ws.append([safe_cell(survey.title)])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(header)
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([safe_cell(v) for v in row])
    ws.freeze_panes = "C3"
    summary = wb.create_sheet("集計")
    summary.append(["質問", "項目", "件数・値"])
    for item in question_summary(survey, user):
        for label, value in item["lines"]:
            summary.append([safe_cell(item["question"].label), safe_cell(label), value])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def question_summary(survey, user):
    """Per question: how many answered, and counts per choice (choices) or the average, minimum
    and maximum (numbers), over the submitted answers the user may read."""
    return summarise_answers(survey.questions,
                             [submitted_answers(r) for r in visible_responses(survey, user)])


def summarise_answers(questions, answers):
    """The per-question summary over answer dicts {"<question id>": value} (an inquiry's
    submitted versions, a lecture's satisfaction answers)."""
    out = []
    for q in questions:
        values = [a[str(q.id)] for a in answers if a.get(str(q.id)) not in (None, "", [])]
        lines = [(N_("回答数"), len(values))]
        bars = []
        if q.kind in ("single_choice", "multiple_choice"):
            c = Counter(v for value in values for v in (value if isinstance(value, list)
                                                        else [value]))
            bars = [(o, c.get(o, 0)) for o in q.options]
            lines += bars
        elif q.kind == "number" and values:
            nums = [v for v in values if isinstance(v, (int, float))]
            lines += [(N_("平均"), round(sum(nums) / len(nums), 2)), (N_("最小"), min(nums)),
                      (N_("最大"), max(nums)), (N_("合計"), sum(nums))] if nums else []
        out.append({"question": q, "answered": len(values), "lines": lines, "bars": bars,
                    "total": len(answers)})
    return out


def municipality_survey_answers(municipality_id, user, limit=50):
    """For the municipality's dossier: [(survey, response)] of the surveys it answered, newest
    first, with the user's scoping (a liaison of another region sees none)."""
    stmt = sa.select(SurveyResponse).join(Survey).where(
        SurveyResponse.municipality_id == municipality_id, SurveyResponse.version > 0).order_by(
        SurveyResponse.submitted_at.desc()).limit(limit)
    return [(r.survey, r) for r in db.session.scalars(
        permissions.scope_survey_responses(stmt, user))]


def surveys_sent_to(municipality_id, limit=50):
    """Open and closed surveys sent to a municipality, newest first."""
    return db.session.scalars(sa.select(Survey).join(SurveyTarget).where(
        SurveyTarget.municipality_id == municipality_id).order_by(Survey.id.desc())
        .limit(limit)).all()
