"""Panel members' notes and scores on an interview, and what the record, the ranking and the dossier show of them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from portal import db
from portal.accounts.models import User
from portal.applications.models import Application
from portal.core import audit
from portal.core.one_trip import OneTrip, Pending, attach
from portal.core.rules import RuleViolation
from portal.interviews.models import (
    MAX_SCORE,
    MIN_SCORE,
    Interview,
    InterviewBooking,
    InterviewInvitation,
    InterviewNote,
    InterviewPanelMember,
    InterviewSlot,
)
from portal.interviews.permissions import may_see, visible_notes


def own_note(invitation: InterviewInvitation, author: User) -> InterviewNote | None:
    return db.session.scalars(
        select(InterviewNote).where(InterviewNote.invitation_id == invitation.id, InterviewNote.author_id == author.id)
    ).first()


def save_note(
    invitation: InterviewInvitation, author: User, *, score: int | None, notes: str, submit: bool, now: dt.datetime
) -> InterviewNote:
    """Keep a panel member's notes and score; submitting needs a score (the others then see it, like a review)."""
    if score is not None and not MIN_SCORE <= score <= MAX_SCORE:
        raise RuleViolation(_("Choose a score from 1 to 5."), field="score")
    if submit and score is None:
        raise RuleViolation(_("Choose a score before submitting."), field="score")
    note = own_note(invitation, author) or InterviewNote(invitation=invitation, author=author)
    note.score, note.notes, note.updated_at = score, notes.strip(), now
    if submit and note.submitted_at is None:
        note.submitted_at = now
    db.session.add(note)
    db.session.flush()
    audit.record("interview.note_saved", invitation.application, details={"submitted": note.submitted})
    return note


def all_notes(invitation: InterviewInvitation) -> list[InterviewNote]:
    return list(
        db.session.scalars(
            select(InterviewNote).where(InterviewNote.invitation_id == invitation.id).order_by(InterviewNote.id)
        )
    )


def others_notes(viewer: User, invitation: InterviewInvitation) -> list[InterviewNote]:
    """The other panel members' notes the viewer may read."""
    return [n for n in visible_notes(viewer, invitation, all_notes(invitation)) if n.author_id != viewer.id]


@dataclass(frozen=True)
class InterviewView:
    """An application's interview as one viewer may see it."""

    invitation: InterviewInvitation
    notes: list[InterviewNote]

    @property
    def slot(self) -> InterviewSlot | None:
        booking = self.invitation.booking
        return booking.slot if booking is not None else None

    @property
    def mean(self) -> float | None:
        scores = [note.score for note in self.notes if note.submitted and note.score is not None]
        return float(Fraction(sum(scores), len(scores))) if scores else None


def interviews_for_record(viewer: User, application: Application) -> list[InterviewView]:
    """The application's interview for the staff record: for its panel and the coordinators, with the notes the
    viewer may read; nothing for anyone else (one statement)."""
    return OneTrip.alone(db.session, interviews_for_record_in, viewer, application)


def interviews_for_record_in(trip: OneTrip, viewer: User, application: Application) -> Pending[list[InterviewView]]:
    """interviews_for_record, read in the trip: the invitation with its interview, booking and slot, the panel and the
    notes with their authors."""
    of_application = InterviewInvitation.application_id == application.id
    invitations = trip.objects(
        select(InterviewInvitation, Interview, InterviewBooking, InterviewSlot)
        .join(Interview, Interview.id == InterviewInvitation.interview_id)
        .outerjoin(InterviewBooking, InterviewBooking.invitation_id == InterviewInvitation.id)
        .outerjoin(InterviewSlot, InterviewSlot.id == InterviewBooking.slot_id)
        .where(of_application)
    )
    panel = trip.objects(
        select(InterviewPanelMember, User)
        .join(User, User.id == InterviewPanelMember.user_id)
        .join(InterviewInvitation, InterviewInvitation.interview_id == InterviewPanelMember.interview_id)
        .where(of_application)
        .order_by(InterviewPanelMember.id)
    )
    notes = trip.objects(
        select(InterviewNote, User)
        .join(User, User.id == InterviewNote.author_id)
        .join(InterviewInvitation, InterviewInvitation.id == InterviewNote.invitation_id)
        .where(of_application)
        .order_by(InterviewNote.id)
    )

    def build(invitations: list[Any], panel: list[Any], notes: list[Any]) -> list[InterviewView]:
        if not invitations:
            return []
        invitation, interview, booking, _slot = invitations[0]
        attach([invitation], InterviewInvitation.booking, [booking] if booking is not None else [])
        attach([interview], Interview.panel, [member for member, _user in panel])
        if not may_see(viewer, invitation) or viewer.id == application.applicant_id:
            return []
        return [InterviewView(invitation, visible_notes(viewer, invitation, [note for note, _author in notes]))]

    return trip.then(build, invitations, panel, notes)


@dataclass(frozen=True)
class InterviewSummary:
    """What the ranking shows of an application's interview (for coordinators, who read every submitted note)."""

    starts_at: dt.datetime | None
    scores: int
    mean: float | None


def ranking_columns() -> list[Any]:
    """The ranking's view of an application's interview as columns of a query over Application (correlated, so that
    the ranking reads them with its rows): invited, the booked time, the submitted notes' number and score sum."""
    of_application = InterviewInvitation.application_id == Application.id

    def notes(aggregate: Any) -> Any:
        query = select(aggregate).select_from(InterviewNote)
        query = query.join(InterviewInvitation, InterviewInvitation.id == InterviewNote.invitation_id)
        return query.where(of_application, InterviewNote.submitted_at.is_not(None)).scalar_subquery()

    starts = (
        select(InterviewSlot.starts_at)
        .join(InterviewBooking, InterviewBooking.slot_id == InterviewSlot.id)
        .join(InterviewInvitation, InterviewInvitation.id == InterviewBooking.invitation_id)
        .where(of_application)
        .scalar_subquery()
    )
    return [
        select(InterviewInvitation.id).where(of_application).exists().label("interview_invited"),
        starts.label("interview_starts_at"),
        notes(func.count(InterviewNote.id)).label("interview_scores"),
        notes(func.sum(InterviewNote.score)).label("interview_total"),
    ]


def summary_of(invited: Any, starts_at: dt.datetime | None, scores: int, total: int | None) -> InterviewSummary | None:
    """The summary from the values of ranking_columns (None when the applicant was not invited)."""
    if not invited:
        return None
    return InterviewSummary(starts_at, scores, float(Fraction(int(total or 0), scores)) if scores else None)
