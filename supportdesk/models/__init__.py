"""All models, imported here so that metadata (and Alembic) sees every table."""
from .announcement import Announcement, AnnouncementRecipient
from .audit import AuditLog
from .event import (Case, ExpertAssignment, ReplyTemplate, RequestAttachment, RequestComment,
                    RequestEvent, RequestLink, SupportAction)
from .notification import ChatRoom, InAppNotification, NotificationPreference, OutboxMessage
from .org import Municipality, Region
from .support_request import LectureCandidateDate, SupportRequest
from .theme import Theme
from .visit import Visit
from .user import ExpertProfile, LoginAttempt, User, UserSession

__all__ = [
    "Announcement",
    "AnnouncementRecipient",
    "ChatRoom",
    "InAppNotification",
    "NotificationPreference",
    "OutboxMessage",
    "Case",
    "ExpertAssignment",
    "LectureCandidateDate",
    "ReplyTemplate",
    "RequestAttachment",
    "RequestComment",
    "RequestEvent",
    "RequestLink",
    "SupportAction",
    "SupportRequest",
    "AuditLog",
    "ExpertProfile",
    "LoginAttempt",
    "Municipality",
    "Region",
    "Theme",
    "User",
    "UserSession",
    "Visit",
]
