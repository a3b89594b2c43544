"""移管: write a self-contained archive of a record before it is marked transferred.

The archive is a directory under RETENTION_ARCHIVE_FOLDER (default instance/retention/transfers):
`manifest.json` (the record and its history as data), `record.html` (the same, readable in any
browser, no outside resources), the record's files under `files/`, and `SHA256SUMS` (sha256sum
format) over all of them. It is written to a temporary name and renamed when complete, so a
half-written archive never looks finished.
"""
import hashlib
import json
import os
import shutil
from datetime import date, datetime, time

import sqlalchemy as sa
from flask import current_app, render_template

from ...extensions import db
from ...models import (
    AuditLog,
    RequestAttachment,
    RequestComment,
    RequestEvent,
    RoundRecord,
    SupportAction,
    SupportRequest,
    Survey,
    SurveyFile,
    SurveyQuestion,
    SurveyResponse,
    User,
    Visit,
    VisitRecord,
)
from ...models.retention import RecordKind
from ...models.support_request import KIND_LABELS
from ...timeutil import JST, to_jst
from ..requests.attachments import upload_folder

FORMAT = "supportdesk-retention-archive/1"


def archive_folder():
    return current_app.config.get("RETENTION_ARCHIVE_FOLDER") or os.path.join(
        current_app.instance_path, "retention", "transfers")


def _when(value):
    return to_jst(value).isoformat() if value is not None else None


def _names(ids):
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(User.id, User.display_name).where(User.id.in_(ids))).all())


def _rows(model, *where, order=None):
    return db.session.scalars(sa.select(model).where(*where).order_by(order or model.id)).all()


def _request(record_id):
    sreq = db.session.get(SupportRequest, record_id)
    comments = _rows(RequestComment, RequestComment.request_id == record_id)
    events = _rows(RequestEvent, RequestEvent.request_id == record_id)
    actions = _rows(SupportAction, SupportAction.request_id == record_id)
    files = _rows(RequestAttachment, RequestAttachment.request_id == record_id)
    names = _names([sreq.filer_id, sreq.assignee_id] + [c.author_id for c in comments]
                   + [e.actor_id for e in events])
    data = {
        "number": sreq.number, "kind": sreq.kind, "kind_label": str(KIND_LABELS[sreq.kind]),
        "state": sreq.state, "municipality": sreq.municipality.name,
        "themes": [t.name_ja for t in sreq.themes], "title": sreq.title, "body": sreq.body,
        "filer": names.get(sreq.filer_id), "assignee": names.get(sreq.assignee_id),
        "submitted_at": _when(sreq.submitted_at), "closed_at": _when(sreq.closed_at),
        "withdraw_reason": sreq.withdraw_reason, "decline_reason": sreq.decline_reason,
    }
    conversation = [{"at": _when(c.created_at), "author": names.get(c.author_id),
                     "internal": c.internal, "body": c.body} for c in comments]
    history = [{"at": _when(e.at), "actor": names.get(e.actor_id), "kind": e.kind,
                "action": e.action, "from": e.from_state, "to": e.to_state, "note": e.note}
               for e in events]
    support = [{"at": _when(a.at), "kind": a.kind, "department": a.target_department,
                "vendor": a.vendor_name, "note": a.note} for a in actions]
    return (f"{sreq.number} {KIND_LABELS[sreq.kind]}", data,
            [("会話", conversation), ("対応履歴", history), ("支援の記録", support)],
            [(f.stored_name, f.filename) for f in files])


def _visit_record(record_id):
    record = db.session.get(VisitRecord, record_id)
    visit = db.session.get(Visit, record.visit_id)
    data = {"visit_kind": visit.kind, "title": visit.title, "starts_at": _when(visit.starts_at),
            "ends_at": _when(visit.ends_at), "venue": visit.venue,
            "municipalities": [m.name for m in visit.municipalities],
            "attendees": record.total_attendees, "covered": record.covered,
            "issues": record.issues, "follow_ups": record.follow_ups}
    return f"実施記録 No.{record.id}", data, [], []


def _round_record(record_id):
    record = db.session.get(RoundRecord, record_id)
    data = {"municipality": record.municipality.name, "recorded_at": _when(record.recorded_at),
            "progress": record.progress, "issues": record.issues,
            "shared_departments": record.shared_department_names}
    return f"定期巡回の記録 No.{record.id}", data, [], []


def _survey(record_id):
    survey = db.session.get(Survey, record_id)
    questions = _rows(SurveyQuestion, SurveyQuestion.survey_id == record_id,
                      order=SurveyQuestion.position)
    responses = _rows(SurveyResponse, SurveyResponse.survey_id == record_id)
    files = _rows(SurveyFile, SurveyFile.response_id.in_([r.id for r in responses] or [-1]))
    data = {"title": survey.title, "purpose": survey.purpose, "deadline": str(survey.deadline),
            "opened_at": _when(survey.opened_at), "closed_at": _when(survey.closed_at),
            "questions": [{"id": q.id, "label": q.label, "kind": q.kind} for q in questions]}
    answers = [{"municipality": r.municipality.name, "status": r.status,
                "submitted_at": _when(r.submitted_at),
                "answers": json.dumps(r.answers, ensure_ascii=False, sort_keys=True)}
               for r in responses]
    return (f"調査・照会「{survey.title}」", data, [("回答", answers)],
            [(f.stored_name, f.filename) for f in files])


def _audit_log(fy):
    start = datetime.combine(date(fy, 4, 1), time(), tzinfo=JST)
    end = datetime.combine(date(fy + 1, 4, 1), time(), tzinfo=JST)
    rows = _rows(AuditLog, AuditLog.at >= start, AuditLog.at < end)
    entries = [{"id": r.id, "at": _when(r.at), "actor_id": r.actor_id, "action": r.action,
                "target": f"{r.target_type or ''}/{r.target_id or ''}", "ip": r.ip,
                "detail": json.dumps(r.detail, ensure_ascii=False, sort_keys=True),
                "row_hash": r.row_hash} for r in rows]
    return f"監査ログ {fy}年度", {"fiscal_year": fy, "rows": len(entries)}, [("記録", entries)], []


def _meeting_minutes(record_id):
    from ...models import Meeting, MeetingActionItem, MeetingInvitation, MeetingMaterial

    meeting = db.session.get(Meeting, record_id)
    data = {"title": meeting.title, "series": meeting.series.title,
            "starts_at": _when(meeting.starts_at), "ends_at": _when(meeting.ends_at),
            "venue": meeting.venue, "agenda": meeting.agenda, "minutes": meeting.minutes,
            "minutes_internal": meeting.minutes_internal,
            "minutes_published_at": _when(meeting.minutes_published_at)}
    attendance = [{"name": i.name, "answer": i.answer or "", "substitute": i.substitute_name or "",
                   "attended": i.attended}
                  for i in _rows(MeetingInvitation, MeetingInvitation.meeting_id == record_id)]
    items = [{"kind": a.kind, "title": a.title, "detail": a.detail or "", "due_on": str(a.due_on),
              "status": a.status, "close_note": a.close_note or ""}
             for a in _rows(MeetingActionItem, MeetingActionItem.meeting_id == record_id)]
    files = _rows(MeetingMaterial, MeetingMaterial.meeting_id == record_id)
    return (f"会議録「{meeting.title}」", data, [("出欠", attendance), ("決定事項・宿題", items)],
            [(f.stored_name, f.filename) for f in files])


CONTENT = {RecordKind.REQUEST: _request, RecordKind.VISIT_RECORD: _visit_record,
           RecordKind.ROUND_RECORD: _round_record, RecordKind.SURVEY: _survey,
           RecordKind.MEETING_MINUTES: _meeting_minutes, RecordKind.AUDIT_LOG: _audit_log}


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_archive(row, *, now):
    """Write the archive of the record behind `row` (a RetentionRecord); returns its path."""
    title, data, sections, files = CONTENT[RecordKind(row.kind)](row.record_id)
    base = archive_folder()
    name = f"{row.kind}-{row.record_id}-{to_jst(now):%Y%m%d%H%M%S}"
    final, partial = os.path.join(base, name), os.path.join(base, f".{name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    os.makedirs(os.path.join(partial, "files"))
    copied = []
    for i, (stored, filename) in enumerate(files, 1):
        source = os.path.join(upload_folder(), stored)
        target = f"files/{i:03d}-{os.path.basename(filename)}"
        if os.path.exists(source):
            shutil.copyfile(source, os.path.join(partial, target))
            copied.append({"file": target, "filename": filename})
        else:
            copied.append({"file": None, "filename": filename, "missing": True})
    manifest = {"format": FORMAT, "kind": row.kind, "record_id": row.record_id,
                "name": row.name, "title": title, "retention_class": row.retention_class,
                "starts_on": str(row.starts_on), "ends_on": str(row.ends_on),
                "written_at": _when(now), "record": data,
                "sections": {heading: rows for heading, rows in sections}, "files": copied}
    with open(os.path.join(partial, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, ensure_ascii=False, indent=2, default=str)
    html = render_template("retention/archive.html", manifest=manifest, sections=sections)
    with open(os.path.join(partial, "record.html"), "w", encoding="utf-8") as f:
        f.write(html)
    listed = ["manifest.json", "record.html"] + [c["file"] for c in copied if c["file"]]
    with open(os.path.join(partial, "SHA256SUMS"), "w", encoding="utf-8") as f:
        f.writelines(f"{_sha256(os.path.join(partial, rel))}  {rel}\n" for rel in listed)
    os.replace(partial, final)
    return final
