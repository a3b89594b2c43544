"""廃棄: remove a record's bodies, personal data and files for good, keeping a skeleton.

The skeleton is what the reports count: the request row with its kind, origin, municipality,
region, themes, co-applicants, state, dates and numbers; its request events (redacted); its
support actions, waits and expert assignments without their free text; visits with their
state, dates, municipalities and attendance counts. Everything typed by people (titles,
bodies, notes, reasons, the conversation, mail, form answers, notices) goes, and so do the
files in the upload store: they are unlinked when the transaction commits (a rollback keeps
them, as it keeps the rows that name them).

The hash chains stay verifiable: request events hash their free text through a stored digest
(models/chain.py), so the redaction the triggers allow (data and note to NULL) keeps every row
hash; nothing chained is deleted. The disposal itself is appended to the audit log.
The audit log cannot be destroyed: deleting its rows would break the chain that proves every
other disposal; its kind allows 移管 only (kinds.py).
"""
import logging
import os

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy import event
from sqlalchemy.orm import Session

from ...extensions import db
from ...models import (
    ExpertAssignment,
    FormAnswer,
    FormAnswerRevision,
    InAppNotification,
    InboundMail,
    OutboxMessage,
    RequestAttachment,
    RequestComment,
    RequestWaitingPeriod,
    RoundRecord,
    SatisfactionResponse,
    SupportAction,
    SupportRequest,
    Survey,
    SurveyFile,
    SurveyResponse,
    SurveyResponseVersion,
    Visit,
    VisitRecord,
)
from ...models.retention import RecordKind
from .. import DomainError
from ..chain import redact_request_events, redact_survey_answers
from ..requests.attachments import upload_folder
from ..requests.search import refresh_search_text

logger = logging.getLogger(__name__)

# What a destroyed record's title becomes (stored data: not translated).
DISPOSED_TITLE = "(廃棄済)"
UNLINK = "supportdesk.retention.unlink"  # session.info: paths to remove once committed


class DisposalRefused(DomainError):
    pass


def _unlink_on_commit(names):
    folder = upload_folder()
    db.session.info.setdefault(UNLINK, []).extend(
        os.path.join(folder, n) for n in names if n)


@event.listens_for(Session, "after_commit")
def _unlink_files(session):
    for path in session.info.pop(UNLINK, ()):
        try:
            os.remove(path)
        except FileNotFoundError:
            pass
        logger.info("retention: removed %s", path)


@event.listens_for(Session, "after_rollback")
def _keep_files(session):
    session.info.pop(UNLINK, None)


def _rows(model, *where):
    return db.session.scalars(sa.select(model).where(*where)).all()


def destroy_request(record_id, *, actor, now):
    sreq = db.session.get(SupportRequest, record_id)
    comment_ids = [c.id for c in _rows(RequestComment, RequestComment.request_id == record_id)]
    files = []
    for a in _rows(RequestAttachment, RequestAttachment.request_id == record_id):
        files.append(a.stored_name)
        db.session.delete(a)
    mails = _rows(InboundMail, sa.or_(InboundMail.request_id == record_id,
                                      InboundMail.comment_id.in_(comment_ids or [-1])))
    for m in mails:
        files.append(m.stored_name)
        m.text, m.subject, m.from_address, m.message_id = None, "", "", ""
        m.stored_name, m.comment_id = None, None
    db.session.flush()
    for c in _rows(RequestComment, RequestComment.id.in_(comment_ids or [-1])):
        db.session.delete(c)
    sreq.title, sreq.body = DISPOSED_TITLE, ""
    sreq.prework = sreq.venue = sreq.hold_reason = sreq.withdraw_reason = None
    sreq.decline_reason = None
    sreq.followers = []
    for action in _rows(SupportAction, SupportAction.request_id == record_id):
        action.note = action.vendor_name = None
    for assignment in _rows(ExpertAssignment, ExpertAssignment.request_id == record_id):
        assignment.reason = None
    for wait in _rows(RequestWaitingPeriod, RequestWaitingPeriod.request_id == record_id):
        wait.reason = None
    for answer in _rows(FormAnswer, FormAnswer.request_id == record_id):
        answer.payload, answer.reason = {}, None
        for revision in _rows(FormAnswerRevision, FormAnswerRevision.answer_pk == answer.id):
            revision.payload = {}
    for message in _rows(OutboxMessage, OutboxMessage.request_id == record_id):
        message.subject, message.body, message.html = "", "", None
        message.payload, message.last_error = None, None
    for notice in _rows(InAppNotification, InAppNotification.request_id == record_id):
        notice.title, notice.body = DISPOSED_TITLE, ""
    db.session.flush()
    refresh_search_text(sreq)  # from what is left: the number and the disposed title
    redact_request_events([record_id], actor=actor, now=now)
    _unlink_on_commit(files)
    return {"files": len([f for f in files if f]), "comments": len(comment_ids)}


def destroy_visit_record(record_id, *, actor, now):
    record = db.session.get(VisitRecord, record_id)
    record.covered = record.issues = record.follow_ups = ""
    visit = db.session.get(Visit, record.visit_id)
    visit.title = DISPOSED_TITLE
    visit.venue = visit.online_details = visit.cancel_reason = None
    for answer in _rows(SatisfactionResponse, SatisfactionResponse.visit_id == visit.id):
        answer.comment = ""
    db.session.flush()
    return {"files": 0}


def destroy_round_record(record_id, *, actor, now):
    record = db.session.get(RoundRecord, record_id)
    record.progress = record.issues = ""
    db.session.flush()
    return {"files": 0}


def destroy_survey(record_id, *, actor, now):
    survey = db.session.get(Survey, record_id)
    survey.purpose = ""
    response_ids = [r.id for r in _rows(SurveyResponse, SurveyResponse.survey_id == record_id)]
    for response in _rows(SurveyResponse, SurveyResponse.id.in_(response_ids or [-1])):
        response.answers = {}
    # The submitted versions are chained and append-only: the one change they allow is the
    # redaction that blanks their answers (services/chain.py), audited there.
    redact_survey_answers(response_ids, actor=actor, now=now)
    files = []
    for f in _rows(SurveyFile, SurveyFile.response_id.in_(response_ids or [-1])):
        files.append(f.stored_name)
        db.session.delete(f)
    db.session.flush()
    _unlink_on_commit(files)
    return {"files": len(files)}


def destroy_meeting_minutes(record_id, *, actor, now):
    """The minutes, agenda, answers' notes and substitutes, items' texts and the materials go;
    the meeting's series, dates, attendance flags and items' kinds, owners and states stay."""
    from ...models import Meeting, MeetingActionItem, MeetingInvitation, MeetingMaterial

    meeting = db.session.get(Meeting, record_id)
    meeting.minutes = meeting.agenda = meeting.venue = meeting.online_url = None
    meeting.title = DISPOSED_TITLE
    for inv in _rows(MeetingInvitation, MeetingInvitation.meeting_id == record_id):
        inv.substitute_name = inv.answer_note = inv.email = None
    for item in _rows(MeetingActionItem, MeetingActionItem.meeting_id == record_id):
        item.title, item.detail, item.close_note = DISPOSED_TITLE, None, None
    files = []
    for f in _rows(MeetingMaterial, MeetingMaterial.meeting_id == record_id):
        files.append(f.stored_name)
        db.session.delete(f)
    db.session.flush()
    _unlink_on_commit(files)
    return {"files": len(files)}


def _refuse_audit_log(record_id, *, actor, now):
    raise DisposalRefused(_("監査ログは廃棄できません(ハッシュチェーンが廃棄の記録そのものを守るため)。移管してください。"))


DESTROY = {
    RecordKind.REQUEST: destroy_request,
    RecordKind.VISIT_RECORD: destroy_visit_record,
    RecordKind.ROUND_RECORD: destroy_round_record,
    RecordKind.SURVEY: destroy_survey,
    RecordKind.MEETING_MINUTES: destroy_meeting_minutes,
    RecordKind.AUDIT_LOG: _refuse_audit_log,
}


def destroy_record(kind, record_id, *, actor, now):
    """Destroy one record of `kind` (the caller audits and marks it); returns what went."""
    done = DESTROY[RecordKind(kind)](record_id, actor=actor, now=now)
    logger.info("retention: destroyed %s %s by %s", kind, record_id, getattr(actor, "id", None))
    return done
