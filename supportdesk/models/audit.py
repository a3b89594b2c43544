"""The audit log: logins, lockouts and admin changes. Rows are only ever inserted."""
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..extensions import db
from ..timeutil import UTCDateTime, utcnow
from .chain import ChainedRow


class AuditLog(ChainedRow, db.Model):
    """One audited act. Hash-chained (models/chain.py); the database refuses UPDATE and DELETE."""

    __tablename__ = "audit_logs"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(60), index=True)
    target_type: Mapped[str | None] = mapped_column(sa.String(40))
    target_id: Mapped[str | None] = mapped_column(sa.String(40))
    ip: Mapped[str | None] = mapped_column(sa.String(64))
    detail: Mapped[dict | None] = mapped_column(sa.JSON)

    actor = db.relationship("User", foreign_keys=[actor_id])


class AppendOnlyError(RuntimeError):
    pass


@event.listens_for(AuditLog, "before_update")
def _refuse_update(mapper, connection, target):
    raise AppendOnlyError("audit log rows cannot be changed")


@event.listens_for(AuditLog, "before_delete")
def _refuse_delete(mapper, connection, target):
    raise AppendOnlyError("audit log rows cannot be deleted")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_change(state):
    # Bulk UPDATE/DELETE statements skip the mapper events above; refuse them here too.
    if (state.is_update or state.is_delete) and getattr(
            getattr(state.statement, "table", None), "name", None) == AuditLog.__tablename__:
        raise AppendOnlyError("audit log rows cannot be changed or deleted")
