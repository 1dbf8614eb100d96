"""What the staff record and the coordinators' dashboard show at once in the demo: two reviewers who disagree strongly
about one application of the open round (the dashboard lists it, the ranking flags it, the record shows both comments
and each review's revisions). The rest of a rich record (documents, letters, statements, emails, history) comes from
the applications the services wrote."""

from __future__ import annotations

from sqlalchemy import select

from portal import db
from portal.accounts.models import User
from portal.applications.models import Application, ApplicationState
from portal.core.timeutil import utcnow
from portal.core.versions import version_of
from portal.demo.plans import REVIEWERS
from portal.review.models import CRITERIA, ReviewAssignment
from portal.review.services import save_review

DISPUTED_APPLICANT = "chen.yuxin@example.com"
# Both reviewers revise their review after reading the letters: one convinced, one not (means 4.8 and 2.4).
REVISIONS = {
    REVIEWERS["K"]: (
        (5, 5, 4, 5, 5),
        "strongly_admit",
        "Outstanding fit with both groups; the hydrogen test rig at Clausthal makes the plan feasible.",
    ),
    REVIEWERS["L"]: (
        (3, 2, 2, 3, 2),
        "reject",
        "The research question is still too broad for a doctorate, and the methods are not yet described.",
    ),
}
NOTE = "Revised after reading both letters of recommendation."


def ensure_disagreement() -> None:
    """Revise the two reviews of the disputed application as REVISIONS says (once: a revision with NOTE is kept)."""
    for email, (scores, recommendation, comment) in REVISIONS.items():
        assignment = _assignment(email)
        review = assignment.review if assignment is not None else None
        if review is None or not review.submitted or any(r.note == NOTE for r in review.revisions):
            continue
        values = dict(zip(CRITERIA, scores, strict=True))
        save_review(
            assignment,
            {**values, "recommendation": recommendation, "comment": comment, "note": NOTE},
            submit=True,
            expected_version=version_of(review),
            now=utcnow(),
        )


def _assignment(reviewer_email: str) -> ReviewAssignment | None:
    """The reviewer's assignment to the disputed application while it is under review (None otherwise)."""
    applicant = select(User.id).where(User.email == DISPUTED_APPLICANT)
    reviewer = select(User.id).where(User.email == reviewer_email)
    return db.session.scalars(
        select(ReviewAssignment)
        .join(Application, Application.id == ReviewAssignment.application_id)
        .where(
            Application.applicant_id.in_(applicant),
            Application.state == ApplicationState.UNDER_REVIEW,
            ReviewAssignment.reviewer_id.in_(reviewer),
        )
    ).first()
