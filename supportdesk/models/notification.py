"""Notification tables: the outbox, chat rooms, per-user preferences and in-app notifications."""
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..i18n import N_
from ..timeutil import UTCDateTime, utcnow

CHANNELS = ("inapp", "email", "webhook")


class OutboxStatus(StrEnum):
    PENDING = "pending"    # waiting for the dispatcher (retries wait here too)
    SENDING = "sending"    # claimed by a dispatcher
    SENT = "sent"
    DEAD = "dead"          # gave up after the last attempt
    HELD = "held"          # an e-mail waiting for the user's daily digest
    DIGESTED = "digested"  # bundled into a digest mail


OUTBOX_STATES = tuple(s.value for s in OutboxStatus)

# What a delivery's state means to the admin reading it (the failed list, a webhook's
# deliveries): one wording for every page.
DELIVERY_LABELS = {"sent": N_("配信済み"), "dead": N_("配信停止"), "retry": N_("再試行待ち"),
                   "pending": N_("配信待ち"), "sending": N_("送信中"),
                   "held": N_("まとめ送信待ち"), "digested": N_("まとめて送信済み")}


def delivery_state(msg):
    """The DELIVERY_LABELS key of an outbox message: a pending message that already failed
    once is waiting for its retry."""
    if msg.status == OutboxStatus.PENDING and msg.attempts:
        return "retry"
    return msg.status


ROOM_SCOPES = {"municipality": N_("市町(企画・情報部門)"), "region": N_("圏域リエゾンチーム"),
               "prefecture": N_("県(本庁チーム)")}


def _in(col, values):
    return f"{col} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


class ChatRoom(db.Model):
    """A LoGoチャット-style room reached through an incoming webhook. URL and secret stay here."""

    __tablename__ = "chat_rooms"
    __table_args__ = (
        sa.CheckConstraint(_in("scope", ROOM_SCOPES), name="scope"),
        sa.CheckConstraint(_in("format", ("generic_json", "logo_text")), name="format"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(sa.String(20))
    name: Mapped[str] = mapped_column(sa.String(100))
    municipality_id: Mapped[int | None] = mapped_column(sa.ForeignKey("municipalities.id"),
                                                        index=True)
    region_id: Mapped[int | None] = mapped_column(sa.ForeignKey("regions.id"), index=True)
    webhook_url: Mapped[str] = mapped_column(sa.String(500))
    secret: Mapped[str] = mapped_column(sa.String(200), default="")
    format: Mapped[str] = mapped_column(sa.String(20), default="logo_text")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    municipality = relationship("Municipality")
    region = relationship("Region")
    permission_kind = "chat_room"

    @property
    def masked_url(self):
        return mask_url(self.webhook_url)

    @property
    def masked_secret(self):
        return mask_secret(self.secret)

    def __repr__(self):  # never the URL or the secret: reprs end up in logs
        return f"<ChatRoom {self.id} {self.scope} {self.name}>"


def mask_url(url):
    """Scheme and host only; the path of an incoming webhook is itself a credential."""
    if not url:
        return ""
    scheme, _, rest = url.partition("://")
    host = rest.split("/", 1)[0].rsplit("@", 1)[-1]
    return f"{scheme}://{host}/••••"


def mask_secret(secret):
    if not secret:
        return ""
    return "••••" + (secret[-2:] if len(secret) >= 12 else "")


class OutboxMessage(db.Model):
    """One delivery promised in the transaction of its cause; only the dispatcher sends it."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        sa.CheckConstraint(_in("channel", CHANNELS), name="channel"),
        sa.CheckConstraint(_in("status", OUTBOX_STATES), name="status"),
        sa.Index("ix_outbox_messages_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_type: Mapped[str] = mapped_column(sa.String(60))
    channel: Mapped[str] = mapped_column(sa.String(10))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    room_id: Mapped[int | None] = mapped_column(sa.ForeignKey("chat_rooms.id"), index=True)
    to_address: Mapped[str | None] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(300), default="")
    body: Mapped[str] = mapped_column(sa.Text, default="")
    html: Mapped[str | None] = mapped_column(sa.Text)
    link: Mapped[str | None] = mapped_column(sa.String(500))
    payload: Mapped[dict | None] = mapped_column(sa.JSON)
    idempotency_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    urgent: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(sa.String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    claimed_by: Mapped[str | None] = mapped_column(sa.String(80))
    claimed_at: Mapped[object | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[object | None] = mapped_column(UTCDateTime)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    request_id: Mapped[int | None] = mapped_column(sa.ForeignKey("support_requests.id"),
                                                   index=True)
    announcement_id: Mapped[int | None] = mapped_column(sa.ForeignKey("announcements.id"),
                                                        index=True)
    municipality_id: Mapped[int | None] = mapped_column(sa.ForeignKey("municipalities.id"))
    # The digest mail that bundled this held mail.
    digest_id: Mapped[int | None] = mapped_column(sa.ForeignKey("outbox_messages.id"))

    user = relationship("User")
    room = relationship("ChatRoom")
    permission_kind = "outbox"

    def __repr__(self):
        return f"<OutboxMessage {self.id} {self.channel} {self.status}>"


class NotificationPreference(db.Model):
    """A user's choice for one event type and channel; event_type '*' holds user-wide settings."""

    __tablename__ = "notification_preferences"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "event_type", "channel", name="uq_notification_prefs"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    event_type: Mapped[str] = mapped_column(sa.String(60))
    channel: Mapped[str] = mapped_column(sa.String(10))
    enabled: Mapped[bool] = mapped_column(default=True)
    digest: Mapped[bool] = mapped_column(default=False)


class InAppNotification(db.Model):
    """The bell: one row per user and event, read when the user opens or marks it."""

    __tablename__ = "inapp_notifications"
    __table_args__ = (
        sa.Index("ix_inapp_notifications_user_read", "user_id", "read_at"),
        sa.UniqueConstraint("idempotency_key", name="uq_inapp_notifications_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    event_type: Mapped[str] = mapped_column(sa.String(60))
    title: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    link: Mapped[str | None] = mapped_column(sa.String(500))
    idempotency_key: Mapped[str] = mapped_column(sa.String(200))
    request_id: Mapped[int | None] = mapped_column(sa.ForeignKey("support_requests.id"))
    announcement_id: Mapped[int | None] = mapped_column(sa.ForeignKey("announcements.id"),
                                                        index=True)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[object | None] = mapped_column(UTCDateTime)

    user = relationship("User")
    permission_kind = "notification"
