"""Requests (相談 / 出前講座 / 伴走支援) and what hangs off them: themes, co-applicants, dates."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import search_index
from ..extensions import db
from ..i18n import N_
from ..timeutil import UTCDateTime, utcnow
from ..workflow import State

KINDS = ("consultation", "lecture", "accompaniment")
KIND_LABELS = {"consultation": N_("相談"), "lecture": N_("地域DX出前講座"), "accompaniment": N_("伴走支援")}
ORIGINS = ("municipal", "push")  # push: the liaison proposes (プッシュ型)
# The kinds of help (help_wanted) and the lecture menus (program) are the programme catalogue's
# (models/catalogue.py, seeded from the prefecture pack): rows store their keys.
LECTURE_FORMATS = {"lecture": N_("講義"), "demo": N_("ツールの紹介・デモ"), "exchange": N_("意見交換・アドバイス")}
AUDIENCES = {"executives": N_("首長・幹部"), "business": N_("業務担当課"), "information": N_("情報部門")}

request_themes = sa.Table(
    "request_themes",
    db.metadata,
    sa.Column("request_id", sa.ForeignKey("support_requests.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("theme_id", sa.ForeignKey("themes.id"), primary_key=True),
)

# Joint lectures: staff of these municipalities see and follow the request too.
request_co_municipalities = sa.Table(
    "request_co_municipalities",
    db.metadata,
    sa.Column("request_id", sa.ForeignKey("support_requests.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("municipality_id", sa.ForeignKey("municipalities.id"), primary_key=True, index=True),
)

request_followers = sa.Table(
    "request_followers",
    db.metadata,
    sa.Column("request_id", sa.ForeignKey("support_requests.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id"), primary_key=True, index=True),
)

STATE_CHECK = "state IN (" + ", ".join(f"'{s.value}'" for s in State) + ")"


class SupportRequest(db.Model):
    __tablename__ = "support_requests"
    __table_args__ = (
        sa.CheckConstraint(STATE_CHECK, name="state"),
        sa.CheckConstraint("kind IN ('consultation', 'lecture', 'accompaniment')", name="kind"),
        sa.CheckConstraint("origin IN ('municipal', 'push')", name="origin"),
        sa.UniqueConstraint("fiscal_year", "seq", name="uq_support_requests_fy_seq"),
        sa.Index("ix_support_requests_queue", "region_id", "state", "submitted_at"),
        sa.Index("ix_support_requests_muni_created", "municipality_id", "created_at"),
        # The municipality page (services/requests/history.py): its requests' counts, newest
        # ids, timeline ids and chart months from the index alone, in its order; the filer and
        # creator are there for the permission scope's "drafts of others hidden".
        sa.Index("ix_support_requests_muni_history", "municipality_id", "submitted_at", "id",
                 "state", "kind", "fiscal_year", "created_at", "filer_id", "created_by_id"),
        # Queue (bench/queue_bench.py): ordered scans for the sort keys with the id tiebreak of
        # the keyset cursor, and per-state counts by region and kind from the index alone.
        sa.Index("ix_support_requests_submitted_id", "submitted_at", "id"),
        sa.Index("ix_support_requests_updated_id", "updated_at", "id"),
        sa.Index("ix_support_requests_state_region_kind", "state", "region_id", "kind"),
        # Queue search: a bigram index of search_text (search_index.py), made by the DDL
        # attached below: FTS5 on SQLite, an expression GIN index on PostgreSQL.
        # Covering indexes for the monthly report (bench/README.md): the backlog reads
        # (submitted_at, closed_at) only; reach joins events to (id -> municipality, state);
        # the business-day spans read the start next to the end they range over.
        sa.Index("ix_support_requests_submitted_closed", "submitted_at", "closed_at"),
        sa.Index("ix_support_requests_id_muni_state", "id", "municipality_id", "state"),
        sa.Index("ix_support_requests_first_response_span", "first_response_at", "submitted_at"),
        sa.Index("ix_support_requests_resolved_span", "resolved_at", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Numbered per fiscal year at submission (R6-0012); drafts have none yet.
    fiscal_year: Mapped[int | None] = mapped_column()
    seq: Mapped[int | None] = mapped_column()
    number: Mapped[str | None] = mapped_column(sa.String(20), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(20), index=True)
    origin: Mapped[str] = mapped_column(sa.String(20), default="municipal")
    state: Mapped[str] = mapped_column(sa.String(20), default=State.DRAFT.value, index=True)
    municipality_id: Mapped[int] = mapped_column(sa.ForeignKey("municipalities.id"))
    # Routing: the region whose liaison team works it (a region without a liaison means the central team).
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"))
    filer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    # The 情報部門 rule: recorded when the filer is not in the information department.
    filed_outside_info_dept: Mapped[bool] = mapped_column(default=False)
    # Whether that share reached anyone (a 情報部門 user or the municipality's chat room);
    # None when the rule does not apply (filed through the 情報部門, or not submitted).
    info_dept_reached: Mapped[bool | None] = mapped_column()
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    help_wanted: Mapped[list | None] = mapped_column(sa.JSON)  # keys of support_kind catalogue entries
    urgent: Mapped[bool] = mapped_column(default=False)
    needed_by: Mapped[object | None] = mapped_column(sa.Date)
    # Lecture fields.
    program: Mapped[str | None] = mapped_column(sa.String(20))
    formats: Mapped[list | None] = mapped_column(sa.JSON)
    audiences: Mapped[list | None] = mapped_column(sa.JSON)
    expected_participants: Mapped[int | None] = mapped_column()
    venue: Mapped[str | None] = mapped_column(sa.String(200))
    online: Mapped[bool] = mapped_column(default=False)
    prework: Mapped[str | None] = mapped_column(sa.Text)
    # Links to other requests.
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("support_requests.id"))
    duplicate_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("support_requests.id"))
    # State details.
    hold_reason: Mapped[str | None] = mapped_column(sa.Text)
    hold_until: Mapped[object | None] = mapped_column(sa.Date)
    withdraw_reason: Mapped[str | None] = mapped_column(sa.Text)
    decline_reason: Mapped[str | None] = mapped_column(sa.Text)
    # Waiting (services/requests/waiting.py): whom the desk waits for (a WaitingFor value),
    # since when; the periods themselves are RequestWaitingPeriod rows (with the CHECK: one
    # here would make SQLite rebuild this table, which its foreign keys refuse once it has rows).
    waiting_for: Mapped[str | None] = mapped_column(sa.String(20), index=True)
    waiting_since: Mapped[object | None] = mapped_column(UTCDateTime)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[object | None] = mapped_column(UTCDateTime, index=True)
    first_response_due_at: Mapped[object | None] = mapped_column(UTCDateTime, index=True)
    first_response_at: Mapped[object | None] = mapped_column(UTCDateTime, index=True)
    resolved_at: Mapped[object | None] = mapped_column(UTCDateTime, index=True)
    closed_at: Mapped[object | None] = mapped_column(UTCDateTime, index=True)
    # Title, body and conversation, normalised for search (kept by the services).
    search_text: Mapped[str] = mapped_column(sa.Text, default="")
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    municipality = relationship("Municipality")
    region = relationship("Region")
    filer = relationship("User", foreign_keys=[filer_id])
    created_by = relationship("User", foreign_keys=[created_by_id])
    assignee = relationship("User", foreign_keys=[assignee_id])
    themes = relationship("Theme", secondary=request_themes, order_by="Theme.sort_order")
    co_municipalities = relationship("Municipality", secondary=request_co_municipalities)
    followers = relationship("User", secondary=request_followers)
    candidate_dates = relationship("LectureCandidateDate", back_populates="sreq",
                                   order_by="LectureCandidateDate.rank",
                                   cascade="all, delete-orphan")
    parent = relationship("SupportRequest", remote_side=[id], foreign_keys=[parent_id])
    duplicate_of = relationship("SupportRequest", remote_side=[id], foreign_keys=[duplicate_of_id])

    permission_kind = "request"

    def scope_municipality_ids(self):
        return {self.municipality_id} | {m.id for m in self.co_municipalities}

    def scope_region_ids(self):
        return {self.region_id}

    @property
    def display_number(self):
        return self.number or f"下書き-{self.id}"

    def __repr__(self):
        return f"<SupportRequest {self.display_number} {self.state}>"


class LectureCandidateDate(db.Model):
    """A date and time the municipality can host the lecture (2-3 are asked for)."""

    __tablename__ = "lecture_candidate_dates"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        sa.ForeignKey("support_requests.id", ondelete="CASCADE"), index=True)
    rank: Mapped[int] = mapped_column(default=1)
    starts_at: Mapped[object] = mapped_column(UTCDateTime)
    ends_at: Mapped[object] = mapped_column(UTCDateTime)

    sreq = relationship("SupportRequest", back_populates="candidate_dates")


class RequestCounter(db.Model):
    """The last request number handed out per fiscal year; the row is the lock for numbering."""

    __tablename__ = "request_counters"

    fiscal_year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(default=0)


# The search index (search_index.py) comes with the table, for create_all as for migration 0023.
# Its SQLite triggers live on this table: a migration that rebuilds support_requests (SQLite batch
# mode copies and drops the table) must create them again (tests/test_search_index.py checks).
for _ddl in search_index.SQLITE_DDL:
    sa.event.listen(SupportRequest.__table__, "after_create",
                    sa.DDL(_ddl).execute_if(dialect="sqlite"))
for _ddl in (search_index.PG_FUNCTION_SQL, search_index.PG_INDEX_SQL):
    sa.event.listen(SupportRequest.__table__, "after_create",
                    sa.DDL(_ddl).execute_if(dialect="postgresql"))
sa.event.listen(SupportRequest.__table__, "after_drop",
                sa.DDL(f"DROP TABLE IF EXISTS {search_index.FTS_TABLE}").execute_if(dialect="sqlite"))
