"""All models, imported here so that metadata (and Alembic) sees every table."""
from .api_token import ApiToken
from .announcement import Announcement, AnnouncementRecipient
from .announcement import AnnouncementAttachment
from .audit import AuditLog
from .chain import ChainHead
from .case import Case
from .contact import Contact, ContactProposal
from .handover import Departure, HandoverConfirmation
from .conversation import ReplyTemplate, RequestAttachment, RequestComment
from .expert_assignment import ExpertAssignment
from .inbound_mail import InboundMail
from .form_intake import FormAnswer, FormAnswerRevision, FormConnection
from .request_event import RequestEvent
from .request_link import RequestLink
from .support_action import SupportAction
from .notification import ChatRoom, InAppNotification, NotificationPreference, OutboxMessage
from .org import Municipality, Region, RegionMembership
from .support_request import LectureCandidateDate, SupportRequest
from .report import BusinessDay, ReportSnapshot
from .retention import RetentionPolicy, RetentionRecord
from .support_request import RequestCounter
from .theme import Theme
from .visit import Visit
from .scheduler import JobRun, SchedulerLease, SentNotice
from .rounds import Department, PlannedRound, RoundRecord
from .visit import (ParticipantSurveyLink, SatisfactionResponse, VisitFollowUp, VisitNotice,
                    VisitRecord)
from .calendar_feed import CalendarFeedToken
from .engagement import Engagement, EngagementContact, EngagementNotice
from .saved_view import SavedView
from .sso import IdentityProvider, SsoIdentity, SsoRequiredRole
from .user import (ExpertProfile, LoginAttempt, PasswordResetRequest, RecoveryCode, User,
                   UserSession)
from .waiting import RequestWaitingPeriod
from .webhook import WebhookSubscription
from .status import StatusItem, StatusValue
from .standardisation import SystemMigration
from .meeting import (Meeting, MeetingActionItem, MeetingInvitation, MeetingMaterial,
                      MeetingSeries)
from .survey import (Survey, SurveyFile, SurveyQuestion, SurveyResponse, SurveyResponseVersion,
                     SurveyTarget)
from .project import (MunicipalityServiceKind, Project, ProjectAnswer, ProjectAnswerRevision,
                      ProjectDocument, ProjectEligible, ProjectMilestone, ProjectNotice)

__all__ = [
    "IdentityProvider",
    "SsoIdentity",
    "SsoRequiredRole",
    "Meeting",
    "MeetingActionItem",
    "MeetingInvitation",
    "MeetingMaterial",
    "MeetingSeries",
    "DeskProfile",
    "CatalogueEntry",
    "FormAnswer",
    "FormAnswerRevision",
    "FormConnection",
    "InboundMail",
    "Survey",
    "SurveyFile",
    "SurveyQuestion",
    "SurveyResponse",
    "SurveyResponseVersion",
    "SurveyTarget",
    "MunicipalityServiceKind",
    "Project",
    "ProjectAnswer",
    "ProjectAnswerRevision",
    "ProjectDocument",
    "ProjectEligible",
    "ProjectMilestone",
    "ProjectNotice",
    "Department",
    "PlannedRound",
    "ApiToken",
    "RecoveryCode",
    "Announcement",
    "AnnouncementRecipient",
    "AnnouncementAttachment",
    "ChatRoom",
    "InAppNotification",
    "NotificationPreference",
    "OutboxMessage",
    "Case",
    "Contact",
    "ContactProposal",
    "Departure",
    "HandoverConfirmation",
    "ExpertAssignment",
    "LectureCandidateDate",
    "ReplyTemplate",
    "RequestAttachment",
    "RequestComment",
    "RequestCounter",
    "RequestEvent",
    "RequestLink",
    "RequestWaitingPeriod",
    "SupportAction",
    "SupportRequest",
    "AuditLog",
    "ChainHead",
    "BusinessDay",
    "ReportSnapshot",
    "RetentionPolicy",
    "RetentionRecord",
    "ExpertProfile",
    "LoginAttempt",
    "PasswordResetRequest",
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
    "VisitRecord",
    "VisitFollowUp",
    "VisitNotice",
    "ParticipantSurveyLink",
    "SatisfactionResponse",
    "Engagement",
    "EngagementContact",
    "EngagementNotice",
    "CalendarFeedToken",
    "SavedView",
    "WebhookSubscription",
    "StatusItem",
    "StatusValue",
    "SystemMigration",
]
from .reference_version import ReferenceVersion
from .training import (LeaderCohort, LeaderProgressEntry, LeaderTrainee,  # noqa: E402
                       TrainingApplication, TrainingCourse, TrainingCourseTarget, TrainingMaterial)
from .desk import DeskProfile
from .catalogue import CatalogueEntry  # noqa: E402
