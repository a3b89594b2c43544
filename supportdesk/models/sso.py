"""Single sign-on (OpenID Connect): the identity providers an admin configured, the link of a
desk user to a provider's subject, and the roles that must sign in through a provider."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..roles import Role
from ..timeutil import UTCDateTime, utcnow


class IdentityProvider(db.Model):
    """An OpenID provider: the prefecture's (no municipality; for liaisons, managers and
    admins) or one municipality's own (for that municipality's staff only)."""

    __tablename__ = "identity_providers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))  # on the login button
    issuer: Mapped[str] = mapped_column(sa.String(255))
    client_id: Mapped[str] = mapped_column(sa.String(255))
    client_secret: Mapped[str] = mapped_column(sa.String(255))
    scopes: Mapped[str] = mapped_column(sa.String(255), default="openid email profile")
    email_claim: Mapped[str] = mapped_column(sa.String(64), default="email")
    name_claim: Mapped[str] = mapped_column(sa.String(64), default="name")
    # One provider per municipality at most; NULL is the prefecture's.
    municipality_id: Mapped[int | None] = mapped_column(sa.ForeignKey("municipalities.id"),
                                                        unique=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    # Off: only users who already exist in the desk can sign in. On: an unknown (verified)
    # address gets an account; its role comes from role_claim (the prefecture's provider) or
    # is the municipality's staff (a municipal provider).
    create_users: Mapped[bool] = mapped_column(default=False)
    role_claim: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    municipality = relationship("Municipality")

    @property
    def is_municipal(self):
        return self.municipality_id is not None

    def __repr__(self):
        return f"<IdentityProvider {self.id} {self.issuer}>"


class SsoIdentity(db.Model):
    """A desk user known to a provider as `subject` (its `sub`): the match from the second
    sign-in on, whatever the provider later says the e-mail address is."""

    __tablename__ = "sso_identities"
    __table_args__ = (
        sa.UniqueConstraint("provider_id", "subject", name="uq_sso_identities_provider_subject"),
        sa.UniqueConstraint("provider_id", "user_id", name="uq_sso_identities_provider_user"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(
        sa.ForeignKey("identity_providers.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(sa.String(255))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[object | None] = mapped_column(UTCDateTime)

    provider = relationship("IdentityProvider")
    user = relationship("User")


class SsoRequiredRole(db.Model):
    """A role whose users must sign in through their provider: password login is refused."""

    __tablename__ = "sso_required_roles"
    __table_args__ = (
        sa.CheckConstraint("role IN (" + ", ".join(f"'{r}'" for r in Role) + ")", name="role"),
    )

    role: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    set_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    set_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
