"""Meetings and forums (会議・フォーラム): a series with its members by level, its meetings with
materials, each invitee's answer and attendance, the minutes, and decisions / action items."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import UTCDateTime, utcnow
from ..workflows.meetings import (Answer, ItemKind, ItemStatus, MeetingStatus, OwnerKind,
                                  SeriesKind)


def _in(column, values):
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


class MeetingSeries(db.Model):
    """A recurring meeting (連絡会, CIOフォーラム ...). Its members are a rule read when a meeting
    is announced: the holders of `member_roles` in the contact directory, the 情報部門 staff
    (`member_info_dept`), of `member_municipality_ids` (none = all 41), plus hand-picked contacts
    and users."""

    __tablename__ = "meeting_series"
    __table_args__ = (
        sa.CheckConstraint(_in("kind", SeriesKind), name="kind"),
        sa.CheckConstraint("(owner_type IS NULL) = (owner_id IS NULL)", name="owner_pair"),
        sa.Index("ix_meeting_series_owner", "owner_type", "owner_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    title: Mapped[str] = mapped_column(sa.String(200))
    # A working group's theme (テーマ); free text, shown beside the title.
    theme: Mapped[str | None] = mapped_column(sa.String(200))
    description: Mapped[str | None] = mapped_column(sa.Text)
    member_roles: Mapped[list | None] = mapped_column(sa.JSON)  # ContactRole values
    member_info_dept: Mapped[bool] = mapped_column(default=False)
    member_municipality_ids: Mapped[list | None] = mapped_column(sa.JSON)
    member_contact_ids: Mapped[list | None] = mapped_column(sa.JSON)
    member_user_ids: Mapped[list | None] = mapped_column(sa.JSON)
    # A generic owner (a joint project owns its meeting series: owner_type "project"); none for
    # the prefecture's own series. No foreign key on purpose: the owner may be of any kind.
    owner_type: Mapped[str | None] = mapped_column(sa.String(40))
    owner_id: Mapped[int | None] = mapped_column()
    active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    created_by = relationship("User")
    meetings = relationship("Meeting", back_populates="series", order_by="Meeting.starts_at")
    permission_kind = "meeting_series"

    def __repr__(self):
        return f"<MeetingSeries {self.id} {self.kind}>"


class Meeting(db.Model):
    """One meeting of a series: when, where (venue and/or online link), agenda, materials; the
    invitations are fixed when it is announced; minutes after it was held."""

    __tablename__ = "meetings"
    __table_args__ = (
        sa.CheckConstraint(_in("status", MeetingStatus), name="status"),
        sa.CheckConstraint("ends_at > starts_at", name="period"),
        sa.CheckConstraint("reminder_days BETWEEN 0 AND 20", name="reminder_days"),
        sa.Index("ix_meetings_status_starts_at", "status", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(sa.ForeignKey("meeting_series.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    starts_at: Mapped[object] = mapped_column(UTCDateTime)
    ends_at: Mapped[object] = mapped_column(UTCDateTime)
    venue: Mapped[str | None] = mapped_column(sa.String(200))
    online_url: Mapped[str | None] = mapped_column(sa.String(500))
    agenda: Mapped[str | None] = mapped_column(sa.Text)
    # The last day (Tokyo) for answers; the reminder goes reminder_days business days before.
    answer_deadline: Mapped[object] = mapped_column(sa.Date)
    reminder_days: Mapped[int] = mapped_column(default=2)
    status: Mapped[str] = mapped_column(sa.String(10), default=MeetingStatus.PLANNED.value)
    minutes: Mapped[str | None] = mapped_column(sa.Text)
    # Minutes marked internal stay on the prefecture's side.
    minutes_internal: Mapped[bool] = mapped_column(default=False)
    minutes_published_at: Mapped[object | None] = mapped_column(UTCDateTime)
    minutes_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    invited_at: Mapped[object | None] = mapped_column(UTCDateTime)
    held_at: Mapped[object | None] = mapped_column(UTCDateTime)

    series = relationship("MeetingSeries", back_populates="meetings")
    created_by = relationship("User", foreign_keys=[created_by_id])
    minutes_by = relationship("User", foreign_keys=[minutes_by_id])
    invitations = relationship("MeetingInvitation", back_populates="meeting",
                               cascade="all, delete-orphan", order_by="MeetingInvitation.id")
    materials = relationship("MeetingMaterial", back_populates="meeting",
                             cascade="all, delete-orphan", order_by="MeetingMaterial.id")
    items = relationship("MeetingActionItem", back_populates="meeting",
                         order_by="MeetingActionItem.id")
    permission_kind = "meeting"

    def scope_municipality_ids(self):
        # A meeting in preparation is the prefecture's alone.
        if self.status == MeetingStatus.PLANNED:
            return set()
        return {i.municipality_id for i in self.invitations if i.municipality_id is not None}

    @property
    def attendees(self):
        """The invited users (permissions' SELF scope: an expert sees the meetings they are
        invited to)."""
        if self.status == MeetingStatus.PLANNED:
            return []
        return [i.user for i in self.invitations if i.user is not None]

    def __repr__(self):
        return f"<Meeting {self.id} {self.status}>"


class MeetingMaterial(db.Model):
    """A file of a meeting (資料), stored under UPLOAD_FOLDER after the upload checks."""

    __tablename__ = "meeting_materials"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"),
                                            index=True)
    filename: Mapped[str] = mapped_column(sa.String(255))
    stored_name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    content_type: Mapped[str] = mapped_column(sa.String(120))
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    uploaded_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    meeting = relationship("Meeting", back_populates="materials")


class MeetingInvitation(db.Model):
    """One invitee of a meeting: a contact of the directory (with or without an account) or a
    user; their answer (出席 / 欠席 / 代理出席 with the substitute's name) and, after the
    meeting, whether somebody attended for them."""

    __tablename__ = "meeting_invitations"
    __table_args__ = (
        sa.UniqueConstraint("meeting_id", "contact_id", name="uq_meeting_invitations_contact"),
        sa.UniqueConstraint("meeting_id", "user_id", name="uq_meeting_invitations_user"),
        sa.CheckConstraint("answer IS NULL OR " + _in("answer", Answer), name="answer"),
        sa.CheckConstraint("answer IS NULL OR answer != 'proxy' OR substitute_name IS NOT NULL",
                           name="proxy_named"),
        sa.Index("ix_meeting_invitations_municipality", "municipality_id", "meeting_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"),
                                            index=True)
    municipality_id: Mapped[int | None] = mapped_column(sa.ForeignKey("municipalities.id"))
    contact_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contacts.id"))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    # How they were invited: a ContactRole value, "info_dept" or "picked".
    level: Mapped[str] = mapped_column(sa.String(20))
    answer: Mapped[str | None] = mapped_column(sa.String(10))
    substitute_name: Mapped[str | None] = mapped_column(sa.String(100))
    answer_note: Mapped[str | None] = mapped_column(sa.String(500))
    answered_at: Mapped[object | None] = mapped_column(UTCDateTime)
    answered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    attended: Mapped[bool | None] = mapped_column()

    meeting = relationship("Meeting", back_populates="invitations")
    municipality = relationship("Municipality")
    contact = relationship("Contact")
    user = relationship("User", foreign_keys=[user_id])
    answered_by = relationship("User", foreign_keys=[answered_by_id])
    permission_kind = "meeting_invitation"

    def __repr__(self):
        return f"<MeetingInvitation {self.id} m{self.meeting_id} {self.answer}>"


class MeetingActionItem(db.Model):
    """A decision or an action item of a meeting, with one owner (a municipality, a prefectural
    department or a person), a due date, and a closing note. Internal items stay on the
    prefecture's side (they cannot be owned by a municipality)."""

    __tablename__ = "meeting_action_items"
    __table_args__ = (
        sa.CheckConstraint(_in("kind", ItemKind), name="kind"),
        sa.CheckConstraint(_in("status", ItemStatus), name="status"),
        sa.CheckConstraint(_in("owner_kind", OwnerKind), name="owner_kind"),
        sa.CheckConstraint(
            "(owner_kind = 'municipality' AND owner_municipality_id IS NOT NULL) OR "
            "(owner_kind = 'department' AND owner_department_id IS NOT NULL) OR "
            "(owner_kind = 'person' AND owner_user_id IS NOT NULL)", name="owner_named"),
        sa.Index("ix_meeting_action_items_status_due", "status", "due_on"),
        sa.Index("ix_meeting_action_items_owner_municipality", "owner_municipality_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"),
                                            index=True)
    kind: Mapped[str] = mapped_column(sa.String(10), default=ItemKind.ACTION.value)
    title: Mapped[str] = mapped_column(sa.String(300))
    detail: Mapped[str | None] = mapped_column(sa.Text)
    owner_kind: Mapped[str] = mapped_column(sa.String(20))
    owner_municipality_id: Mapped[int | None] = mapped_column(sa.ForeignKey("municipalities.id"))
    owner_department_id: Mapped[int | None] = mapped_column(sa.ForeignKey("departments.id"))
    owner_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    due_on: Mapped[object] = mapped_column(sa.Date)
    internal: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(sa.String(10), default=ItemStatus.OPEN.value)
    close_note: Mapped[str | None] = mapped_column(sa.Text)
    closed_at: Mapped[object | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    meeting = relationship("Meeting", back_populates="items")
    owner_municipality = relationship("Municipality")
    owner_department = relationship("Department")
    owner_user = relationship("User", foreign_keys=[owner_user_id])
    closed_by = relationship("User", foreign_keys=[closed_by_id])

    @property
    def permission_kind(self):
        # The table has a row for internal items that only the prefecture side holds.
        return "meeting_internal_item" if self.internal else "meeting_action_item"

    def scope_municipality_ids(self):
        mids = set(self.meeting.scope_municipality_ids())
        if self.owner_municipality_id is not None:
            mids.add(self.owner_municipality_id)
        return mids

    @property
    def owner_label(self):
        if self.owner_kind == OwnerKind.MUNICIPALITY:
            return self.owner_municipality.name
        if self.owner_kind == OwnerKind.DEPARTMENT:
            return self.owner_department.name
        return self.owner_user.display_name

    def __repr__(self):
        return f"<MeetingActionItem {self.id} {self.status}>"
