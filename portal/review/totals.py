"""The review totals (ReviewTotals) the ranking orders by, recomputed after every flush that adds, changes or deletes a
review or an assignment, for those applications alone: whatever path writes a review, the totals follow it in the same
transaction."""

from __future__ import annotations

import operator
from functools import reduce
from typing import Any

from sqlalchemy import delete, event, func, insert, select
from sqlalchemy.orm import Session

from portal.review.models import CRITERIA, Review, ReviewAssignment, ReviewTotals

_PENDING = "review_totals_pending"


def score_total() -> Any:
    """A review's five scores added up (the means are these totals over the same number of criteria)."""
    return reduce(operator.add, (getattr(Review, name) for name in CRITERIA))


def refresh(connection: Any, application_ids: set[int] | None) -> None:
    """Recompute the totals of these applications (None: of all) from their submitted reviews (no row: none
    submitted)."""
    if application_ids is not None and not application_ids:
        return
    total = score_total()
    sums = (
        select(ReviewAssignment.application_id, func.count(), func.sum(total), func.max(total) - func.min(total))
        .join(Review, Review.assignment_id == ReviewAssignment.id)
        .where(Review.submitted_at.is_not(None))
        .group_by(ReviewAssignment.application_id)
    )
    stale = delete(ReviewTotals)
    if application_ids is not None:
        ids = sorted(application_ids)
        stale = stale.where(ReviewTotals.application_id.in_(ids))
        sums = sums.where(ReviewAssignment.application_id.in_(ids))
    connection.execute(stale)
    columns = [ReviewTotals.application_id, ReviewTotals.submitted, ReviewTotals.total, ReviewTotals.gap]
    connection.execute(insert(ReviewTotals).from_select(columns, sums))


@event.listens_for(Session, "before_flush")
def _note_reviews(session: Session, _context: Any, _instances: Any) -> None:
    """Remember the assignments whose reviews this flush writes (their ids may only exist after it)."""
    touched = [
        obj.assignment if isinstance(obj, Review) else obj
        for obj in (*session.new, *session.dirty, *session.deleted)
        if isinstance(obj, (Review, ReviewAssignment))
    ]
    if touched:
        session.info.setdefault(_PENDING, []).extend(a for a in touched if a is not None)


@event.listens_for(Session, "after_flush")
def _refresh_totals(session: Session, _context: Any) -> None:
    assignments = session.info.pop(_PENDING, None)
    if assignments:
        refresh(session.connection(), {a.application_id for a in assignments if a.application_id is not None})
