"""The applications whose reviewers disagree strongly, for the coordinators' dashboard: read from the review totals
kept on write (portal/review/totals.py), with the ranking's threshold (ranking.DISAGREEMENT_SPREAD)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from portal import db
from portal.accounts.models import User
from portal.applications.models import Application, display_name
from portal.review.models import CRITERIA, ReviewTotals
from portal.review.permissions import OPEN_FOR_REVIEW
from portal.review.ranking import DISAGREEMENT_SPREAD


@dataclass(frozen=True)
class Disagreement:
    """An application whose reviewers disagree strongly, for a list of things to look at."""

    application_id: int
    reference: str | None
    name: str
    spread: float


def disagreements(round_id: int, *, limit: int = 20) -> list[Disagreement]:
    """The round's applications still without a decision whose submitted reviews lie DISAGREEMENT_SPREAD or more
    apart (as RankingRow.large_disagreement says), the largest spread first: one query."""
    # The totals kept on write: the means are sums over the same number of criteria, so compare the gaps of the sums,
    # exactly, in integers.
    query = (
        select(Application.id, Application.reference, Application.family_name, Application.given_names, User.name)
        .add_columns(ReviewTotals.gap)
        .join(ReviewTotals, ReviewTotals.application_id == Application.id)
        .join(User, User.id == Application.applicant_id)
        .where(
            Application.round_id == round_id,
            Application.state.in_(OPEN_FOR_REVIEW),
            ReviewTotals.gap >= DISAGREEMENT_SPREAD * len(CRITERIA),
        )
        .order_by(ReviewTotals.gap.desc(), Application.reference)
        .limit(limit)
    )
    return [
        Disagreement(id_, reference, display_name(family, given, account), gap_ / len(CRITERIA))
        for id_, reference, family, given, account, gap_ in db.session.execute(query)
    ]
