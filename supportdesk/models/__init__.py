"""All models, imported here so that metadata (and Alembic) sees every table."""
from .api_token import ApiToken
from .audit import AuditLog
from .event import (Case, ExpertAssignment, ReplyTemplate, RequestAttachment, RequestComment,
                    RequestEvent, RequestLink, SupportAction)
from .org import Municipality, Region
from .support_request import LectureCandidateDate, SupportRequest
from .report import BusinessDay, ReportSnapshot
from .support_request import RequestCounter
from .theme import Theme
from .visit import Visit
from .scheduler import JobRun, SchedulerLease, SentNotice
from .rounds import RoundRecord
from .user import ExpertProfile, LoginAttempt, User, UserSession
from .webhook import WebhookSubscription

__all__ = [
    "ApiToken",
    "Case",
    "ExpertAssignment",
    "LectureCandidateDate",
    "ReplyTemplate",
    "RequestAttachment",
    "RequestComment",
    "RequestCounter",
    "RequestEvent",
    "RequestLink",
    "SupportAction",
    "SupportRequest",
    "AuditLog",
    "BusinessDay",
    "ReportSnapshot",
    "ExpertProfile",
    "LoginAttempt",
    "Municipality",
    "Region",
    "Theme",
    "User",
    "UserSession",
    "Visit",
    "JobRun",
    "SchedulerLease",
    "SentNotice",
    "RoundRecord",
    "WebhookSubscription",
]
