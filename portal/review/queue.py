"""A reviewer's way through their assignments of a round: how many are submitted, and which open review comes next.

The order is the assigned list's (reference numbers within the round), and the same applications count: those the
list shows (submitted, under review or decided; never one the reviewer has a conflict with). An open review is one
not submitted yet (a draft or not started) on an application still under review, before the review deadline.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from portal import db
from portal.accounts.models import User
from portal.applications.models import Application
from portal.core.one_trip import OneTrip, Pending
from portal.review.models import Review, ReviewAssignment
from portal.review.permissions import JUDGED_STATES, OPEN_FOR_REVIEW, conflicted
from portal.review.services import ReviewStatus, RoundGroup, deadline_passed


@dataclass(frozen=True)
class Progress:
    """Where a reviewer stands in a round: "3 of 11 submitted", and the next open review after the current one."""

    submitted: int
    total: int
    next_application_id: int | None

    @property
    def open(self) -> int:
        return self.total - self.submitted


def progress(user: User, application: Application, now: dt.datetime) -> Progress:
    """The reviewer's progress in the application's round and the next open review after it (one query)."""
    return OneTrip.alone(db.session, progress_read_in, user, application, now)


def progress_read_in(trip: OneTrip, user: User, application: Application, now: dt.datetime) -> Pending[Progress]:
    """progress, read in the trip."""
    query = (
        select(Application.id, Application.state, Review.submitted_at)
        .select_from(ReviewAssignment)
        .join(Application, ReviewAssignment.application)
        .outerjoin(Review, Review.assignment_id == ReviewAssignment.id)
        .where(
            ReviewAssignment.reviewer_id == user.id,
            Application.round_id == application.round_id,
            Application.state.in_(JUDGED_STATES),
            ~conflicted(user.id, user.email),
        )
        .order_by(Application.reference, Application.id)
    )

    def build(found: list[Any]) -> Progress:
        rows = [
            (application_id, submitted_at is not None, state in OPEN_FOR_REVIEW)
            for application_id, state, submitted_at in found
        ]
        return _progress(rows, application, now)

    return trip.then(build, trip.rows(query))


def progress_in(group: RoundGroup, application: Application, now: dt.datetime) -> Progress:
    """The same from the assigned list's rows of the application's round, already read (the same applications in the
    same order: services.assigned_applications leaves out the same ones)."""
    rows = [(row.application_id, row.status == ReviewStatus.SUBMITTED, row.under_review) for row in group.rows]
    return _progress(rows, application, now)


def _progress(rows: list[tuple[int, bool, bool]], application: Application, now: dt.datetime) -> Progress:
    """From (application id, review submitted, still under review) in the list's order."""
    submitted = sum(1 for _id, done, _open in rows if done)
    reviewable = not deadline_passed(application.intake_round, now)
    open_ids = [application_id for application_id, done, waiting in rows if reviewable and not done and waiting]
    return Progress(submitted, len(rows), _following(open_ids, [row[0] for row in rows], application.id))


def _following(open_ids: list[int], order: list[int], current: int) -> int | None:
    """The first open review after the current application in the list's order, wrapping round to the start."""
    position = order.index(current) if current in order else -1
    later = [i for i in open_ids if order.index(i) > position]
    earlier = [i for i in open_ids if order.index(i) < position]
    return next(iter(later + earlier), None)
