"""The standardisation checklist (チェックシート, package Ⅲ-1(4)) sent and returned as a survey:
per core business system, questions on its migration state, planned and actual dates, vendor
and government-cloud line, each mapped to the standardisation tracker by its key
("std:<system code>:<field>"). A submitted answer records each answered system's state with the
survey (and the answer's version) named as the source; what was not asked is kept."""
import logging
from datetime import date

from flask_babel import gettext as _

from ...extensions import db
from ...models.standardisation import MIGRATION_STATE_LABELS
from ...timeutil import JST, utcnow
from .. import ValidationFailed
from ..surveys.building import add_question, create_survey
from .standardisation import current_migrations, record_migration, standard_systems

logger = logging.getLogger(__name__)
PREFIX = "std:"
YES, NO = "はい", "いいえ"
# field: (question kind, label after the system's name, options, help). Labels and options are
# the survey's own text (stored with it, in the municipalities' language).
QUESTIONS = {
    "status": ("single_choice", "移行状況", list(MIGRATION_STATE_LABELS.values()), None),
    "planned_on": ("date", "移行予定日", None, None),
    "migrated_on": ("date", "移行日(実績)", None, "移行完了の場合に記入してください。"),
    "vendor": ("short_text", "事業者(ベンダ)", None, None),
    "line_contracted": ("single_choice", "ガバメントクラウド接続回線の契約", [YES, NO], None),
}
STATE_BY_LABEL = {label: code for code, label in MIGRATION_STATE_LABELS.items()}


def checklist_key(system_code, field):
    return f"{PREFIX}{system_code}:{field}"


def parse_key(key):
    """(system code, field) of a checklist key, or None for any other key (a status item's)."""
    if not key or not key.startswith(PREFIX):
        return None
    code, _sep, field = key[len(PREFIX):].partition(":")
    return (code, field) if field in QUESTIONS else None


def create_checklist(actor, *, deadline, region_ids=(), municipality_ids=(), title=None,
                     now=None):
    """A survey in 作成中 holding the checklist's questions for the 20 systems, to all the
    municipalities (or the given regions / municipalities). The builder opens it."""
    now = now or utcnow()
    every = not region_ids and not municipality_ids
    survey = create_survey(
        actor, title=title or _("システム標準化・ガバメントクラウド チェックシート"),
        purpose=_("標準準拠システムへの移行とガバメントクラウド利用の状況を、業務ごとに確認します。"
                  "回答は県の標準化の進捗表に反映されます。"),
        deadline=deadline, target_all=every, region_ids=region_ids,
        municipality_ids=municipality_ids, now=now)
    for code, name, _en in standard_systems():
        for field, (kind, label, options, help_text) in QUESTIONS.items():
            add_question(survey, actor, kind=kind, label=f"{name}: {label}", help_text=help_text,
                         options=options or (), status_item_key=checklist_key(code, field),
                         now=now)
    logger.info("standardisation checklist survey %s made by user %s", survey.id, actor.id)
    return survey


def _answered(response):
    """{system code: {field: value}} of the response's checklist answers."""
    out = {}
    for q in response.survey.questions:
        parsed = parse_key(q.status_item_key)
        value = (response.answers or {}).get(str(q.id))
        if parsed and value not in (None, "", []):
            out.setdefault(parsed[0], {})[parsed[1]] = value
    return out


def apply_checklist_answers(response, actor, now):
    """Record each answered system's state from a submitted answer: the system's current row,
    changed by what was answered. A system whose answers the tracker refuses (a completed
    migration without its date, say) is logged and left out; the answer itself stands.
    Returns the system codes recorded."""
    answered = _answered(response)
    if not answered:
        return []
    current = current_migrations([response.municipality_id])
    recorded = []
    for code, fields in answered.items():
        row = current.get((response.municipality_id, code))
        state = dict(status=row.status if row else "not_started",
                     planned_on=row.planned_on if row else None,
                     migrated_on=row.migrated_on if row else None,
                     special_support=row.special_support if row else False,
                     vendor=row.vendor if row else None,
                     line_contracted=row.line_contracted if row else False)
        if "status" in fields:
            state["status"] = STATE_BY_LABEL.get(fields["status"], fields["status"])
            if state["status"] != "migrated" and "migrated_on" not in fields:
                state["migrated_on"] = None
        for field in ("planned_on", "migrated_on"):
            if field in fields:
                state[field] = date.fromisoformat(fields[field])
        if "vendor" in fields:
            state["vendor"] = fields["vendor"]
        if "line_contracted" in fields:
            state["line_contracted"] = fields["line_contracted"] == YES
        try:
            with db.session.begin_nested():
                record_migration(response.municipality, code, actor=actor, source_kind="survey",
                                 source_ref=f"survey:{response.survey_id}:v{response.version}",
                                 as_of=now.astimezone(JST).date(), now=now, **state)
        except ValidationFailed as exc:
            logger.warning("survey %s: checklist answer for %s of municipality %s not recorded:"
                           " %s", response.survey_id, code, response.municipality_id, exc)
            continue
        recorded.append(code)
    return recorded
