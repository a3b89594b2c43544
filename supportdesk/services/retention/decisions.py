"""The spring list and what admins decide on it: confirm, extend, hold; carrying out.

Every spring (the `retention.spring_list` job in April, or an admin's button) the desk writes a
RetentionRecord for each closed record whose period ends by the end of that fiscal year. An
admin confirms its disposition (移管 or 廃棄), extends its period with a reason, or puts a legal
hold on it. Holds override everything: a held record is never carried out, and its decision
cannot change until the hold is lifted. A confirmed record is carried out once its period has
ended (the `retention.execute` job, or the admin's button), if it is still closed as it was.
"""
import logging

import sqlalchemy as sa
from flask_babel import gettext as _

from ...extensions import db
from ...models import RetentionRecord
from ...models.retention import Disposition, RecordKind, RetentionClass, RetentionStatus
from ...notifications import notify
from ...timeutil import JST, fiscal_year, utcnow
from .. import DomainError, ValidationFailed
from ..audit import record_audit
from .disposal import destroy_record
from .kinds import KINDS, closed_records, policies
from .periods import closed_before_for, closure_day, extended_end, fiscal_year_end, retention_period
from .transfer import write_archive

logger = logging.getLogger(__name__)

OPEN = (RetentionStatus.DUE.value, RetentionStatus.CONFIRMED.value)


class RetentionRefused(DomainError):
    pass


def prepare_spring_list(fy, *, now, actor=None):
    """Write the rows of every closed record whose period ends by the end of fiscal year `fy`;
    undecided rows follow the current policy. Idempotent. Returns how many rows are new."""
    current = policies()
    added = 0
    for kind, (retention_class, disposition) in current.items():
        before = closed_before_for(fy, retention_class)
        if before is None:
            continue  # 常用
        existing = {r.record_id: r for r in db.session.scalars(
            sa.select(RetentionRecord).where(RetentionRecord.kind == kind.value))}
        for rec in closed_records(kind, before, now):
            start, end = retention_period(rec.closed, retention_class)
            row = existing.get(rec.record_id)
            if row is None:
                db.session.add(RetentionRecord(
                    kind=kind.value, record_id=rec.record_id, name=rec.name,
                    municipality_id=rec.municipality_id, closed_on=closure_day(rec.closed),
                    retention_class=retention_class.value, starts_on=start, ends_on=end,
                    disposition=disposition.value, status=RetentionStatus.DUE.value,
                    created_at=now))
                added += 1
            elif (row.status == RetentionStatus.DUE.value and not row.legal_hold
                  and row.extension_reason is None):
                row.retention_class, row.disposition = retention_class.value, disposition.value
                row.starts_on, row.ends_on = start, end
    db.session.flush()
    if added or actor is not None:
        record_audit("retention.list_prepared", actor=actor, now=now, fiscal_year=fy, added=added)
    logger.info("retention: spring list %s prepared, %s new rows", fy, added)
    return added


def spring_list(fy):
    """The open rows whose period ends by the end of `fy`, and every held row."""
    stmt = (sa.select(RetentionRecord)
            .where(RetentionRecord.status.in_(OPEN),
                   sa.or_(RetentionRecord.ends_on <= fiscal_year_end(fy),
                          RetentionRecord.legal_hold.is_(True)))
            .order_by(RetentionRecord.ends_on, RetentionRecord.kind, RetentionRecord.record_id))
    return db.session.scalars(stmt).all()


def _decide(row, actor, now):
    if not row.is_open:
        raise RetentionRefused(_("この記録はすでに処理済みです。"))
    if row.legal_hold:
        raise RetentionRefused(_("法的保存(リーガルホールド)中の記録です。先に解除してください。"))
    row.decided_by_id, row.decided_at = actor.id, now


def _audit(action, row, actor, now, **detail):
    record_audit(action, actor=actor, target=row, now=now, kind=row.kind,
                 record_id=row.record_id, name=row.name, **detail)


def confirm_disposition(row, *, actor, disposition, now):
    disposition = Disposition(disposition)
    if disposition not in KINDS[RecordKind(row.kind)].dispositions:
        raise ValidationFailed(_("この種類の記録は廃棄できません(移管のみ)。"), field="disposition")
    _decide(row, actor, now)
    row.disposition, row.status = disposition.value, RetentionStatus.CONFIRMED.value
    _audit("retention.confirmed", row, actor, now, disposition=disposition.value,
           ends_on=str(row.ends_on))
    db.session.flush()
    return row


def confirm_listed(fy, *, actor, now):
    """Confirm the default disposition of every undecided, unheld row on `fy`'s list (one
    audit row each). Returns how many."""
    rows = [r for r in spring_list(fy)
            if r.status == RetentionStatus.DUE.value and not r.legal_hold]
    for row in rows:
        confirm_disposition(row, actor=actor, disposition=row.disposition, now=now)
    return len(rows)


def extend_retention(row, *, actor, years, reason, now):
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("延長の理由を入力してください。"), field="reason")
    if not 1 <= int(years) <= 30:
        raise ValidationFailed(_("延長は1年から30年までです。"), field="years")
    _decide(row, actor, now)
    before = row.ends_on
    row.ends_on = extended_end(row.ends_on, int(years))
    row.status, row.extension_reason = RetentionStatus.DUE.value, reason
    _audit("retention.extended", row, actor, now, before=str(before), after=str(row.ends_on),
           reason=reason)
    db.session.flush()
    return row


def place_hold(row, *, actor, reason, now):
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("法的保存の理由を入力してください。"), field="reason")
    if not row.is_open:
        raise RetentionRefused(_("この記録はすでに処理済みです。"))
    row.legal_hold, row.hold_reason = True, reason
    _audit("retention.hold_placed", row, actor, now, reason=reason)
    db.session.flush()
    return row


def release_hold(row, *, actor, reason, now):
    if not row.legal_hold:
        raise RetentionRefused(_("この記録は法的保存中ではありません。"))
    row.legal_hold = False
    _audit("retention.hold_released", row, actor, now, reason=(reason or "").strip(),
           held_for=row.hold_reason)
    db.session.flush()
    return row


def _still_due(row, today):
    """The record is still closed and its period (as closed now) has ended: a request reopened
    and closed again since the list was made starts a new period."""
    found = closed_records(row.kind, ids=[row.record_id])
    if not found:
        return False
    _start, end = retention_period(found[0].closed, RetentionClass(row.retention_class))
    return end is not None and end < today and row.ends_on < today


def carry_out(row, *, actor, now):
    """Carry out one confirmed disposition: 廃棄 (destroy) or 移管 (archive, then mark)."""
    if row.legal_hold or row.status != RetentionStatus.CONFIRMED.value:
        raise RetentionRefused(_("確認済みで法的保存中でない記録だけを処理できます。"))
    if row.disposition == Disposition.DESTROY.value:
        done = destroy_record(row.kind, row.record_id, actor=actor, now=now)
        row.status = RetentionStatus.DISPOSED.value
        _audit("retention.disposed", row, actor, now, decided_by_id=row.decided_by_id, **done)
    else:
        row.archive_path = write_archive(row, now=now)
        row.status = RetentionStatus.TRANSFERRED.value
        _audit("retention.transferred", row, actor, now, decided_by_id=row.decided_by_id,
               archive=row.archive_path)
    row.done_at = now
    db.session.flush()
    return row


def carry_out_due(*, now, actor=None):
    """Carry out every confirmed, unheld disposition whose period has ended. Returns how many."""
    today = now.astimezone(JST).date()
    rows = db.session.scalars(sa.select(RetentionRecord).where(
        RetentionRecord.status == RetentionStatus.CONFIRMED.value,
        RetentionRecord.legal_hold.is_(False), RetentionRecord.ends_on < today)
        # The nightly job and an admin's button may run at once: on PostgreSQL each takes the
        # rows the other has not (SQLite's write lock already queues them).
        .order_by(RetentionRecord.id).with_for_update(skip_locked=True)).all()
    done = 0
    for row in rows:
        if not _still_due(row, today):
            logger.warning("retention: %s %s no longer due (reopened?), left", row.kind,
                           row.record_id)
            continue
        carry_out(row, actor=actor, now=now)
        done += 1
    return done


def spring_list_job(now=None):
    """Job (daily in April): prepare this fiscal year's list; tell the admins once a year."""
    now = now or utcnow()
    fy = fiscal_year(now)
    added = prepare_spring_list(fy, now=now)
    waiting = len(spring_list(fy))
    if waiting:
        notify("retention.spring_list", now=now, fiscal_year=fy, count=waiting,
               link="/admin/retention", event_key=f"retention.spring_list:{fy}")
    return {"items": added, "open": waiting}


def carry_out_job(now=None):
    """Job (nightly): carry out the confirmed dispositions whose period has ended."""
    return {"items": carry_out_due(now=now or utcnow())}
