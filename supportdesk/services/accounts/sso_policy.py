"""Who signs in through which identity provider, and which roles must: the one owner of these
rules (the password login, the SSO sign-in and the admin page ask it)."""
import sqlalchemy as sa

from ...extensions import db
from ...models import IdentityProvider, SsoRequiredRole
from ...roles import Role

# The prefecture's provider serves its own staff; a municipality's provider serves that
# municipality's staff. Experts (often from outside the prefecture) keep their passwords.
PREFECTURE_ROLES = (Role.LIAISON, Role.MANAGER, Role.ADMIN)
MUNICIPAL_ROLES = (Role.STAFF,)
SSO_ROLES = PREFECTURE_ROLES + MUNICIPAL_ROLES
# With "create users" on, the roles a prefecture provider's role claim may give a new user.
# Never admin: that right is given in the desk, by an admin.
CLAIMABLE_ROLES = (Role.LIAISON, Role.MANAGER)


def serves(provider, user):
    """May `user` sign in through `provider`?"""
    if provider.is_municipal:
        return user.role in MUNICIPAL_ROLES and user.municipality_id == provider.municipality_id
    return user.role in PREFECTURE_ROLES


def provider_for(user):
    """The enabled provider that serves `user` (the first, by id), or None."""
    if user.role in MUNICIPAL_ROLES:
        if user.municipality_id is None:
            return None
        stmt = sa.select(IdentityProvider).where(
            IdentityProvider.municipality_id == user.municipality_id)
    elif user.role in PREFECTURE_ROLES:
        stmt = sa.select(IdentityProvider).where(IdentityProvider.municipality_id.is_(None))
    else:
        return None
    return db.session.scalar(stmt.where(IdentityProvider.enabled.is_(True))
                             .order_by(IdentityProvider.id).limit(1))


def required_roles():
    return set(db.session.scalars(sa.select(SsoRequiredRole.role)))


def must_use_sso(user):
    """True when the user's role must sign in by SSO and a provider serves them: a staff
    member of a municipality without its own provider keeps the password login."""
    return user.role in required_roles() and provider_for(user) is not None
