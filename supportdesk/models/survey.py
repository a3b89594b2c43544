"""Surveys and inquiries (調査・照会) to municipalities: questions, one answer per municipality,
its submitted versions (append-only) and the files uploaded with it."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..i18n import N_
from .chain import RedactableRow
from ..timeutil import UTCDateTime, utcnow

# Question kinds, stored as these codes; the labels are shown in the builder.
QUESTION_KINDS = {
    "short_text": N_("短い記述"),
    "long_text": N_("長い記述"),
    "number": N_("数値"),
    "single_choice": N_("単一選択"),
    "multiple_choice": N_("複数選択"),
    "date": N_("日付"),
    "file": N_("ファイル添付"),
    "table": N_("表(行を追加して記入)"),
}
CHOICE_KINDS = ("single_choice", "multiple_choice")
# A lecture's satisfaction survey asks only what an anonymous participant may answer: no files
# (nothing anonymous lands in the uploads), no tables.
LECTURE_QUESTION_KINDS = ("short_text", "long_text", "number", "single_choice",
                          "multiple_choice", "date")
RESPONSE_STATUSES = ("draft", "submitted")
# An inquiry (照会) goes to municipalities; a lecture survey is a held lecture's satisfaction
# survey (its participants answer by link, its filer signed in: SatisfactionResponse rows).
SURVEY_KINDS = ("inquiry", "lecture")


def _in(values):
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


class Survey(db.Model):
    __tablename__ = "surveys"
    __table_args__ = (
        sa.CheckConstraint("status IN ('draft', 'open', 'closed')", name="status"),
        sa.CheckConstraint("reminder_days BETWEEN 0 AND 20", name="reminder_days"),
        sa.CheckConstraint("kind IN " + _in(SURVEY_KINDS), name="kind"),
        sa.CheckConstraint("(kind = 'lecture') = (visit_id IS NOT NULL)", name="kind_visit"),
        sa.Index("ix_surveys_status_deadline", "status", "deadline"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(10), default="inquiry", server_default="inquiry")
    # A lecture survey's lecture (one survey per lecture).
    visit_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("visits.id", ondelete="CASCADE"), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    purpose: Mapped[str] = mapped_column(sa.Text)
    # The last day (Tokyo) on which answers are in time; corrections are accepted until then.
    deadline: Mapped[object] = mapped_column(sa.Date)
    # The reminder goes this many business days before the deadline to those who have not answered.
    reminder_days: Mapped[int] = mapped_column(default=3)
    status: Mapped[str] = mapped_column(sa.String(10), default="draft")
    # Targeting, read as Announcement's (services/announcements.py target_municipalities).
    target_all: Mapped[bool] = mapped_column(default=False)
    target_region_ids: Mapped[list | None] = mapped_column(sa.JSON)
    target_population_bands: Mapped[list | None] = mapped_column(sa.JSON)
    target_dx_staff_bands: Mapped[list | None] = mapped_column(sa.JSON)
    target_municipality_ids: Mapped[list | None] = mapped_column(sa.JSON)
    # Who answers in each municipality: None = its 情報部門; else a contact-directory role
    # (permissions.survey_respondents).
    recipient_role: Mapped[str | None] = mapped_column(sa.String(40))
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    opened_at: Mapped[object | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[object | None] = mapped_column(UTCDateTime)

    created_by = relationship("User")
    visit = relationship("Visit")
    questions = relationship("SurveyQuestion", back_populates="survey",
                             cascade="all, delete-orphan", order_by="SurveyQuestion.position")
    targets = relationship("SurveyTarget", back_populates="survey", cascade="all, delete-orphan")
    permission_kind = "survey"

    def scope_municipality_ids(self):
        return {t.municipality_id for t in self.targets}

    def __repr__(self):
        return f"<Survey {self.id} {self.status}>"


class SurveyTarget(db.Model):
    """A municipality a survey was sent to, fixed when the survey opens."""

    __tablename__ = "survey_targets"
    __table_args__ = (sa.UniqueConstraint("survey_id", "municipality_id", name="uq_survey_targets"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("surveys.id", ondelete="CASCADE"),
                                           index=True)
    municipality_id: Mapped[int] = mapped_column(sa.ForeignKey("municipalities.id"), index=True)

    survey = relationship("Survey", back_populates="targets")
    municipality = relationship("Municipality")


class SurveyQuestion(db.Model):
    __tablename__ = "survey_questions"
    __table_args__ = (
        sa.CheckConstraint("kind IN " + _in(QUESTION_KINDS), name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("surveys.id", ondelete="CASCADE"),
                                           index=True)
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(sa.String(20))
    label: Mapped[str] = mapped_column(sa.String(300))
    help_text: Mapped[str | None] = mapped_column(sa.Text)
    required: Mapped[bool] = mapped_column(default=False)
    # Choices (single/multiple choice) or column names (table): a list of strings.
    options: Mapped[list | None] = mapped_column(sa.JSON)
    # The DX status item a submitted answer updates (the tracker's item key; no FK on purpose).
    status_item_key: Mapped[str | None] = mapped_column(sa.String(80))

    survey = relationship("Survey", back_populates="questions")

    @property
    def field_name(self):
        return f"q{self.id}"


class SurveyResponse(db.Model):
    """The one answer of a municipality to a survey: the working copy (answers), drafted by anyone
    of the municipality and submitted by its respondent; each submission is a SurveyResponseVersion."""

    __tablename__ = "survey_responses"
    __table_args__ = (
        sa.UniqueConstraint("survey_id", "municipality_id", name="uq_survey_responses"),
        sa.CheckConstraint("status IN " + _in(RESPONSE_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("surveys.id", ondelete="CASCADE"),
                                           index=True)
    municipality_id: Mapped[int] = mapped_column(sa.ForeignKey("municipalities.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(10), default="draft")
    answers: Mapped[dict] = mapped_column(sa.JSON, default=dict)  # {"<question id>": value}
    version: Mapped[int] = mapped_column(default=0)  # how many times it was submitted
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    updated_at: Mapped[object | None] = mapped_column(UTCDateTime)
    first_submitted_at: Mapped[object | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[object | None] = mapped_column(UTCDateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    survey = relationship("Survey")
    municipality = relationship("Municipality")
    updated_by = relationship("User", foreign_keys=[updated_by_id])
    submitted_by = relationship("User", foreign_keys=[submitted_by_id])
    versions = relationship("SurveyResponseVersion", back_populates="response",
                            order_by="SurveyResponseVersion.version")
    permission_kind = "survey_response"


class SurveyResponseVersion(RedactableRow, db.Model):
    """A submitted version of an answer: never updated or deleted (a correction adds one).
    Hash-chained and append-only in the database (models/chain.py); `answers` is blanked only
    by a redaction (services/chain.py redact_survey_answers), which leaves the row chained."""

    __tablename__ = "survey_response_versions"
    __table_args__ = (sa.UniqueConstraint("response_id", "version",
                                          name="uq_survey_response_versions"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        sa.ForeignKey("survey_responses.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column()
    answers: Mapped[dict | None] = mapped_column(sa.JSON)  # None once redacted
    submitted_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    submitted_at: Mapped[object] = mapped_column(UTCDateTime)
    late: Mapped[bool] = mapped_column(default=False)

    response = relationship("SurveyResponse", back_populates="versions")
    submitted_by = relationship("User")


class SurveyFile(db.Model):
    """A file uploaded as the answer to a file question, under UPLOAD_FOLDER (metadata here).
    Files are never removed, so an earlier version keeps its file."""

    __tablename__ = "survey_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        sa.ForeignKey("survey_responses.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("survey_questions.id",
                                                           ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(sa.String(255))
    stored_name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    content_type: Mapped[str] = mapped_column(sa.String(120))
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    uploaded_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    response = relationship("SurveyResponse")
    permission_kind = "survey_response"

    @property
    def municipality_id(self):
        return self.response.municipality_id
