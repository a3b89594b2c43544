"""Answering a survey: one answer per municipality, drafted by anyone of it, submitted by its
respondent, corrected until the deadline (each submission kept as a version)."""
import logging
import re
from datetime import date
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask_babel import gettext as _

from ... import permissions
from ...extensions import db
from ...models import SurveyFile, SurveyResponse, SurveyResponseVersion
from ...timeutil import JST, utcnow
from ...workflows.surveys import SurveyStatus
from .. import ValidationFailed
from ..audit import record_audit
from ..requests.attachments import check_uploads, store_file

logger = logging.getLogger(__name__)
MAX_TEXT = {"short_text": 200, "long_text": 10000}
TABLE_ROWS = 30


class AnswersInvalid(ValidationFailed):
    """Several answers refused at once: `errors` is {field name: message}, shown beside each."""

    def __init__(self, errors):
        super().__init__(_("入力内容を確認してください。"))
        self.errors = errors


def response_of(survey, municipality_id):
    return db.session.scalar(sa.select(SurveyResponse).where(
        SurveyResponse.survey_id == survey.id, SurveyResponse.municipality_id == municipality_id))


def today_in_tokyo(now):
    return now.astimezone(JST).date()


def may_correct(survey, now):
    """Submitted answers can be corrected while the survey is open, until its deadline day."""
    return survey.status == SurveyStatus.OPEN and today_in_tokyo(now) <= survey.deadline


def _one(values, name):
    v = values.get(name)
    if isinstance(v, (list, tuple)):
        v = v[0] if v else ""
    return (v or "").strip() if isinstance(v, str) else v


def _many(values, name):
    v = values.get(name)
    if v is None:
        return []
    return [x for x in (v if isinstance(v, (list, tuple)) else [v]) if x]


def _number(text):
    try:
        n = Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None
    if not n.is_finite():
        return None
    return int(n) if n == n.to_integral_value() else float(n)


def _table(q, values):
    rows = []
    for r in range(TABLE_ROWS):
        cells = [_one(values, f"{q.field_name}_r{r}_c{c}") or "" for c in range(len(q.options))]
        if any(cells):
            rows.append(cells)
    return rows


def _clean_one(q, values):
    """(value or None, error or None) for one question from the typed values."""
    name = q.field_name
    if q.kind in MAX_TEXT:
        v = _one(values, name) or ""
        if len(v) > MAX_TEXT[q.kind]:
            return None, _("%(n)d文字以内で入力してください。", n=MAX_TEXT[q.kind])
        return v or None, None
    if q.kind == "number":
        v = _one(values, name) or ""
        if not v:
            return None, None
        n = _number(v)
        return (n, None) if n is not None else (None, _("数値を半角で入力してください。"))
    if q.kind == "date":
        v = _one(values, name) or ""
        if not v:
            return None, None
        try:
            return date.fromisoformat(v).isoformat(), None
        except ValueError:
            return None, _("日付を正しく入力してください(例: 2027-03-31)。")
    if q.kind == "single_choice":
        v = _one(values, name) or ""
        if v and v not in q.options:
            return None, _("選択肢から選んでください。")
        return v or None, None
    if q.kind == "multiple_choice":
        vs = _many(values, name)
        if any(v not in q.options for v in vs):
            return None, _("選択肢から選んでください。")
        return [o for o in q.options if o in vs] or None, None
    if q.kind == "table":
        rows = _table(q, values)
        return rows or None, None
    return None, None  # file questions: see _files


def clean_answers(survey, values, uploads, previous, *, require_all):
    """({question id: value}, {field name: error}, [(question, checked file)]) from what was
    typed. `values` maps field names to a string or a list of strings; `uploads` maps a file
    question's field name to a FileStorage or a (filename, bytes) pair; `previous` holds the
    answers kept so far (a file question with no new file keeps its earlier file)."""
    answers, errors, files = {}, {}, []
    for q in survey.questions:
        key = str(q.id)
        if q.kind == "file":
            upload = uploads.get(q.field_name)
            try:
                checked = check_uploads([upload], field=q.field_name) if upload is not None else []
            except ValidationFailed as exc:
                errors[q.field_name] = str(exc)
                continue
            if checked:
                files.append((q, checked[0]))
                answers[key] = {"filename": checked[0][0][0]}
            elif previous.get(key):
                answers[key] = previous[key]
        else:
            value, error = _clean_one(q, values)
            if error:
                errors[q.field_name] = error
                continue
            if value is not None:
                answers[key] = value
        if require_all and q.required and key not in answers and q.field_name not in errors:
            errors[q.field_name] = _("この質問は回答が必要です。")
    return answers, errors, files


def _store_files(response, files, actor, answers, now):
    for q, ((name, ext, content_type), data) in files:
        f = SurveyFile(response=response, question_id=q.id, filename=name,
                       content_type=content_type, uploaded_by_id=actor.id, uploaded_at=now,
                       **store_file(ext, data))
        db.session.add(f)
        db.session.flush()
        answers[str(q.id)] = {"file_id": f.id, "filename": name}


def _prepare(survey, actor, values, uploads, now, *, action, require_all):
    permissions.require(actor, "view", survey)
    response = response_of(survey, actor.municipality_id)
    if response is None:
        response = SurveyResponse(survey=survey, municipality_id=actor.municipality_id,
                                  status="draft", answers={}, version=0)
    permissions.require(actor, action, response)
    if survey.status != SurveyStatus.OPEN:
        raise ValidationFailed(_("この調査は回答を受け付けていません。"))
    answers, errors, files = clean_answers(survey, values, uploads,
                                           dict(response.answers or {}), require_all=require_all)
    if errors:
        raise AnswersInvalid(errors)
    return response, answers, files


def save_response_draft(survey, actor, *, values, uploads=None, now=None):
    """Keep what the municipality typed so far (any of its staff). Types are checked, required
    answers are not yet. A submitted answer is corrected by submitting again, not as a draft."""
    now = now or utcnow()
    response, answers, files = _prepare(survey, actor, values, uploads or {}, now,
                                        action="draft", require_all=False)
    if response.status == "submitted":
        raise ValidationFailed(_("提出済みの回答です。訂正する場合は、内容を直して再提出してください。"))
    if response.id is None:
        db.session.add(response)
        db.session.flush()
    _store_files(response, files, actor, answers, now)
    response.answers = answers
    response.updated_by_id, response.updated_at = actor.id, now
    db.session.flush()
    record_audit("survey.response.draft", actor=actor, target=response, now=now,
                 survey_id=survey.id)
    return response


def submit_response(survey, actor, *, values, uploads=None, now=None):
    """Submit (or, before the deadline, correct) the municipality's answer: only its respondent
    (permissions.may_submit_survey_response). Each submission is a new version; the earlier
    ones stay. A first answer after the deadline is accepted while the survey is open (late)."""
    now = now or utcnow()
    response, answers, files = _prepare(survey, actor, values, uploads or {}, now,
                                        action="submit", require_all=True)
    if not permissions.may_submit_survey_response(actor, response):
        raise ValidationFailed(_("回答を提出できるのは情報部門(または指定された回答者)です。"
                                 "下書きを保存して、担当者に提出を依頼してください。"))
    late = today_in_tokyo(now) > survey.deadline
    if response.status == "submitted" and not may_correct(survey, now):
        raise ValidationFailed(_("回答期限を過ぎたため、提出済みの回答は訂正できません。"))
    if response.id is None:
        db.session.add(response)
        db.session.flush()
    _store_files(response, files, actor, answers, now)
    correction = response.status == "submitted"
    response.answers = answers
    response.status = "submitted"
    response.version += 1
    response.updated_by_id, response.updated_at = actor.id, now
    response.submitted_by_id, response.submitted_at = actor.id, now
    response.first_submitted_at = response.first_submitted_at or now
    db.session.add(SurveyResponseVersion(response=response, version=response.version,
                                         answers=dict(answers), submitted_by_id=actor.id,
                                         submitted_at=now, late=late))
    db.session.flush()
    _apply_mapped_answers(response, actor, now)
    record_audit("survey.response.correct" if correction else "survey.response.submit",
                 actor=actor, target=response, now=now, survey_id=survey.id,
                 version=response.version, late=late)
    logger.info("survey %s: municipality %s submitted version %s (user %s)", survey.id,
                response.municipality_id, response.version, actor.id)
    return response


def mapped_answers(response):
    """[(question, value)] of the submitted answer for questions mapped to a DX status item."""
    return [(q, response.answers.get(str(q.id))) for q in response.survey.questions
            if q.status_item_key and str(q.id) in (response.answers or {})]


def _apply_mapped_answers(response, actor, now):
    """Where a submitted answer meets the DX status tracker: each answer to a question with a
    status_item_key becomes a value of that item (a checklist key "std:..." a system's
    standardisation state instead: municipalities/standardisation_checklist.py), as of the day
    it was submitted, with the survey (and the answer's version) named as its source. An answer the item cannot hold (a
    word for a yes/no item, say) is left out of the tracker and logged; the answer itself
    stands. Returns the (question, value) pairs recorded."""
    from ..municipalities.standardisation_checklist import apply_checklist_answers, parse_key
    from ..municipalities.status import record_status

    recorded = []
    for q, value in mapped_answers(response):
        if value in (None, "", []) or parse_key(q.status_item_key):
            continue
        try:
            with db.session.begin_nested():
                record_status(response.municipality, q.status_item_key, value, actor=actor,
                              source_kind="survey",
                              source_ref=f"survey:{response.survey_id}:v{response.version}",
                              as_of=now.astimezone(JST).date(), now=now)
        except (ValidationFailed, LookupError, KeyError) as exc:
            logger.warning("survey %s question %s: answer %r not recorded in %s: %s",
                           response.survey_id, q.id, value, q.status_item_key, exc)
            continue
        recorded.append((q, value))
    # The standardisation checklist's questions update the 20 systems' states (per system).
    apply_checklist_answers(response, actor, now)
    return recorded


def response_file(response, file_id):
    f = db.session.get(SurveyFile, file_id)
    return f if f is not None and f.response_id == response.id else None
