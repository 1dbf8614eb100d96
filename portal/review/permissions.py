"""Who may judge what: conflicts of interest, assignments, and the visibility of reviews and statements."""

from __future__ import annotations

from sqlalchemy import select

from portal import db
from portal.accounts.models import User
from portal.applications.models import Application, ApplicationState
from portal.applications.permissions import is_chosen_supervisor
from portal.core.roles import Role
from portal.review.models import Conflict, ConflictReason, Review, ReviewAssignment

JUDGED_STATES = {ApplicationState.SUBMITTED, ApplicationState.UNDER_REVIEW, ApplicationState.DECIDED}


def conflict_reasons(user: User, application: Application) -> set[ConflictReason]:
    """Every reason the user may not judge the application (empty when there is none)."""
    reasons: set[ConflictReason] = set()
    if is_chosen_supervisor(user, application):
        reasons.add(ConflictReason.CHOSEN_SUPERVISOR)
    if any(referee.email == user.email for referee in application.referees):
        reasons.add(ConflictReason.REFEREE)
    declared = db.session.scalar(
        select(Conflict.id).where(Conflict.application_id == application.id, Conflict.user_id == user.id)
    )
    if declared is not None:
        reasons.add(ConflictReason.DECLARED)
    return reasons


def is_conflicted(user: User, application: Application) -> bool:
    return bool(conflict_reasons(user, application))


def assignment_of(user: User, application: Application) -> ReviewAssignment | None:
    """The user's assignment to review the application, if any."""
    return db.session.scalars(
        select(ReviewAssignment).where(
            ReviewAssignment.application_id == application.id, ReviewAssignment.reviewer_id == user.id
        )
    ).first()


def can_review(user: User, application: Application) -> bool:
    """An assigned, unconflicted committee member, on a submitted application."""
    return (
        user.has_role(Role.COMMITTEE)
        and application.state in JUDGED_STATES
        and assignment_of(user, application) is not None
        and not is_conflicted(user, application)
    )


def has_submitted_own_review(user: User, application: Application) -> bool:
    assignment = assignment_of(user, application)
    return assignment is not None and assignment.review is not None and assignment.review.submitted


def can_see_reviews(user: User, application: Application) -> bool:
    """Others' reviews: coordinators always; a reviewer only after submitting their own."""
    if user.has_role(Role.COORDINATOR):
        return True
    return can_review(user, application) and has_submitted_own_review(user, application)


def can_see_statements(user: User, application: Application) -> bool:
    """The supervisors' statements as a whole: the assigned committee and the coordinators."""
    return user.has_role(Role.COORDINATOR) or can_review(user, application)


def may_read_review(viewer: User, application: Application, *, author_id: int, submitted: bool) -> bool:
    """The one answer to "may this viewer read this review": its author always; anyone else a submitted one only, and
    only when they may see the application's reviews (coordinators; an assigned reviewer after submitting their own)."""
    if author_id == viewer.id:
        return True
    return submitted and can_see_reviews(viewer, application)


def visible_reviews(viewer: User, application: Application) -> list[Review]:
    """The application's reviews whose content this viewer may read (the page, its template, dossier and exports)."""
    query = (
        select(Review)
        .join(ReviewAssignment, Review.assignment_id == ReviewAssignment.id)
        .where(ReviewAssignment.application_id == application.id)
        .order_by(ReviewAssignment.id)
    )
    return [
        review
        for review in db.session.scalars(query)
        if may_read_review(viewer, application, author_id=review.assignment.reviewer_id, submitted=review.submitted)
    ]
