"""Reminders through the outbox: referees without a letter, supervisors without a statement, reviewers with reviews
not submitted. The nightly run (`flask --app app portal remind`, send_due_reminders) and "remind now"
(portal/review/remind_now.py) write and read the one record, `Reminder`: nobody is reminded twice within
REMIND_GAP, and the nightly run reminds of the same thing again only after REMIND_AGAIN_AFTER.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import exists, func, select
from sqlalchemy.orm import contains_eager

from portal import db
from portal.accounts.models import User
from portal.applications.invitations import email_referee
from portal.applications.models import Application, IntakeRound, RefereeInvitation
from portal.core import audit
from portal.core.outbox import notify
from portal.core.urls import absolute_url
from portal.review.models import Reminder, ReminderKind, Review, ReviewAssignment
from portal.review.permissions import OPEN_FOR_REVIEW, conflicted
from portal.supervisors.models import SupervisorProfile

# A deadline this close (or closer) makes a nightly reminder due.
REMINDER_WINDOW = dt.timedelta(days=7)
# The nightly run reminds of the same thing again only after this time.
REMIND_AGAIN_AFTER = dt.timedelta(days=7)
# Nobody gets two reminders (of anything, nightly or "remind now") within this time.
REMIND_GAP = dt.timedelta(hours=24)


@dataclass(frozen=True)
class ReminderReport:
    referees: int
    reviewers: int

    @property
    def total(self) -> int:
        return self.referees + self.reviewers


def reminded_within_gap(recipient, now: dt.datetime):
    """True where the address (a column or a value) was reminded of anything within REMIND_GAP."""
    return exists().where(Reminder.recipient == func.lower(recipient), Reminder.sent_at > now - REMIND_GAP)


def last_reminded(recipients: list[str]) -> dict[str, dt.datetime]:
    """When each address was last reminded (lower case address -> time), one query."""
    if not recipients:
        return {}
    query = (
        select(Reminder.recipient, func.max(Reminder.sent_at))
        .where(Reminder.recipient.in_({r.lower() for r in recipients}))
        .group_by(Reminder.recipient)
    )
    return {recipient: sent_at for recipient, sent_at in db.session.execute(query)}


def record(kind: ReminderKind, recipient: str, *, now: dt.datetime, by: User | None, **targets: int | None) -> None:
    """Remember one reminder (the referee, the statement or the assignment it was about in targets)."""
    db.session.add(
        Reminder(kind=kind, recipient=recipient.lower(), sent_at=now, sent_by_id=by.id if by else None, **targets)
    )


def _not_about_lately(target_column, column, now: dt.datetime):
    return ~exists().where(target_column == column, Reminder.sent_at > now - REMIND_AGAIN_AFTER)


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
            _not_about_lately(Reminder.referee_id, RefereeInvitation.id, now),
            ~reminded_within_gap(RefereeInvitation.email, now),
        )
        .order_by(RefereeInvitation.id)
        # Two runs at once on PostgreSQL: each reminder is claimed by one of them.
        .with_for_update(of=RefereeInvitation, skip_locked=True)
    )
    return list(db.session.scalars(query))


def remind_referee(referee: RefereeInvitation, *, now: dt.datetime, by: User | None = None) -> None:
    """Remind a referee in the language chosen for them; no new link (only its hash is stored)."""
    email_referee(referee, "reminder_referee")
    record(
        ReminderKind.REFEREE,
        referee.email,
        now=now,
        by=by,
        referee_id=referee.id,
        application_id=referee.application_id,
    )
    audit.record(
        "referee.reminded", referee.application, actor_id=by.id if by else None, details={"position": referee.position}
    )


def remind_supervisor(
    application: Application, profile: SupervisorProfile, *, now: dt.datetime, by: User | None
) -> None:
    """Remind a chosen supervisor that their statement on the application is missing, in their language."""
    notify(
        profile.user,
        "reminder_statement",
        application=application,
        link=absolute_url("supervise.application", application_id=application.id),
    )
    record(
        ReminderKind.SUPERVISOR,
        profile.user.email,
        now=now,
        by=by,
        application_id=application.id,
        profile_id=profile.id,
    )
    audit.record("statement.reminded", application, actor_id=by.id if by else None, details={"profile_id": profile.id})


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
            Review.submitted_at.is_(None),
            IntakeRound.reviews_due > now,
            IntakeRound.reviews_due <= now + REMINDER_WINDOW,
            _not_about_lately(Reminder.assignment_id, ReviewAssignment.id, now),
            ~reminded_within_gap(User.email, now),
            # A conflict that arose after the assignment (the member became a referee, say) hides the application
            # from them: a reminder must not name it either.
            ~conflicted(User.id, User.email),
        )
        .order_by(ReviewAssignment.reviewer_id, Application.reference)
        .with_for_update(of=ReviewAssignment, skip_locked=True)
    )
    return list(db.session.scalars(query))


def remind_reviewer(
    reviewer: User, assignments: list[ReviewAssignment], *, now: dt.datetime, by: User | None = None
) -> None:
    """One email per reviewer listing their open reviews, in the reviewer's language."""
    dues = [a.application.intake_round.reviews_due for a in assignments if a.application.intake_round.reviews_due]
    notify(
        reviewer,
        "reminder_review",
        applications=[a.application for a in assignments],
        due=min(dues) if dues else None,
        link=absolute_url("review.dashboard"),
    )
    for assignment in assignments:
        record(
            ReminderKind.REVIEWER,
            reviewer.email,
            now=now,
            by=by,
            assignment_id=assignment.id,
            application_id=assignment.application_id,
        )
        audit.record(
            "review.reminded",
            assignment.application,
            actor_id=by.id if by else None,
            details={"reviewer_id": reviewer.id},
        )


def send_due_reminders(now: dt.datetime) -> ReminderReport:
    """Write every due reminder to the outbox and record it (no commit); returns how many emails were written."""
    referees, seen = [], set()
    for referee in due_referees(now):
        if referee.email.lower() not in seen:  # one referee of two applications: one reminder a day
            seen.add(referee.email.lower())
            remind_referee(referee, now=now)
            referees.append(referee)
    by_reviewer: dict[int, list[ReviewAssignment]] = {}
    for assignment in due_assignments(now):
        by_reviewer.setdefault(assignment.reviewer_id, []).append(assignment)
    for assignments in by_reviewer.values():
        remind_reviewer(assignments[0].reviewer, assignments, now=now)
    db.session.flush()
    return ReminderReport(referees=len(referees), reviewers=len(by_reviewer))
