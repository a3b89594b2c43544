"""Answers of a connected form service (LoGoフォーム...) and CSV exports of them, into requests.

`receive_answer(connection, payload)` is the one way in, for the JSON POST of the form service
and for each row of a CSV import. An answer is keyed by its 回答ID: a resend of the same answer
changes nothing, a changed one keeps the earlier version as a revision. An answer that maps
(a known municipality, an active staff member of it by e-mail, a title) becomes a draft or a
submitted request, as the connection says; one that does not waits for an admin with the
reason, and nothing is lost. The CSV import reads UTF-8 (with or without BOM) and CP932 (what
Japanese Excel writes), previews every row with its error, and imports only when confirmed.
"""
import csv
import hashlib
import io
import json
import logging
import secrets
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import permissions
from ..extensions import db
from ..models import FormAnswer, FormAnswerRevision, FormConnection, Municipality, Theme, User
from ..models.form_intake import DEFAULT_LABELS, MAPPABLE, AnswerStatus, IntakeMode
from ..models.support_request import KIND_LABELS
from ..notifications import notify
from ..roles import Role
from ..timeutil import utcnow
from . import ValidationFailed
from .audit import record_audit

logger = logging.getLogger(__name__)
MAX_CSV_BYTES = 5 * 1024 * 1024
MAX_CSV_ROWS = 2000


def _digest(payload):
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False, sort_keys=True)
                          .encode()).hexdigest()


def token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def create_connection(actor, *, name, mapping=None, mode=IntakeMode.DRAFT.value,
                      default_kind="consultation", now=None):
    """A new connection and its token (returned once, in clear; only its hash is kept)."""
    permissions.require(actor, "manage", "form_connection")
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_("接続の名前を入力してください。"), field="name")
    if mode not in {m.value for m in IntakeMode}:
        raise ValidationFailed(_("取り込み方法を選んでください。"), field="mode")
    if default_kind not in KIND_LABELS:
        raise ValidationFailed(_("依頼の種類を選んでください。"), field="default_kind")
    labels = {key: (mapping or {}).get(key, DEFAULT_LABELS[key]).strip() for key in MAPPABLE}
    for key in ("answer_id", "municipality", "filer_email", "title"):
        if not labels[key]:
            raise ValidationFailed(_("この項目の設問名は必須です。"), field=f"label_{key}")
    token = "fi_" + secrets.token_urlsafe(32)
    conn = FormConnection(name=name[:100], token_hash=token_hash(token), mapping=labels,
                          mode=mode, default_kind=default_kind, created_at=now or utcnow(),
                          created_by_id=actor.id)
    db.session.add(conn)
    db.session.flush()
    record_audit("form_connection.created", actor=actor, target=conn, now=now, name=conn.name)
    return conn, token


def active_connection(connection_id):
    conn = db.session.get(FormConnection, connection_id)
    return conn if conn is not None and conn.active else None


def token_matches(conn, token):
    return bool(token) and secrets.compare_digest(conn.token_hash, token_hash(token))


@dataclass
class Mapped:
    municipality: object = None
    filer: object = None
    kind: str = "consultation"
    fields: dict = None
    error: str | None = None


def _value(payload, label):
    value = payload.get(label) if label else None
    if isinstance(value, list):
        value = "、".join(str(v) for v in value)
    return ("" if value is None else str(value)).strip()


def _kind_of(text, default):
    if not text:
        return default
    for code, label in KIND_LABELS.items():
        if text in (code, str(label)) or str(label).startswith(text):
            return code
    return None


def map_answer(conn, payload):
    """What the answer would file, or why it cannot (a sentence for the admin page)."""
    labels = conn.mapping
    out = Mapped(fields={})
    name = _value(payload, labels.get("municipality"))
    out.municipality = db.session.scalar(sa.select(Municipality).where(
        sa.or_(Municipality.name == name, Municipality.code == name))) if name else None
    if out.municipality is None:
        out.error = _("市町「%(name)s」が見つかりません。", name=name or _("(空欄)"))
        return out
    email = _value(payload, labels.get("filer_email")).lower()
    out.filer = db.session.scalar(sa.select(User).where(
        sa.func.lower(User.email) == email, User.active.is_(True),
        User.role == Role.STAFF.value, User.municipality_id == out.municipality.id)) \
        if email else None
    if out.filer is None:
        out.error = _("%(municipality)sの職員として登録されたメールアドレス「%(email)s」がありません。",
                      municipality=out.municipality.name, email=email or _("(空欄)"))
        return out
    out.kind = _kind_of(_value(payload, labels.get("kind")), conn.default_kind)
    if out.kind is None:
        out.error = _("依頼の種類「%(kind)s」が分かりません。", kind=_value(payload, labels.get("kind")))
        return out
    title = _value(payload, labels.get("title"))
    if not title:
        out.error = _("件名が空欄です。")
        return out
    out.fields = {"title": title[:200], "body": _value(payload, labels.get("body"))}
    themes = [t.strip() for t in _value(payload, labels.get("themes")).replace(",", "、")
              .split("、") if t.strip()]
    if themes:
        rows = db.session.scalars(sa.select(Theme).where(sa.or_(
            Theme.name_ja.in_(themes), Theme.code.in_(themes)))).all()
        out.fields["theme_ids"] = [t.id for t in rows]
    needed = _value(payload, labels.get("needed_by"))
    if needed:
        try:
            out.fields["needed_by"] = date.fromisoformat(needed.replace("/", "-"))
        except ValueError:
            out.error = _("希望期限「%(value)s」は日付として読めません。", value=needed)
    return out


def receive_answer(conn, payload, *, now=None):
    """Store one answer (once per 回答ID) and file it if it maps; returns (FormAnswer, what)
    where what is "filed", "waiting", "unchanged" or "revised"."""
    now = now or utcnow()
    if not isinstance(payload, dict):
        raise ValidationFailed(_("回答はJSONのオブジェクトで送ってください。"))
    answer_id = _value(payload, conn.mapping.get("answer_id"))
    if not answer_id:
        raise ValidationFailed(_("回答ID(%(label)s)がありません。", label=conn.mapping.get("answer_id")))
    digest = _digest(payload)
    answer = db.session.scalar(sa.select(FormAnswer).where(
        FormAnswer.connection_id == conn.id, FormAnswer.answer_id == answer_id[:100]))
    if answer is not None:
        if answer.digest == digest:
            return answer, "unchanged"
        db.session.add(FormAnswerRevision(answer=answer, payload=answer.payload,
                                          received_at=answer.updated_at))
        answer.payload, answer.digest, answer.updated_at = payload, digest, now
        logger.info("form %s answer %s changed (revision kept)", conn.id, answer_id)
        if answer.status != AnswerStatus.WAITING.value:
            db.session.flush()
            return answer, "revised"  # the request is the desk's now; the change is on record
    else:
        answer = FormAnswer(connection_id=conn.id, answer_id=answer_id[:100], payload=payload,
                            digest=digest, status=AnswerStatus.WAITING.value, received_at=now,
                            updated_at=now)
        db.session.add(answer)
    db.session.flush()
    return answer, file_answer(answer, now=now)


def file_answer(answer, *, now=None):
    """Try to turn a waiting answer into a request; "filed" or "waiting" (with the reason)."""
    from .requests.filing import create_request

    now = now or utcnow()
    conn = answer.connection or db.session.get(FormConnection, answer.connection_id)
    mapped = map_answer(conn, answer.payload)
    if mapped.error is None:
        try:
            with db.session.begin_nested():
                sreq = create_request(mapped.filer, mapped.kind, municipality_id=None, now=now,
                                      submit=conn.mode == IntakeMode.SUBMIT.value,
                                      **mapped.fields)
        except ValidationFailed as exc:
            mapped.error = str(exc)
        else:
            answer.status, answer.reason, answer.request_id = AnswerStatus.FILED.value, None, sreq.id
            if conn.mode == IntakeMode.DRAFT.value:
                notify("intake.draft_created", recipients=[mapped.filer], now=now,
                       link=f"/requests/{sreq.id}", title=sreq.title, form_name=conn.name)
            db.session.flush()
            logger.info("form %s answer %s filed as request %s", conn.id, answer.answer_id, sreq.id)
            return "filed"
    answer.status, answer.reason = AnswerStatus.WAITING.value, mapped.error
    db.session.flush()
    return "waiting"


def retry_answer(actor, answer, *, now=None):
    permissions.require(actor, "manage", "form_connection")
    if answer.status != AnswerStatus.WAITING.value:
        raise ValidationFailed(_("この回答は確認待ちではありません。"))
    what = file_answer(answer, now=now)
    record_audit("form_answer.retried", actor=actor, target=answer, now=now, outcome=what)
    return what


def ignore_answer(actor, answer, *, now=None):
    permissions.require(actor, "manage", "form_connection")
    answer.status = AnswerStatus.IGNORED.value
    record_audit("form_answer.ignored", actor=actor, target=answer, now=now)
    db.session.flush()


def waiting_answers(conn):
    return db.session.scalars(sa.select(FormAnswer).where(
        FormAnswer.connection_id == conn.id, FormAnswer.status == AnswerStatus.WAITING.value)
        .order_by(FormAnswer.received_at)).all()


# -- CSV exports of the same form -------------------------------------------------------------

def read_csv(data):
    """Rows (dicts keyed by the header line) of a CSV in UTF-8 (BOM or not) or CP932."""
    if len(data) > MAX_CSV_BYTES:
        raise ValidationFailed(_("ファイルが大きすぎます(5MBまで)。"), field="file")
    for encoding in ("utf-8-sig", "cp932"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValidationFailed(_("文字コードが読み取れません(UTF-8 または Shift_JIS の CSV にしてください)。"),
                               field="file")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if not reader.fieldnames:
        raise ValidationFailed(_("見出しの行がありません。"), field="file")
    rows = [dict(r) for r in reader]
    if len(rows) > MAX_CSV_ROWS:
        raise ValidationFailed(_("行が多すぎます(%(n)d行まで)。", n=MAX_CSV_ROWS), field="file")
    return rows


@dataclass
class PreviewRow:
    line: int
    answer_id: str
    title: str
    municipality: str
    outcome: str          # new / unchanged / revised / error
    error: str | None


def preview_csv(conn, data):
    """What an import would do, row by row, without writing anything."""
    rows = read_csv(data)
    out = []
    for i, row in enumerate(rows, start=2):  # line 1 is the header
        answer_id = _value(row, conn.mapping.get("answer_id"))
        existing = db.session.scalar(sa.select(FormAnswer).where(
            FormAnswer.connection_id == conn.id, FormAnswer.answer_id == answer_id)) \
            if answer_id else None
        mapped = map_answer(conn, row)
        error = None if answer_id else _("回答IDが空欄です。")
        error = error or mapped.error
        if existing is not None and existing.digest == _digest(row):
            outcome = "unchanged"
        elif existing is not None:
            outcome = "revised"
        else:
            outcome = "error" if error else "new"
        out.append(PreviewRow(i, answer_id, _value(row, conn.mapping.get("title")),
                              _value(row, conn.mapping.get("municipality")), outcome, error))
    return out


def import_csv(actor, conn, data, *, now=None):
    """Import every row (each through receive_answer); {what: count}. Re-importing the same
    file creates nothing new. Rows that do not map wait for an admin like any answer."""
    permissions.require(actor, "manage", "form_connection")
    counts = {}
    for row in read_csv(data):
        if not _value(row, conn.mapping.get("answer_id")):
            counts["skipped"] = counts.get("skipped", 0) + 1
            continue
        _answer, what = receive_answer(conn, row, now=now)
        counts[what] = counts.get(what, 0) + 1
    record_audit("form_answers.imported", actor=actor, target=conn, now=now, counts=counts)
    return counts
