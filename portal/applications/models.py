"""Intake rounds, applications and their parts (education, documents, referees), decisions."""

from __future__ import annotations

import datetime as dt
import enum

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import db
from portal.accounts.models import User
from portal.applications.levels import DEGREE_LABELS, LEVEL_WORDS, DegreeLevel, LanguageLevel  # noqa: F401
from portal.core.enums import enum_column
from portal.core.i18n import translated
from portal.core.timeutil import utcnow
from portal.supervisors.models import ResearchField, SupervisorProfile

# Submitted reviews an application needs before its decision, unless its round says otherwise.
REVIEWS_REQUIRED_DEFAULT = 2


class IntakeRound(db.Base):
    """An intake round with its deadlines, all stored in UTC."""

    __tablename__ = "intake_rounds"
    __table_args__ = (
        CheckConstraint("closes_at > opens_at", name="closes_after_opening"),
        CheckConstraint("reviews_required BETWEEN 0 AND 10", name="reviews_required_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    opens_at: Mapped[dt.datetime] = mapped_column(db.UTCDateTime)
    closes_at: Mapped[dt.datetime] = mapped_column(db.UTCDateTime)
    referees_due: Mapped[dt.datetime | None] = mapped_column(db.UTCDateTime)
    reviews_due: Mapped[dt.datetime | None] = mapped_column(db.UTCDateTime)
    decisions_on: Mapped[dt.datetime | None] = mapped_column(db.UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(db.UTCDateTime, default=utcnow)
    # A committee member at the university of one of an application's chosen supervisors is in conflict with it
    # (review.permissions.conflict_conditions); on unless the coordinators switch it off for the round.
    same_university_conflict: Mapped[bool] = mapped_column(default=True, server_default=true())
    # A decision on an application with fewer submitted reviews asks the coordinator to confirm (review.guardrails).
    # The coordinators' to-dos count against it too (review.todos).
    reviews_required: Mapped[int] = mapped_column(default=REVIEWS_REQUIRED_DEFAULT, server_default="2")

    def __repr__(self) -> str:
        return f"<IntakeRound {self.name}>"

    def is_open(self, now: dt.datetime) -> bool:
        """Whether applications may be submitted or changed at now (open from opens_at, closed from closes_at)."""
        return self.opens_at <= now < self.closes_at

    @property
    def reference_year(self) -> int:
        """The year in reference numbers: the year the doctorate starts, after the round closes."""
        return self.closes_at.year + (1 if self.closes_at.month >= 7 else 0)

    @property
    def letters_due(self) -> dt.datetime:
        """Until when referees can upload (shown to them, ends their links and their reminders): the referees'
        deadline, else the review deadline, else four weeks after closing."""
        return self.referees_due or self.reviews_due or self.closes_at + dt.timedelta(days=28)


def display_name(family_name: str, given_names: str, account_name: str) -> str:
    """An applicant's name as entered (family name in capitals), falling back to the account's name."""
    if family_name or given_names:
        return f"{given_names} {family_name.upper()}".strip()
    return account_name


class ReferenceCounter(db.Base):
    """The last reference number handed out for a year (IPK-<year>-<number>), shared by all rounds of that year."""

    __tablename__ = "reference_counters"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(default=0)


class ApplicationState(enum.StrEnum):
    """Where an application stands; changed only by portal.applications.workflow."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    DECIDED = "decided"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return translated(STATE_LABELS[self])


STATE_LABELS = {
    ApplicationState.DRAFT: _l("Draft"),
    ApplicationState.SUBMITTED: _l("Submitted"),
    ApplicationState.UNDER_REVIEW: _l("Under review"),
    ApplicationState.DECIDED: _l("Decided"),
    ApplicationState.WITHDRAWN: _l("Withdrawn"),
}


class Application(db.Base):
    """One applicant's application in one intake round."""

    __tablename__ = "applications"
    __table_args__ = (
        UniqueConstraint("round_id", "applicant_id"),
        CheckConstraint(
            "german_supervisor_id IS NULL OR chinese_supervisor_id IS NULL "
            "OR german_supervisor_id <> chinese_supervisor_id",
            name="two_different_supervisors",
        ),
        CheckConstraint("state IN ('draft', 'withdrawn') OR reference IS NOT NULL", name="reference_once_submitted"),
        Index("ix_applications_round_state", "round_id", "state"),
        # The list's orders by reference and by name (then reference, id): a page's ids come from the index alone; its
        # nationality filter; its search, which reads the round's search keys (and ids, for PostgreSQL) from the index.
        Index("ix_applications_round_reference", "round_id", "reference", "id"),
        Index("ix_applications_round_name_key", "round_id", "name_key", "reference", "id"),
        Index("ix_applications_round_nationality", "round_id", "nationality"),
        Index("ix_applications_round_search_key", "round_id", "search_key", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("intake_rounds.id"))
    applicant_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    state: Mapped[ApplicationState] = mapped_column(
        enum_column(ApplicationState, "state"), default=ApplicationState.DRAFT
    )
    reference: Mapped[str | None] = mapped_column(String(20), unique=True)
    # Optimistic locking: every UPDATE checks and bumps it, so two tabs (or two workers) never silently overwrite.
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[dt.datetime] = mapped_column(db.UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(db.UTCDateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(db.UTCDateTime)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(db.UTCDateTime)

    # Step 1: personal data
    family_name: Mapped[str] = mapped_column(String(100), default="")
    given_names: Mapped[str] = mapped_column(String(100), default="")
    native_name: Mapped[str] = mapped_column(String(100), default="")
    date_of_birth: Mapped[dt.date | None] = mapped_column(Date)
    nationality: Mapped[str] = mapped_column(String(2), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    # Derived, never entered: the order by name and the text a search looks in (portal/applications/keys.py).
    name_key: Mapped[str] = mapped_column(Text, default="", server_default="")
    search_key: Mapped[str] = mapped_column(Text, default="", server_default="")
    privacy_consent_at: Mapped[dt.datetime | None] = mapped_column(db.UTCDateTime)
    privacy_consent_version: Mapped[str | None] = mapped_column(String(20))
    transfer_consent_at: Mapped[dt.datetime | None] = mapped_column(db.UTCDateTime)
    transfer_consent_version: Mapped[str | None] = mapped_column(String(20))

    # Step 3: languages
    english_level: Mapped[LanguageLevel | None] = mapped_column(enum_column(LanguageLevel, "english_level"))
    english_certificate: Mapped[str] = mapped_column(String(200), default="")
    german_level: Mapped[LanguageLevel | None] = mapped_column(enum_column(LanguageLevel, "german_level"))
    german_certificate: Mapped[str] = mapped_column(String(200), default="")
    chinese_level: Mapped[LanguageLevel | None] = mapped_column(enum_column(LanguageLevel, "chinese_level"))
    chinese_hsk: Mapped[int | None] = mapped_column()
    chinese_certificate: Mapped[str] = mapped_column(String(200), default="")

    # Step 4: research proposal
    proposal_title: Mapped[str] = mapped_column(String(300), default="")
    research_field: Mapped[ResearchField | None] = mapped_column(enum_column(ResearchField, "research_field"))
    abstract: Mapped[str] = mapped_column(Text, default="")
    keywords: Mapped[str] = mapped_column(String(300), default="")

    # Step 5: co-supervisors
    german_supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("supervisor_profiles.id"), index=True)
    chinese_supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("supervisor_profiles.id"), index=True)
    supervisor_motivation: Mapped[str] = mapped_column(Text, default="")

    # Step 8: declaration
    declaration_at: Mapped[dt.datetime | None] = mapped_column(db.UTCDateTime)

    intake_round: Mapped[IntakeRound] = relationship(lazy="joined", innerjoin="unnested")
    applicant: Mapped[User] = relationship(lazy="joined", innerjoin="unnested")
    german_supervisor: Mapped[SupervisorProfile | None] = relationship(foreign_keys=[german_supervisor_id])
    chinese_supervisor: Mapped[SupervisorProfile | None] = relationship(foreign_keys=[chinese_supervisor_id])
    education: Mapped[list[Education]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="Education.id"
    )
    documents: Mapped[list[Document]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="Document.id"
    )
    referees: Mapped[list[RefereeInvitation]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="RefereeInvitation.position"
    )
    decision: Mapped[Decision | None] = relationship(back_populates="application", cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<Application {self.id} {self.reference or 'draft'}>"

    @property
    def display_name(self) -> str:
        """The applicant's name as entered (family name in capitals), falling back to the account name."""
        return display_name(self.family_name, self.given_names, self.applicant.name)

    @property
    def is_draft(self) -> bool:
        return self.state == ApplicationState.DRAFT

    @property
    def public_state(self) -> ApplicationState:
        """The state as the applicant and the supervisors may know it: a decision counts once it is released."""
        if self.state == ApplicationState.DECIDED and not self.decision_released:
            return ApplicationState.UNDER_REVIEW
        return self.state

    @property
    def decision_released(self) -> bool:
        return self.decision is not None and self.decision.released_at is not None


class Education(db.Base):
    """A degree the applicant holds or is about to complete."""

    __tablename__ = "education"
    __table_args__ = (CheckConstraint("year BETWEEN 1950 AND 2100", name="plausible_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    level: Mapped[DegreeLevel] = mapped_column(enum_column(DegreeLevel, "level"))
    degree: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(200))
    institution: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    year: Mapped[int]
    grade: Mapped[str] = mapped_column(String(40))
    grading_scale: Mapped[str] = mapped_column(String(100))

    application: Mapped[Application] = relationship(back_populates="education")


class DocumentKind(enum.StrEnum):
    """What an uploaded document is."""

    CV = "cv"
    DEGREE_CERTIFICATE = "degree_certificate"
    TRANSCRIPT = "transcript"
    RESEARCH_PROPOSAL = "research_proposal"
    LANGUAGE_CERTIFICATE = "language_certificate"
    OTHER = "other"
    REFEREE_LETTER = "referee_letter"

    @property
    def label(self) -> str:
        return translated(DOCUMENT_LABELS[self])


DOCUMENT_LABELS = {
    DocumentKind.CV: _l("Curriculum vitae"),
    DocumentKind.DEGREE_CERTIFICATE: _l("Degree certificates"),
    DocumentKind.TRANSCRIPT: _l("Transcripts of records"),
    DocumentKind.RESEARCH_PROPOSAL: _l("Research proposal"),
    DocumentKind.LANGUAGE_CERTIFICATE: _l("Language certificates"),
    DocumentKind.OTHER: _l("Other documents"),
    DocumentKind.REFEREE_LETTER: _l("Letter of recommendation"),
}


class Document(db.Base):
    """An uploaded PDF; the bytes live under PORTAL_DATA_DIR with a random name."""

    __tablename__ = "documents"
    __table_args__ = (CheckConstraint("size_bytes > 0", name="not_empty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    kind: Mapped[DocumentKind] = mapped_column(enum_column(DocumentKind, "kind"))
    original_filename: Mapped[str] = mapped_column(String(255))
    storage_key: Mapped[str] = mapped_column(String(100), unique=True)
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    page_count: Mapped[int] = mapped_column(default=0)
    uploaded_at: Mapped[dt.datetime] = mapped_column(db.UTCDateTime, default=utcnow)

    application: Mapped[Application] = relationship(back_populates="documents")


class DecisionOutcome(enum.StrEnum):
    """The committee's decision."""

    ADMIT = "admit"
    WAITING_LIST = "waiting_list"
    REJECT = "reject"

    @property
    def label(self) -> str:
        return translated(OUTCOME_LABELS[self])


OUTCOME_LABELS = {
    DecisionOutcome.ADMIT: _l("Admitted"),
    DecisionOutcome.WAITING_LIST: _l("Waiting list"),
    DecisionOutcome.REJECT: _l("Not admitted"),
}


class Decision(db.Base):
    """The recorded decision on an application; the applicant sees it once released."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), unique=True)
    outcome: Mapped[DecisionOutcome] = mapped_column(enum_column(DecisionOutcome, "outcome"))
    note: Mapped[str] = mapped_column(Text, default="")
    # Written to the applicant: sent with the released decision and shown on their page, as written (not translated).
    personal_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[dt.datetime] = mapped_column(db.UTCDateTime, default=utcnow)
    released_at: Mapped[dt.datetime | None] = mapped_column(db.UTCDateTime)

    application: Mapped[Application] = relationship(back_populates="decision")


RELATION_LABELS = {
    "supervisor": _l("Thesis supervisor"),
    "teacher": _l("Professor or lecturer"),
    "employer": _l("Employer or manager"),
    "colleague": _l("Research colleague"),
    "other": _l("Other"),
}


class RefereeInvitation(db.Base):
    """A referee named by the applicant; the secret link is stored only as a hash."""

    __tablename__ = "referee_invitations"
    __table_args__ = (
        UniqueConstraint("application_id", "position"),
        CheckConstraint("position IN (1, 2)", name="position"),
        CheckConstraint("token_hash IS NULL OR token_expires_at IS NOT NULL", name="token_expires"),
        CheckConstraint("language IN ('de', 'en', 'zh')", name="language"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254), index=True)
    institution: Mapped[str] = mapped_column(String(200))
    relation: Mapped[str] = mapped_column(String(20))
    # The language of the emails to the referee (referees have no account to keep a preference in).
    language: Mapped[str] = mapped_column(String(2), default="en")
    created_at: Mapped[dt.datetime] = mapped_column(db.UTCDateTime, default=utcnow)
    token_hash: Mapped[str | None] = mapped_column(String(64))
    token_expires_at: Mapped[dt.datetime | None] = mapped_column(db.UTCDateTime)
    invited_at: Mapped[dt.datetime | None] = mapped_column(db.UTCDateTime)
    invitations_sent: Mapped[int] = mapped_column(default=0)
    letter_text: Mapped[str | None] = mapped_column(Text)
    letter_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="SET NULL"))
    letter_received_at: Mapped[dt.datetime | None] = mapped_column(db.UTCDateTime)

    application: Mapped[Application] = relationship(back_populates="referees")
    letter_document: Mapped[Document | None] = relationship(foreign_keys=[letter_document_id])

    @property
    def letter_received(self) -> bool:
        return self.letter_received_at is not None

    @property
    def relation_label(self) -> str:
        return str(RELATION_LABELS.get(self.relation, self.relation))


from portal.applications import keys  # noqa: E402, F401 - its mapper events keep the stored keys right
