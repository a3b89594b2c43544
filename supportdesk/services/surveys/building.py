"""Building a survey: its settings, questions and targets; opening and closing it."""
import logging

import sqlalchemy as sa
from flask_babel import gettext as _

from ... import permissions
from ...extensions import db
from ...models import Survey, SurveyQuestion, SurveyTarget
from ...models.org import DX_STAFF_BANDS, POPULATION_BANDS
from ...models.survey import CHOICE_KINDS, QUESTION_KINDS
from ...notifications import notify
from ...timeutil import JST, utcnow
from ...workflows.surveys import SurveyAction, SurveyStatus, transition_for
from .. import ValidationFailed
from ..announcements import target_municipalities
from ..audit import record_audit

logger = logging.getLogger(__name__)


def _check(survey, action, actor):
    t = transition_for(survey.status, action)
    if t is None:
        raise ValidationFailed(_("この調査の状態ではその操作はできません。"))
    if actor.role not in t.by:
        raise permissions.PermissionDenied(f"{actor.id} may not {action} survey {survey.id}")
    return t


def _move(survey, t, actor):
    """The one place a survey's status is written: `t` is a checked row of the table."""
    before, survey.status = survey.status, t.to.value
    logger.info("survey %s %s -> %s by user %s", survey.id, before, survey.status, actor.id)


def _settings(title, purpose, deadline, reminder_days, population_bands, dx_staff_bands, now):
    if not (title or "").strip():
        raise ValidationFailed(_("件名を入力してください。"), field="title")
    if not (purpose or "").strip():
        raise ValidationFailed(_("調査の目的を入力してください。"), field="purpose")
    if deadline is None:
        raise ValidationFailed(_("回答期限を入力してください。"), field="deadline")
    if deadline < now.astimezone(JST).date():
        raise ValidationFailed(_("回答期限に過去の日付は指定できません。"), field="deadline")
    if reminder_days is None or not 0 <= reminder_days <= 20:
        raise ValidationFailed(_("リマインドは0~20営業日前で指定してください。"), field="reminder_days")
    if any(b not in POPULATION_BANDS for b in population_bands) or any(
            b not in DX_STAFF_BANDS for b in dx_staff_bands):
        raise ValidationFailed(_("対象の条件が正しくありません。"), field="target_all")


def _apply(survey, *, title, purpose, deadline, reminder_days, target_all, region_ids,
           population_bands, dx_staff_bands, municipality_ids, recipient_role):
    survey.title, survey.purpose = title.strip(), purpose.strip()
    survey.deadline, survey.reminder_days = deadline, reminder_days
    survey.target_all = bool(target_all)
    survey.target_region_ids = sorted(set(region_ids)) or None
    survey.target_population_bands = list(population_bands) or None
    survey.target_dx_staff_bands = list(dx_staff_bands) or None
    survey.target_municipality_ids = sorted(set(municipality_ids)) or None
    survey.recipient_role = (recipient_role or "").strip() or None
    if not target_municipalities(survey):
        raise ValidationFailed(_("対象の市町がありません。対象の条件を確認してください。"),
                               field="target_all")


def create_survey(actor, *, title, purpose, deadline, reminder_days=3, target_all=False,
                  region_ids=(), population_bands=(), dx_staff_bands=(), municipality_ids=(),
                  recipient_role=None, now=None):
    """A new survey in 作成中 (draft): questions are added next, then it is opened."""
    now = now or utcnow()
    permissions.require(actor, "create", "survey")
    _settings(title, purpose, deadline, reminder_days, population_bands, dx_staff_bands, now)
    survey = Survey(created_by_id=actor.id, created_at=now, status=SurveyStatus.DRAFT.value)
    _apply(survey, title=title, purpose=purpose, deadline=deadline, reminder_days=reminder_days,
           target_all=target_all, region_ids=region_ids, population_bands=population_bands,
           dx_staff_bands=dx_staff_bands, municipality_ids=municipality_ids,
           recipient_role=recipient_role)
    db.session.add(survey)
    db.session.flush()
    record_audit("survey.create", actor=actor, target=survey, now=now)
    return survey


def update_survey(survey, actor, *, now=None, **settings):
    """Change a survey's settings. In 作成中 everything; once open only the title, the purpose,
    the deadline and the reminder (the targets were fixed when it opened)."""
    now = now or utcnow()
    permissions.require(actor, "manage", survey)
    if survey.status == SurveyStatus.CLOSED:
        raise ValidationFailed(_("締め切った調査は変更できません。"))
    _settings(settings["title"], settings["purpose"], settings["deadline"],
              settings["reminder_days"], settings.get("population_bands", ()),
              settings.get("dx_staff_bands", ()), now)
    if survey.status == SurveyStatus.DRAFT:
        _apply(survey, **settings)
    else:
        survey.title, survey.purpose = settings["title"].strip(), settings["purpose"].strip()
        survey.deadline, survey.reminder_days = settings["deadline"], settings["reminder_days"]
    db.session.flush()
    record_audit("survey.update", actor=actor, target=survey, now=now)
    return survey


def _question_fields(kind, label, options):
    if kind not in QUESTION_KINDS:
        raise ValidationFailed(_("質問の種類を選んでください。"), field="kind")
    if not (label or "").strip():
        raise ValidationFailed(_("質問文を入力してください。"), field="label")
    options = [o.strip() for o in options or () if o and o.strip()]
    if kind in CHOICE_KINDS and len(options) < 2:
        raise ValidationFailed(_("選択肢を2つ以上、1行に1つずつ入力してください。"), field="options")
    if kind == "table" and not options:
        raise ValidationFailed(_("表の列名を1行に1つずつ入力してください。"), field="options")
    if len(set(options)) != len(options):
        raise ValidationFailed(_("同じ選択肢・列名が重複しています。"), field="options")
    return options if kind in CHOICE_KINDS + ("table",) else None


def _draft_only(survey):
    if survey.status != SurveyStatus.DRAFT:
        raise ValidationFailed(_("質問を変更できるのは作成中の調査だけです。"))


def add_question(survey, actor, *, kind, label, help_text=None, required=False, options=(),
                 status_item_key=None, now=None):
    now = now or utcnow()
    permissions.require(actor, "manage", survey)
    _draft_only(survey)
    opts = _question_fields(kind, label, options)
    q = SurveyQuestion(survey=survey, kind=kind, label=label.strip(),
                       help_text=(help_text or "").strip() or None, required=bool(required),
                       options=opts, status_item_key=(status_item_key or "").strip() or None,
                       position=max((x.position for x in survey.questions), default=0) + 1)
    db.session.add(q)
    db.session.flush()
    record_audit("survey.question.add", actor=actor, target=survey, now=now, question_id=q.id)
    return q


def update_question(q, actor, *, kind, label, help_text=None, required=False, options=(),
                    status_item_key=None, now=None):
    now = now or utcnow()
    permissions.require(actor, "manage", q.survey)
    _draft_only(q.survey)
    q.options = _question_fields(kind, label, options)
    q.kind, q.label = kind, label.strip()
    q.help_text = (help_text or "").strip() or None
    q.required = bool(required)
    q.status_item_key = (status_item_key or "").strip() or None
    db.session.flush()
    record_audit("survey.question.update", actor=actor, target=q.survey, now=now,
                 question_id=q.id)
    return q


def move_question(q, actor, direction, now=None):
    """Swap a question with its neighbour above ("up") or below ("down")."""
    now = now or utcnow()
    permissions.require(actor, "manage", q.survey)
    _draft_only(q.survey)
    qs = list(q.survey.questions)
    i = qs.index(q)
    j = i - 1 if direction == "up" else i + 1
    if 0 <= j < len(qs):
        qs[i], qs[j] = qs[j], qs[i]
        for pos, x in enumerate(qs, start=1):
            x.position = pos
        db.session.flush()
        record_audit("survey.question.move", actor=actor, target=q.survey, now=now,
                     question_id=q.id, direction=direction)
    q.survey.questions.sort(key=lambda x: x.position)
    return q


def delete_question(q, actor, now=None):
    now = now or utcnow()
    survey = q.survey
    permissions.require(actor, "manage", survey)
    _draft_only(survey)
    survey.questions.remove(q)
    db.session.flush()
    record_audit("survey.question.delete", actor=actor, target=survey, now=now, question_id=q.id)
    return survey


def open_survey(survey, actor, now=None):
    """Fix the targets and send the notice to each municipality's respondents and room."""
    now = now or utcnow()
    permissions.require(actor, "manage", survey)
    t = _check(survey, SurveyAction.OPEN, actor)
    if not survey.questions:
        raise ValidationFailed(_("質問を1つ以上追加してから開始してください。"))
    if survey.deadline < now.astimezone(JST).date():
        raise ValidationFailed(_("回答期限が過ぎています。期限を変更してから開始してください。"))
    munis = target_municipalities(survey)
    if not munis:
        raise ValidationFailed(_("対象の市町がありません。対象の条件を確認してください。"))
    for m in munis:
        survey.targets.append(SurveyTarget(municipality_id=m.id))
    _move(survey, t, actor)
    survey.opened_at = now
    db.session.flush()
    link = f"/surveys/{survey.id}"
    for m in munis:
        notify("survey.opened", municipality=m,
               recipients=permissions.survey_respondents(survey, m.id),
               actor=actor, now=now, link=link, survey=survey, urgent=False,
               event_key=f"survey:{survey.id}:opened:m{m.id}")
    record_audit("survey.open", actor=actor, target=survey, now=now, municipalities=len(munis))
    return survey


def close_survey(survey, actor, now=None):
    now = now or utcnow()
    permissions.require(actor, "manage", survey)
    _move(survey, _check(survey, SurveyAction.CLOSE, actor), actor)
    survey.closed_at = now
    db.session.flush()
    record_audit("survey.close", actor=actor, target=survey, now=now)
    return survey


def surveys_for(user, limit=200):
    """The surveys the user may see, newest first (staff: those sent to their municipality)."""
    stmt = sa.select(Survey).order_by(Survey.id.desc()).limit(limit)
    return db.session.scalars(permissions.scope_surveys(stmt, user)).all()
