"""Messages about a whole round that go out once: when the last review of a round is submitted, the coordinators and
the selection committee are told (RoundNotice remembers it, so a revision or a later review sends nothing again)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal import db
from portal.accounts.models import User, UserRole
from portal.applications.models import Application, ApplicationState, IntakeRound
from portal.core import audit
from portal.core.outbox import notify
from portal.core.roles import Role
from portal.core.urls import absolute_url
from portal.review.models import Review, ReviewAssignment, RoundNotice

REVIEWS_COMPLETE = "reviews_complete"


def reviews_outstanding(intake: IntakeRound) -> tuple[int, int]:
    """(assignments, of them without a submitted review) of the round's applications not withdrawn; one query."""
    query = (
        select(func.count(ReviewAssignment.id), func.count(ReviewAssignment.id).filter(Review.submitted_at.is_(None)))
        .join(Application, Application.id == ReviewAssignment.application_id)
        .outerjoin(Review, Review.assignment_id == ReviewAssignment.id)
        .where(Application.round_id == intake.id, Application.state != ApplicationState.WITHDRAWN)
    )
    total, missing = db.session.execute(query).one()
    return total, missing


def _recipients() -> list[User]:
    query = (
        select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(User.active.is_(True), UserRole.role.in_((Role.COORDINATOR, Role.COMMITTEE)))
        .order_by(User.id)
    )
    return list(db.session.scalars(query).unique())


def _remember(intake: IntakeRound, now: dt.datetime) -> bool:
    """Record the notice; False when it was already recorded (by this or a concurrent request)."""
    if db.session.scalar(
        select(RoundNotice.id).where(RoundNotice.round_id == intake.id, RoundNotice.kind == REVIEWS_COMPLETE)
    ):
        return False
    try:
        with db.session.begin_nested():
            db.session.add(RoundNotice(round_id=intake.id, kind=REVIEWS_COMPLETE, sent_at=now))
    except IntegrityError:
        return False
    return True


def notice_if_reviews_complete(intake: IntakeRound, now: dt.datetime) -> bool:
    """When every assigned review of the round is submitted, tell coordinators and committee, once; True if told."""
    total, missing = reviews_outstanding(intake)
    if total == 0 or missing or not _remember(intake, now):
        return False
    for user in _recipients():
        link = absolute_url("review.ranking", round_id=intake.id) if user.has_role(Role.COORDINATOR) else None
        notify(user, "reviews_complete", intake=intake, reviews=total, link=link or absolute_url("review.dashboard"))
    audit.record("round.reviews_complete", intake, details={"reviews": total})
    return True
