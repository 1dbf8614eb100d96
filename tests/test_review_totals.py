"""The review totals the ranking orders by (portal/review/totals.py) follow every write of a review or an assignment,
whoever writes it (migration 0024 fills them for the reviews already there: tests/test_migrations.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from portal import db
from portal.core.timeutil import utcnow
from portal.review.assignments import unassign
from portal.review.models import CRITERIA, Review, ReviewAssignment, ReviewTotals
from portal.review.services import save_review
from tests.factories import IntakeRoundFactory, add_review, assigned, committee_member, judged

pytestmark = pytest.mark.usefixtures("plain_app_context")


def stored() -> dict[int, tuple[int, int, int]]:
    """The totals as kept: application id -> (submitted reviews, sum of their totals, gap)."""
    rows = db.session.execute(
        select(ReviewTotals.application_id, ReviewTotals.submitted, ReviewTotals.total, ReviewTotals.gap)
    )
    return {application_id: (submitted, total, gap) for application_id, submitted, total, gap in rows}


def recounted() -> dict[int, tuple[int, int, int]]:
    """The totals computed here, in Python, from every submitted review."""
    sums: dict[int, list[int]] = {}
    for assignment in db.session.scalars(select(ReviewAssignment)):
        review = assignment.review
        if review is not None and review.submitted_at is not None:
            sums.setdefault(assignment.application_id, []).append(sum(getattr(review, name) for name in CRITERIA))
    return {key: (len(values), sum(values), max(values) - min(values)) for key, values in sums.items()}


def scores(*values: int) -> dict[str, str]:
    return {**dict(zip(CRITERIA, map(str, values), strict=True)), "recommendation": "admit"}


def test_the_totals_follow_submissions_revisions_drafts_and_removed_assignments():
    intake = IntakeRoundFactory()
    first, second, third = (committee_member(code) for code in ("LUH", "UGOE", "TUBS"))
    application, other = judged(intake), judged(intake)
    add_review(other, [1, 1, 1, 1, 1])  # written directly, as the factories do: the totals follow too
    mine = [assigned(member, application) for member in (first, second, third)]
    db.session.commit()
    assert stored() == recounted() == {other.id: (1, 5, 0)}

    now = utcnow()
    save_review(mine[0], scores(5, 5, 5, 5, 5), submit=True, expected_version=0, now=now)
    save_review(mine[1], scores(2, 2, 2, 2, 2), submit=True, expected_version=0, now=now)
    save_review(mine[2], {"score_fit": "3"}, submit=False, expected_version=0, now=now)  # a draft does not count
    db.session.commit()
    assert stored()[application.id] == (2, 35, 15)

    # A submitted review revised: its new scores count, the old ones no longer.
    save_review(mine[1], scores(3, 3, 3, 3, 4), submit=True, expected_version=mine[1].review.version, now=now)
    db.session.commit()
    assert stored()[application.id] == (2, 41, 9)

    # A removed assignment takes its review with it; the last one removed leaves no totals at all.
    unassign(mine[0], by=None)
    db.session.commit()
    assert stored()[application.id] == (1, 16, 0)
    unassign(mine[1], by=None)
    db.session.commit()
    assert application.id not in stored()
    assert stored() == recounted()


def test_a_review_deleted_with_its_application_leaves_no_totals_behind():
    intake = IntakeRoundFactory()
    application = judged(intake)
    add_review(application, 4)
    db.session.commit()
    assert application.id in stored()
    db.session.execute(text("DELETE FROM review_revisions"))
    db.session.execute(text("DELETE FROM reviews"))
    db.session.execute(text("DELETE FROM review_assignments"))
    db.session.delete(application)
    db.session.commit()
    assert stored() == {}
    assert db.session.scalar(select(Review.id)) is None
