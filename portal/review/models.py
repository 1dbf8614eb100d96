"""Supervisor statements, committee membership, conflicts of interest, review assignments, reviews and revisions."""

from __future__ import annotations

import datetime as dt
import enum

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import db
from portal.accounts.models import User
from portal.applications.models import Application
from portal.core.enums import enum_column
from portal.core.i18n import translated
from portal.core.timeutil import utcnow
from portal.supervisors.models import SupervisorProfile, University


class StatementAnswer(enum.StrEnum):
    """A chosen supervisor's answer."""

    WILLING = "willing"
    CONDITIONAL = "conditional"
    UNWILLING = "unwilling"

    @property
    def label(self) -> str:
        return translated(ANSWER_LABELS[self])

    @property
    def agrees(self) -> bool:
        return self in {StatementAnswer.WILLING, StatementAnswer.CONDITIONAL}


ANSWER_LABELS = {
    StatementAnswer.WILLING: _l("Willing to supervise"),
    StatementAnswer.CONDITIONAL: _l("Willing under conditions"),
    StatementAnswer.UNWILLING: _l("Not willing to supervise"),
}


class SupervisorStatement(db.Base):
    """Whether a chosen supervisor will supervise the candidate, with a comment for the committee."""

    __tablename__ = "supervisor_statements"
    __table_args__ = (
        UniqueConstraint("application_id", "profile_id"),
        CheckConstraint("answer <> 'conditional' OR conditions <> ''", name="conditions_given"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("supervisor_profiles.id"), index=True)
    answer: Mapped[StatementAnswer] = mapped_column(enum_column(StatementAnswer, "answer"))
    conditions: Mapped[str] = mapped_column(Text, default="")
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(db.UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(db.UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    application: Mapped[Application] = relationship()
    profile: Mapped[SupervisorProfile] = relationship()

    # Every UPDATE checks and bumps the version: a statement changed in another tab is noticed (core.versions).
    __mapper_args__ = {"version_id_col": version}


class CommitteeMember(db.Base):
    """A selection committee member's seat: the university they belong to (for the German/Chinese mix)."""

    __tablename__ = "committee_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    university_id: Mapped[int] = mapped_column(ForeignKey("universities.id"))

    user: Mapped[User] = relationship(lazy="joined", innerjoin="unnested")
    university: Mapped[University] = relationship(lazy="joined", innerjoin="unnested")


class ConflictReason(enum.StrEnum):
    """Why a committee member may not judge an application."""

    CHOSEN_SUPERVISOR = "chosen_supervisor"
    REFEREE = "referee"
    SAME_UNIVERSITY = "same_university"
    DECLARED = "declared"

    @property
    def label(self) -> str:
        return translated(CONFLICT_LABELS[self])


CONFLICT_LABELS = {
    ConflictReason.CHOSEN_SUPERVISOR: _l("Chosen supervisor"),
    ConflictReason.REFEREE: _l("Referee"),
    ConflictReason.SAME_UNIVERSITY: _l("Same university as a chosen supervisor"),
    ConflictReason.DECLARED: _l("Declared conflict of interest"),
}


class Conflict(db.Base):
    """A declared conflict of interest (the other reasons are derived from the application itself)."""

    __tablename__ = "conflicts"
    __table_args__ = (UniqueConstraint("application_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    reason: Mapped[ConflictReason] = mapped_column(enum_column(ConflictReason, "reason"))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(db.UTCDateTime, default=utcnow)


class ReviewAssignment(db.Base):
    """A committee member asked to review an application."""

    __tablename__ = "review_assignments"
    __table_args__ = (UniqueConstraint("application_id", "reviewer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    assigned_at: Mapped[dt.datetime] = mapped_column(db.UTCDateTime, default=utcnow)

    application: Mapped[Application] = relationship()
    reviewer: Mapped[User] = relationship(foreign_keys=[reviewer_id])
    review: Mapped[Review | None] = relationship(back_populates="assignment", cascade="all, delete-orphan")


class ReminderKind(enum.StrEnum):
    """What a reminder chases: a referee's letter, a supervisor's statement, a committee member's review."""

    REFEREE = "referee"
    SUPERVISOR = "supervisor"
    REVIEWER = "reviewer"


class Reminder(db.Base):
    """One reminder sent to one person about one thing, by the nightly job (sent_by_id empty) or by "remind now".
    The one record both read: nobody is reminded twice within a day (portal/review/reminders.py)."""

    __tablename__ = "reminders"
    __table_args__ = (
        Index("ix_reminders_recipient_sent", "recipient", "sent_at"),
        CheckConstraint(
            "(kind = 'referee' AND referee_id IS NOT NULL) OR (kind = 'supervisor' AND profile_id IS NOT NULL"
            " AND application_id IS NOT NULL) OR (kind = 'reviewer' AND assignment_id IS NOT NULL)",
            name="target_given",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ReminderKind] = mapped_column(enum_column(ReminderKind, "kind"))
    # The address reminded, lower case: referees have no account, and "nobody twice a day" is per address.
    recipient: Mapped[str] = mapped_column(String(254))
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    referee_id: Mapped[int | None] = mapped_column(ForeignKey("referee_invitations.id", ondelete="CASCADE"), index=True)
    profile_id: Mapped[int | None] = mapped_column(ForeignKey("supervisor_profiles.id", ondelete="CASCADE"))
    assignment_id: Mapped[int | None] = mapped_column(
        ForeignKey("review_assignments.id", ondelete="CASCADE"), index=True
    )
    sent_at: Mapped[dt.datetime] = mapped_column(db.UTCDateTime, default=utcnow)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class RoundNotice(db.Base):
    """A message about a whole round that goes out once (every review is in), remembered so it is never sent twice."""

    __tablename__ = "round_notices"
    __table_args__ = (UniqueConstraint("round_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("intake_rounds.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    sent_at: Mapped[dt.datetime] = mapped_column(db.UTCDateTime, default=utcnow)


class Recommendation(enum.StrEnum):
    """A reviewer's overall recommendation."""

    STRONGLY_ADMIT = "strongly_admit"
    ADMIT = "admit"
    BORDERLINE = "borderline"
    REJECT = "reject"

    @property
    def label(self) -> str:
        return translated(RECOMMENDATION_LABELS[self])


RECOMMENDATION_LABELS = {
    Recommendation.STRONGLY_ADMIT: _l("Strongly admit"),
    Recommendation.ADMIT: _l("Admit"),
    Recommendation.BORDERLINE: _l("Borderline"),
    Recommendation.REJECT: _l("Reject"),
}

# The recommendation the review form suggests once every score is given (static/js/review.js), from the mean score:
# the first whose lower limit the mean reaches. Only a suggestion: the reviewer sees it and may choose another.
SUGGESTED_RECOMMENDATIONS = (
    (4.5, Recommendation.STRONGLY_ADMIT),
    (3.5, Recommendation.ADMIT),
    (2.5, Recommendation.BORDERLINE),
    (0.0, Recommendation.REJECT),
)

# The fixed criteria, each scored from 1 (poor) to 5 (excellent).
CRITERIA: dict[str, object] = {
    "score_academic": _l("Academic record"),
    "score_proposal": _l("Research proposal"),
    "score_fit": _l("Fit with the programme and the co-supervisors"),
    "score_language": _l("Language and intercultural competence"),
    "score_references": _l("References"),
}


# The criteria's short names, for the column headers of tables that show every score (the full name goes with them).
CRITERIA_SHORT: dict[str, object] = {
    "score_academic": _l("Record"),
    "score_proposal": _l("Proposal"),
    "score_fit": _l("Fit"),
    "score_language": _l("Language"),
    "score_references": _l("References"),
}


def _score_checks() -> tuple[CheckConstraint, ...]:
    return tuple(
        CheckConstraint(f"{name} IS NULL OR {name} BETWEEN 1 AND 5", name=f"{name}_range") for name in CRITERIA
    )


class Review(db.Base):
    """A reviewer's scores, recommendation and comment; a draft until submitted, revisable until the deadline."""

    __tablename__ = "reviews"
    __table_args__ = (
        *_score_checks(),
        CheckConstraint(
            "submitted_at IS NULL OR (score_academic IS NOT NULL AND score_proposal IS NOT NULL"
            " AND score_fit IS NOT NULL AND score_language IS NOT NULL AND score_references IS NOT NULL"
            " AND recommendation IS NOT NULL)",
            name="complete_when_submitted",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("review_assignments.id", ondelete="CASCADE"), unique=True)
    score_academic: Mapped[int | None]
    score_proposal: Mapped[int | None]
    score_fit: Mapped[int | None]
    score_language: Mapped[int | None]
    score_references: Mapped[int | None]
    recommendation: Mapped[Recommendation | None] = mapped_column(enum_column(Recommendation, "recommendation"))
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(db.UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(db.UTCDateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(db.UTCDateTime)
    version: Mapped[int] = mapped_column(default=1)

    assignment: Mapped[ReviewAssignment] = relationship(back_populates="review")
    revisions: Mapped[list[ReviewRevision]] = relationship(
        back_populates="review", cascade="all, delete-orphan", order_by="ReviewRevision.number"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def scores(self) -> list[int | None]:
        return [getattr(self, name) for name in CRITERIA]

    @property
    def mean(self) -> float | None:
        """The mean of the five scores, once all are given."""
        values = self.scores
        return None if any(v is None for v in values) else sum(values) / len(values)  # type: ignore[arg-type]

    @property
    def submitted(self) -> bool:
        return self.submitted_at is not None


class ReviewRevision(db.Base):
    """A snapshot of a review each time it is submitted, so that revisions keep their history."""

    __tablename__ = "review_revisions"
    __table_args__ = (UniqueConstraint("review_id", "number"), Index("ix_review_revisions_review", "review_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"))
    number: Mapped[int]
    score_academic: Mapped[int]
    score_proposal: Mapped[int]
    score_fit: Mapped[int]
    score_language: Mapped[int]
    score_references: Mapped[int]
    recommendation: Mapped[Recommendation] = mapped_column(enum_column(Recommendation, "recommendation"))
    comment: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[dt.datetime] = mapped_column(db.UTCDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(String(300), default="")

    review: Mapped[Review] = relationship(back_populates="revisions")


# The languages a rubric is written in; English is the one every other falls back to.
RUBRIC_LANGUAGES = ("en", "de", "zh")
RUBRIC_TEXT_MAX = 200


class Rubric(db.Base):
    """A round's own words for every score of every criterion (a round without one uses the default rubric)."""

    __tablename__ = "rubrics"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("intake_rounds.id", ondelete="CASCADE"), unique=True)
    updated_at: Mapped[dt.datetime] = mapped_column(db.UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(default=1)

    levels: Mapped[list[RubricLevel]] = relationship(back_populates="rubric", cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}


class RubricLevel(db.Base):
    """What one score of one criterion means, in English (required) and in German and Chinese (English if empty)."""

    __tablename__ = "rubric_levels"
    __table_args__ = (
        UniqueConstraint("rubric_id", "criterion", "score"),
        CheckConstraint("score BETWEEN 1 AND 5", name="score_range"),
        CheckConstraint(f"criterion IN ({', '.join(repr(name) for name in CRITERIA)})", name="known_criterion"),
        CheckConstraint("text_en <> ''", name="english_given"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rubric_id: Mapped[int] = mapped_column(ForeignKey("rubrics.id", ondelete="CASCADE"), index=True)
    criterion: Mapped[str] = mapped_column(String(40))
    score: Mapped[int]
    text_en: Mapped[str] = mapped_column(String(RUBRIC_TEXT_MAX))
    text_de: Mapped[str] = mapped_column(String(RUBRIC_TEXT_MAX), default="")
    text_zh: Mapped[str] = mapped_column(String(RUBRIC_TEXT_MAX), default="")

    rubric: Mapped[Rubric] = relationship(back_populates="levels")

    def text(self, language: str) -> str:
        """The words in language, or in English when that language was left empty."""
        return getattr(self, f"text_{language}", "") or self.text_en


class ReviewTotals(db.Base):
    """An application's submitted reviews summed up: their number, the sum of their score totals and the gap between
    the highest and the lowest total. Kept by portal/review/totals.py on every flush that touches a review or an
    assignment, so that the ranking orders a round by mean or spread from this narrow table instead of every review."""

    __tablename__ = "review_totals"
    __table_args__ = (CheckConstraint("submitted > 0 AND gap >= 0", name="counted"),)

    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), primary_key=True)
    submitted: Mapped[int]
    total: Mapped[int]
    gap: Mapped[int]


from portal.review import totals  # noqa: E402, F401 - its flush events keep ReviewTotals right
