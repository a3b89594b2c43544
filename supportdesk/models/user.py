"""Users, their server-side sessions, login attempts, password-reset requests, two-factor
recovery codes, expert profiles."""
import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..roles import Role
from ..timeutil import UTCDateTime, utcnow

ROLES = tuple(r.value for r in Role)  # plain strings: click.Choice takes an Enum by name

liaison_regions = sa.Table(
    "liaison_regions",
    db.metadata,
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("region_id", sa.ForeignKey("regions.id", ondelete="CASCADE"), primary_key=True),
)

expert_themes = sa.Table(
    "expert_themes",
    db.metadata,
    sa.Column("expert_id", sa.ForeignKey("expert_profiles.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("theme_id", sa.ForeignKey("themes.id", ondelete="CASCADE"), primary_key=True),
)


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint("role IN (" + ", ".join(f"'{r}'" for r in Role) + ")", name="role"),
        sa.CheckConstraint(
            f"role <> '{Role.STAFF}' OR municipality_id IS NOT NULL", name="staff_municipality"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(100))
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(20), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str] = mapped_column(sa.String(5), default="ja")
    municipality_id: Mapped[int | None] = mapped_column(sa.ForeignKey("municipalities.id"), index=True)
    department: Mapped[str | None] = mapped_column(sa.String(100))
    is_information_dept: Mapped[bool] = mapped_column(default=False)
    # A liaison of the central team also handles the regions without a liaison.
    is_central_team: Mapped[bool] = mapped_column(default=False)
    is_team_lead: Mapped[bool] = mapped_column(default=False)
    # The network this user's mail, chat and calendar links are built for (a name of the
    # NETWORKS setting); None = their role's network (links.py).
    network: Mapped[str | None] = mapped_column(sa.String(40))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    password_changed_at: Mapped[object | None] = mapped_column(UTCDateTime)
    # TOTP second factor (services/mfa.py). A secret without totp_enabled_at is an enrolment
    # not yet confirmed with a code; totp_last_step is the last time step accepted (no replay).
    totp_secret: Mapped[str | None] = mapped_column(sa.String(64))
    totp_enabled_at: Mapped[object | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)

    municipality = relationship("Municipality")
    regions = relationship("Region", secondary=liaison_regions, order_by="Region.sort_order")
    expert_profile = relationship("ExpertProfile", back_populates="user", uselist=False)

    # Set by the session loader: the server-side session this request runs in.
    current_session = None

    @property
    def is_active(self):
        return self.active

    def get_id(self):
        # Flask-Login keeps this in the cookie: the server-side session token, never the user id.
        return self.current_session.token if self.current_session is not None else None

    @property
    def has_totp(self):
        return self.totp_enabled_at is not None and bool(self.totp_secret)

    @property
    def region_ids(self):
        return {r.id for r in self.regions}

    def __repr__(self):
        return f"<User {self.email} {self.role}>"


class UserSession(db.Model):
    """A login. The cookie carries its random token; ending the row ends every copy of the cookie."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[object | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(sa.String(40))
    ip: Mapped[str | None] = mapped_column(sa.String(64))
    user_agent: Mapped[str | None] = mapped_column(sa.String(255))
    # A session started by single sign-on: its provider, and the ID token it came with (the
    # id_token_hint of the provider's logout at the end).
    sso_provider_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("identity_providers.id", ondelete="SET NULL"))
    sso_id_token: Mapped[str | None] = mapped_column(sa.Text)

    user = relationship("User")
    token = None  # the clear token, known only in the request that created or loaded it


class LoginAttempt(db.Model):
    __tablename__ = "login_attempts"
    __table_args__ = (
        sa.Index("ix_login_attempts_email_at", "email", "at"),
        sa.Index("ix_login_attempts_ip_at", "ip", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    ip: Mapped[str | None] = mapped_column(sa.String(64))
    at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    success: Mapped[bool] = mapped_column(default=False)


class PasswordResetRequest(db.Model):
    """A "forgot password" request, known address or not: what the reset throttle counts."""

    __tablename__ = "password_reset_requests"
    __table_args__ = (
        sa.Index("ix_password_reset_requests_email_at", "email", "at"),
        sa.Index("ix_password_reset_requests_ip_at", "ip", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    ip: Mapped[str | None] = mapped_column(sa.String(64))
    at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)


class RecoveryCode(db.Model):
    """A one-time two-factor recovery code, stored as a SHA-256 digest (the codes are random)."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[object | None] = mapped_column(UTCDateTime)


class ExpertProfile(db.Model):
    __tablename__ = "expert_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(30))  # the key of an expert_kind catalogue entry
    home_region_id: Mapped[int | None] = mapped_column(sa.ForeignKey("regions.id"))
    organisation: Mapped[str | None] = mapped_column(sa.String(100))
    bio: Mapped[str | None] = mapped_column(sa.Text)
    available: Mapped[bool] = mapped_column(default=True)

    user = relationship("User", back_populates="expert_profile")
    home_region = relationship("Region")
    themes = relationship("Theme", secondary=expert_themes, order_by="Theme.sort_order")
