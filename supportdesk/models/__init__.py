"""All models, imported here so that metadata (and Alembic) sees every table."""
from .audit import AuditLog
from .org import Municipality, Region
from .theme import Theme
from .user import ExpertProfile, LoginAttempt, User, UserSession

__all__ = [
    "AuditLog",
    "ExpertProfile",
    "LoginAttempt",
    "Municipality",
    "Region",
    "Theme",
    "User",
    "UserSession",
]
