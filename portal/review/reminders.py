"""Reminders through the outbox: referees whose link expires soon and whose letter has not arrived, reviewers whose
review is not submitted as the round's deadline for reviews approaches.

`flask --app app portal remind` calls send_due_reminders (cron, once a day). Each reminder sets `reminded_at`, and no
one is reminded again within REMIND_AGAIN_AFTER, so running it twice sends nothing twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import contains_eager

from portal import db
from portal.accounts.models import User
from portal.applications.invitations import email_referee
from portal.applications.models import Application, IntakeRound, RefereeInvitation
from portal.core import audit
from portal.core.outbox import notify
from portal.core.urls import absolute_url
from portal.review.models import Review, ReviewAssignment
from portal.review.permissions import OPEN_FOR_REVIEW, conflicted

# A deadline this close (or closer) makes a reminder due.
REMINDER_WINDOW = dt.timedelta(days=7)
# Nobody is reminded of the same thing twice within this time.
REMIND_AGAIN_AFTER = dt.timedelta(days=7)


@dataclass(frozen=True)
class ReminderReport:
    referees: int
    reviewers: int

    @property
    def total(self) -> int:
        return self.referees + self.reviewers


def _not_recently(column, now: dt.datetime):
    return or_(column.is_(None), column <= now - REMIND_AGAIN_AFTER)


def due_referees(now: dt.datetime) -> list[RefereeInvitation]:
    """Invited referees without a letter whose link is still valid but expires within the window."""
    query = (
        select(RefereeInvitation)
        .join(RefereeInvitation.application)
        .options(contains_eager(RefereeInvitation.application))
        .where(
            Application.state.in_(OPEN_FOR_REVIEW),
            RefereeInvitation.invited_at.is_not(None),
            RefereeInvitation.token_hash.is_not(None),
            RefereeInvitation.letter_received_at.is_(None),
            RefereeInvitation.token_expires_at > now,
            RefereeInvitation.token_expires_at <= now + REMINDER_WINDOW,
            _not_recently(RefereeInvitation.reminded_at, now),
        )
        .order_by(RefereeInvitation.id)
        # Two runs at once on PostgreSQL: each reminder is claimed by one of them.
        .with_for_update(of=RefereeInvitation, skip_locked=True)
    )
    return list(db.session.scalars(query))


def remind_referee(referee: RefereeInvitation, *, now: dt.datetime) -> None:
    """Remind a referee in the language chosen for them; no new link (only its hash is stored)."""
    email_referee(referee, "reminder_referee")
    referee.reminded_at = now
    audit.record("referee.reminded", referee.application, details={"position": referee.position})


def due_assignments(now: dt.datetime) -> list[ReviewAssignment]:
    """Assignments of active reviewers without a submitted review whose round's reviews are due within the window."""
    query = (
        select(ReviewAssignment)
        .join(ReviewAssignment.application)
        .join(IntakeRound, IntakeRound.id == Application.round_id)
        .join(User, User.id == ReviewAssignment.reviewer_id)
        .outerjoin(Review, Review.assignment_id == ReviewAssignment.id)
        .options(contains_eager(ReviewAssignment.application))
        .where(
            Application.state.in_(OPEN_FOR_REVIEW),
            User.active.is_(True),
            or_(Review.id.is_(None), Review.submitted_at.is_(None)),
            IntakeRound.reviews_due > now,
            IntakeRound.reviews_due <= now + REMINDER_WINDOW,
            _not_recently(ReviewAssignment.reminded_at, now),
            # A conflict that arose after the assignment (the member became a referee, say) hides the application
            # from them: a reminder must not name it either.
            ~conflicted(User.id, User.email),
        )
        .order_by(ReviewAssignment.reviewer_id, Application.reference)
        .with_for_update(of=ReviewAssignment, skip_locked=True)
    )
    return list(db.session.scalars(query))


def remind_reviewer(reviewer: User, assignments: list[ReviewAssignment], *, now: dt.datetime) -> None:
    """One email per reviewer listing their open reviews, in the reviewer's language."""
    notify(
        reviewer,
        "reminder_review",
        applications=[a.application for a in assignments],
        due=min(a.application.intake_round.reviews_due for a in assignments),
        link=absolute_url("review.dashboard"),
    )
    for assignment in assignments:
        assignment.reminded_at = now
        audit.record("review.reminded", assignment.application, details={"reviewer_id": reviewer.id})


def send_due_reminders(now: dt.datetime) -> ReminderReport:
    """Write every due reminder to the outbox and mark it sent (no commit); returns how many emails were written."""
    referees = due_referees(now)
    for referee in referees:
        remind_referee(referee, now=now)
    by_reviewer: dict[int, list[ReviewAssignment]] = {}
    for assignment in due_assignments(now):
        by_reviewer.setdefault(assignment.reviewer_id, []).append(assignment)
    for assignments in by_reviewer.values():
        remind_reviewer(assignments[0].reviewer, assignments, now=now)
    db.session.flush()
    return ReminderReport(referees=len(referees), reviewers=len(by_reviewer))
