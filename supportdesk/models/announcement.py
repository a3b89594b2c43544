"""Push information (プッシュ型情報提供): announcements and the municipalities they reached."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..i18n import N_
from ..timeutil import UTCDateTime, utcnow
from ..workflows.announcements import STATUS_LABELS

# The categories are stored as these words; they are translated where shown.
ANNOUNCEMENT_CATEGORIES = (N_("補助金・交付金"), N_("研修・セミナー"), N_("事例"), N_("システム標準化"),
                           N_("セキュリティ"), N_("その他"))
# The statuses and their labels are the announcement state machine's (workflows/announcements.py).
ANNOUNCEMENT_STATES = {status.value: label for status, label in STATUS_LABELS.items()}
# info: users of the 企画・情報部門 (is_information_dept); all: every staff member.
DEPARTMENT_CHOICES = {"info": N_("企画・情報部門"), "all": N_("全職員")}


class Announcement(db.Model):
    __tablename__ = "announcements"
    __table_args__ = (
        sa.CheckConstraint("category IN (" + ", ".join(f"'{c}'" for c in ANNOUNCEMENT_CATEGORIES)
                           + ")", name="category"),
        sa.CheckConstraint("status IN ('draft', 'scheduled', 'sent', 'cancelled')", name="status"),
        sa.CheckConstraint("departments IN ('info', 'all')", name="departments"),
        sa.Index("ix_announcements_status_scheduled", "status", "scheduled_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    category: Mapped[str] = mapped_column(sa.String(20))
    links: Mapped[list | None] = mapped_column(sa.JSON)
    # Targeting. target_all wins; otherwise the non-empty criteria (regions, bands) are ANDed and
    # the named municipalities are added to the result.
    target_all: Mapped[bool] = mapped_column(default=False)
    target_region_ids: Mapped[list | None] = mapped_column(sa.JSON)
    target_population_bands: Mapped[list | None] = mapped_column(sa.JSON)
    target_dx_staff_bands: Mapped[list | None] = mapped_column(sa.JSON)
    target_municipality_ids: Mapped[list | None] = mapped_column(sa.JSON)
    departments: Mapped[str] = mapped_column(sa.String(10), default="info")
    # Contact roles (workflows.contacts.ContactRole values): when set, the announcement goes to
    # the targeted municipalities' holders of these roles (contact directory) instead of staff.
    target_contact_roles: Mapped[list | None] = mapped_column(sa.JSON)
    status: Mapped[str] = mapped_column(sa.String(10), default="draft")
    scheduled_at: Mapped[object | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[object | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    created_by = relationship("User")
    recipients = relationship("AnnouncementRecipient", back_populates="announcement",
                              cascade="all, delete-orphan")
    attachments = relationship("AnnouncementAttachment", back_populates="announcement",
                               cascade="all, delete-orphan",
                               order_by="AnnouncementAttachment.id")
    permission_kind = "announcement"

    def scope_municipality_ids(self):
        return {r.municipality_id for r in self.recipients}

    def __repr__(self):
        return f"<Announcement {self.id} {self.status}>"


class AnnouncementRecipient(db.Model):
    """A municipality an announcement was sent to, with its chat message (if it has a room)."""

    __tablename__ = "announcement_recipients"
    __table_args__ = (
        sa.UniqueConstraint("announcement_id", "municipality_id",
                            name="uq_announcement_recipients"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    announcement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("announcements.id", ondelete="CASCADE"), index=True)
    municipality_id: Mapped[int] = mapped_column(sa.ForeignKey("municipalities.id"), index=True)

    announcement = relationship("Announcement", back_populates="recipients")
    municipality = relationship("Municipality")


class AnnouncementAttachment(db.Model):
    """A file sent with an announcement, stored under UPLOAD_FOLDER; only metadata in the DB."""

    __tablename__ = "announcement_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    announcement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("announcements.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(255))
    stored_name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    content_type: Mapped[str] = mapped_column(sa.String(120))
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    uploaded_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    announcement = relationship("Announcement", back_populates="attachments")
    uploaded_by = relationship("User")
    permission_kind = "announcement_attachment"

    def scope_municipality_ids(self):
        # Whoever may read the announcement may download its files: the targeted municipalities.
        return self.announcement.scope_municipality_ids()
