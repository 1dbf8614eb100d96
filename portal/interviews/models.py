"""Interviews: a panel with slots, invitations of applications, one booking per slot, panel notes, calendar feeds."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import db
from portal.accounts.models import User
from portal.applications.models import Application, IntakeRound
from portal.core.timeutil import utcnow

# Working hours a slot must fall in, in every zone shown, unless the round sets its own.
DEFAULT_START_HOUR = 8
DEFAULT_END_HOUR = 18
# The score of an interview, like a review's criteria: 1 (poor) to 5 (excellent).
MIN_SCORE, MAX_SCORE = 1, 5


class InterviewHours(db.Base):
    """The working hours (local time, every zone alike) inside which a round's interview slots are proposed."""

    __tablename__ = "interview_hours"
    __table_args__ = (CheckConstraint("0 <= start_hour AND start_hour < end_hour AND end_hour <= 24", name="order"),)

    round_id: Mapped[int] = mapped_column(
        ForeignKey("intake_rounds.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    start_hour: Mapped[int] = mapped_column(default=DEFAULT_START_HOUR)
    end_hour: Mapped[int] = mapped_column(default=DEFAULT_END_HOUR)


class Interview(db.Base):
    """A panel meeting applicants in one of its slots; the meeting link is for the participants only."""

    __tablename__ = "interviews"
    __table_args__ = (CheckConstraint("duration_minutes BETWEEN 15 AND 240", name="duration_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("intake_rounds.id", ondelete="CASCADE"), index=True)
    duration_minutes: Mapped[int] = mapped_column(default=45)
    meeting_link: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[dt.datetime] = mapped_column(db.UTCDateTime, default=utcnow)

    intake_round: Mapped[IntakeRound] = relationship()
    panel: Mapped[list[InterviewPanelMember]] = relationship(
        back_populates="interview", cascade="all, delete-orphan", order_by="InterviewPanelMember.id"
    )
    slots: Mapped[list[InterviewSlot]] = relationship(
        back_populates="interview", cascade="all, delete-orphan", order_by="InterviewSlot.starts_at"
    )
    invitations: Mapped[list[InterviewInvitation]] = relationship(
        back_populates="interview", cascade="all, delete-orphan", order_by="InterviewInvitation.id"
    )

    @property
    def duration(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.duration_minutes)

    @property
    def panel_users(self) -> list[User]:
        return [member.user for member in self.panel]


class InterviewPanelMember(db.Base):
    """A person on an interview's panel (a committee member or one of the chosen supervisors)."""

    __tablename__ = "interview_panel_members"
    __table_args__ = (UniqueConstraint("interview_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    interview_id: Mapped[int] = mapped_column(ForeignKey("interviews.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)

    interview: Mapped[Interview] = relationship(back_populates="panel")
    user: Mapped[User] = relationship(lazy="joined", innerjoin="unnested")


class InterviewSlot(db.Base):
    """A time the panel offers; it holds at most one booking (the bookings' unique slot_id says so)."""

    __tablename__ = "interview_slots"
    __table_args__ = (UniqueConstraint("interview_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    interview_id: Mapped[int] = mapped_column(ForeignKey("interviews.id", ondelete="CASCADE"))
    starts_at: Mapped[dt.datetime] = mapped_column(db.UTCDateTime)

    interview: Mapped[Interview] = relationship(back_populates="slots")
    booking: Mapped[InterviewBooking | None] = relationship(back_populates="slot")

    @property
    def ends_at(self) -> dt.datetime:
        return self.starts_at + self.interview.duration


class InterviewInvitation(db.Base):
    """An application invited to an interview; `sequence` counts the calendar changes (SEQUENCE of its .ics)."""

    __tablename__ = "interview_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    interview_id: Mapped[int] = mapped_column(ForeignKey("interviews.id", ondelete="CASCADE"), index=True)
    # One interview per application.
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), unique=True)
    invited_at: Mapped[dt.datetime] = mapped_column(db.UTCDateTime, default=utcnow)
    sequence: Mapped[int] = mapped_column(default=0)
    reminded_at: Mapped[dt.datetime | None] = mapped_column(db.UTCDateTime)

    interview: Mapped[Interview] = relationship(back_populates="invitations")
    application: Mapped[Application] = relationship()
    booking: Mapped[InterviewBooking | None] = relationship(
        back_populates="invitation", cascade="all, delete-orphan", uselist=False
    )


class InterviewBooking(db.Base):
    """The slot an invited applicant booked: one booking per invitation and one per slot (the database enforces
    both, so two applicants taking the same slot at the same instant cannot both succeed)."""

    __tablename__ = "interview_bookings"

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("interview_invitations.id", ondelete="CASCADE"), unique=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("interview_slots.id", ondelete="CASCADE"), unique=True)
    booked_at: Mapped[dt.datetime] = mapped_column(db.UTCDateTime, default=utcnow)

    invitation: Mapped[InterviewInvitation] = relationship(back_populates="booking")
    slot: Mapped[InterviewSlot] = relationship(back_populates="booking", lazy="joined", innerjoin="unnested")


class InterviewNote(db.Base):
    """A panel member's notes and score on one interview; a draft until submitted."""

    __tablename__ = "interview_notes"
    __table_args__ = (
        UniqueConstraint("invitation_id", "author_id"),
        CheckConstraint(f"score IS NULL OR score BETWEEN {MIN_SCORE} AND {MAX_SCORE}", name="score_range"),
        CheckConstraint("submitted_at IS NULL OR score IS NOT NULL", name="submitted_scored"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("interview_invitations.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    score: Mapped[int | None]
    notes: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[dt.datetime] = mapped_column(db.UTCDateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(db.UTCDateTime)

    invitation: Mapped[InterviewInvitation] = relationship()
    author: Mapped[User] = relationship(lazy="joined", innerjoin="unnested")

    @property
    def submitted(self) -> bool:
        return self.submitted_at is not None


class CalendarFeed(db.Base):
    """A panel member's private calendar feed: only the hash of its secret token is kept; deleting it revokes it."""

    __tablename__ = "interview_calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(db.UTCDateTime, default=utcnow)
