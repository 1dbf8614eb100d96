"""The ranking of a round: every judged application with its reviews' scores, the supervisors' statements and the
decision, sortable and filterable.

A page costs a fixed number of queries whatever the number of applications: one for its applications in the asked
order with the count (supervisors, universities, decision, statements and interview read together), one for their
reviews.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cache
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import aliased, defaultload, joinedload

from portal import db
from portal.accounts.models import User
from portal.applications.models import Application, Decision
from portal.core.i18n import translated
from portal.core.one_trip import OneTrip, Pending
from portal.core.pagination import Page, clamp_page, offset_of, page_number
from portal.interviews.notes import InterviewSummary, ranking_columns, summary_of
from portal.review.models import (
    CRITERIA,
    Recommendation,
    Review,
    ReviewAssignment,
    ReviewTotals,
    StatementAnswer,
    SupervisorStatement,
)
from portal.review.permissions import JUDGED_STATES
from portal.review.statements import both_agree
from portal.supervisors.models import ResearchField, SupervisorProfile, University

# Reviewers whose means lie this far apart (or further) disagree strongly: the committee should talk about it.
DISAGREEMENT_SPREAD = 1.5
# Applications per page of the ranking.
PER_PAGE = 50


class RankingSort(enum.StrEnum):
    """The orders the ranking offers; means and spreads from the highest, references and names alphabetically."""

    MEAN = "mean"
    SPREAD = "spread"
    REFERENCE = "reference"
    NAME = "name"

    @property
    def label(self) -> str:
        return translated(SORT_LABELS[self])


SORT_LABELS = {
    RankingSort.MEAN: _l("Mean score (highest first)"),
    RankingSort.SPREAD: _l("Spread (largest first)"),
    RankingSort.REFERENCE: _l("Reference number"),
    RankingSort.NAME: _l("Applicant's name"),
}


@dataclass(frozen=True)
class RankingFilter:
    """What the ranking's GET form asks for; unknown values mean "no filter" (or the default order)."""

    university: str = ""  # a university code (TUC, TONGJI, ...): either supervisor works there
    field: str = ""  # a ResearchField value
    sort: RankingSort = RankingSort.MEAN

    def audit_details(self) -> dict[str, str]:
        """The filter as recorded in the audit log."""
        return {"university": self.university, "field": self.field, "sort": self.sort.value}

    @classmethod
    def from_values(cls, university: str | None, field: str | None, sort: str | None) -> RankingFilter:
        fields = {f.value for f in ResearchField}
        return cls(
            university=(university or "").strip().upper(),
            field=field if field in fields else "",
            sort=RankingSort(sort) if sort in {s.value for s in RankingSort} else RankingSort.MEAN,
        )


@dataclass(frozen=True)
class ScoredReview:
    """One reviewer's submitted review as the ranking shows it."""

    reviewer_name: str
    scores: tuple[int, ...]
    recommendation: Recommendation | None
    exact_mean: Fraction
    comment: str = ""
    recommendation_label: str = ""  # translated once per page, not once per review

    @property
    def mean(self) -> float:
        return float(self.exact_mean)


@dataclass
class RankingRow:
    """One application of the ranking."""

    application: Application
    assigned: int = 0
    reviews: list[ScoredReview] = field(default_factory=list)
    german_statement: StatementAnswer | None = None
    chinese_statement: StatementAnswer | None = None
    interview: InterviewSummary | None = None  # None: not invited

    @property
    def submitted(self) -> int:
        return len(self.reviews)

    @property
    def mean(self) -> float | None:
        """The mean over the submitted reviews' means (None before the first review)."""
        if not self.reviews:
            return None
        return float(sum((r.exact_mean for r in self.reviews), Fraction(0)) / len(self.reviews))

    @property
    def spread(self) -> float | None:
        """The largest minus the smallest reviewer's mean (None before the first review)."""
        if not self.reviews:
            return None
        means = [r.exact_mean for r in self.reviews]
        return float(max(means) - min(means))

    @property
    def large_disagreement(self) -> bool:
        # The means are computed exactly (fractions), so 1.5 apart is flagged and 1.4 apart is not.
        return bool(self.reviews) and max(r.exact_mean for r in self.reviews) - min(
            r.exact_mean for r in self.reviews
        ) >= Fraction(DISAGREEMENT_SPREAD)

    @property
    def comments(self) -> list[ScoredReview]:
        """The submitted reviews that say something in words."""
        return [review for review in self.reviews if review.comment]

    @property
    def co_supervision_agreed(self) -> bool:
        """Both chosen supervisors have said they will supervise (perhaps under conditions)."""
        return both_agree(self.german_statement, self.chinese_statement)

    @property
    def decision(self) -> Decision | None:
        return self.application.decision


def _filtered(query: Select, round_id: int, filters: RankingFilter) -> Select:
    """Restrict a query over Application to the round's judged applications matching the filters."""
    query = query.where(Application.round_id == round_id, Application.state.in_(JUDGED_STATES))
    if filters.university:
        profiles = (
            select(SupervisorProfile.id)
            .join(University, University.id == SupervisorProfile.university_id)
            .where(University.code == filters.university)
        )
        query = query.where(
            or_(Application.german_supervisor_id.in_(profiles), Application.chinese_supervisor_id.in_(profiles))
        )
    if filters.field:
        query = query.where(Application.research_field == ResearchField(filters.field))
    return query


def _applications(page: Select | list[int] | Any, *extra: Any) -> Select:
    """The ranking's applications (those whose ids `page` gives: a subquery, a list, or a paged table joined by its
    `id`) with what a row shows joined in, and the chosen supervisors' answers and the interview as columns."""
    query = select(
        Application,
        _answer(Application.german_supervisor_id),
        _answer(Application.chinese_supervisor_id),
        *ranking_columns(),
        *extra,
    ).options(
        joinedload(Application.german_supervisor).lazyload(SupervisorProfile.fields),
        joinedload(Application.chinese_supervisor).lazyload(SupervisorProfile.fields),
        defaultload(Application.german_supervisor).defaultload(SupervisorProfile.user).lazyload(User.roles),
        defaultload(Application.chinese_supervisor).defaultload(SupervisorProfile.user).lazyload(User.roles),
        defaultload(Application.applicant).lazyload(User.roles),
        joinedload(Application.decision),
    )
    if isinstance(page, (list, Select)):
        return query.where(Application.id.in_(page))
    return query.join(page, page.c.id == Application.id)


def _row(application: Application, german: Any, chinese: Any, *interview: Any) -> RankingRow:
    return RankingRow(application, german_statement=german, chinese_statement=chinese, interview=summary_of(*interview))


def _add_reviews(rows: dict[int, RankingRow], ids: Select | None = None) -> None:
    """Each row's assignments and submitted reviews, in one narrow statement for all of them; `ids` selects the rows'
    ids where they are many (a whole round), else they are listed."""
    if rows:
        _fill_reviews(rows, db.session.execute(_reviews_of(ids if ids is not None else list(rows))))


def _reviews_of(ids: Select | list[int]) -> Select:
    """The assignments and reviews of the applications, as plain columns (a row of every entity per review would cost
    the ORM more than the page's rendering)."""
    reviewer = aliased(User)
    return (
        select(
            ReviewAssignment.application_id,
            reviewer.name,
            Review.submitted_at,
            Review.recommendation,
            Review.comment,
            *(getattr(Review, name) for name in CRITERIA),
        )
        .join(reviewer, reviewer.id == ReviewAssignment.reviewer_id)
        .outerjoin(Review, Review.assignment_id == ReviewAssignment.id)
        .where(ReviewAssignment.application_id.in_(ids))
        .order_by(ReviewAssignment.application_id, reviewer.name, ReviewAssignment.id)
    )


def _fill_reviews(rows: dict[int, RankingRow], found: Iterable[Any]) -> None:
    """Each row's number of assignments and its submitted reviews, from _reviews_of's rows."""
    labels: dict[Recommendation | None, str] = {None: ""}
    for application_id, reviewer_name, submitted_at, recommendation, comment, *scores in found:
        row = rows[application_id]
        row.assigned += 1
        if submitted_at is None:
            continue
        if recommendation not in labels:
            labels[recommendation] = recommendation.label
        scores = tuple(int(score) for score in scores)
        mean = Fraction(sum(scores), len(scores))
        row.reviews.append(
            ScoredReview(reviewer_name, scores, recommendation, mean, comment or "", labels[recommendation])
        )


def _rows_for(ids: Select | list[int]) -> list[RankingRow]:
    """The ranking rows of the applications whose ids the subquery (or the list) gives: two statements, the
    applications with what a row shows, then their reviews."""
    rows = {
        application.id: _row(application, *columns) for application, *columns in db.session.execute(_applications(ids))
    }
    _add_reviews(rows, ids if isinstance(ids, Select) else None)
    return list(rows.values())


def _answer(profile_id: Any) -> Any:
    """The answer of the chosen supervisor with this profile (a column of the application) to the application."""
    query = select(SupervisorStatement.answer).where(
        SupervisorStatement.application_id == Application.id, SupervisorStatement.profile_id == profile_id
    )
    return query.scalar_subquery()


def rows_of(ids: Select) -> list[RankingRow]:
    """The ranking rows of the applications whose ids the subquery gives (two statements, in no particular order)."""
    return _rows_for(ids)


def _name_key(row: RankingRow) -> tuple[str, int]:
    return (row.application.name_key, row.application.id)


def sort_rows(rows: Iterable[RankingRow], sort: RankingSort) -> list[RankingRow]:
    """Rows in the asked order; rows without reviews come last when sorting by scores."""
    rows = list(rows)
    if sort == RankingSort.MEAN:
        return sorted(rows, key=lambda r: (r.mean is None, -(r.mean or 0), r.application.reference or ""))
    if sort == RankingSort.SPREAD:
        return sorted(rows, key=lambda r: (r.spread is None, -(r.spread or 0), r.application.reference or ""))
    if sort == RankingSort.NAME:
        return sorted(rows, key=_name_key)
    return sorted(rows, key=lambda r: (r.application.reference or "", r.application.id))


def ranking(round_id: int, filters: RankingFilter) -> list[RankingRow]:
    """The round's submitted, under-review and decided applications matching the filters, in the asked order (all of
    them: for the exports)."""
    ids = _filtered(select(Application.id), round_id, filters)
    return sort_rows(_rows_for(ids), filters.sort)


def _ordered_ids(round_id: int, filters: RankingFilter) -> tuple[Select, list[tuple[Any, bool]]]:
    """The ids of the matching applications and the keys that sort_rows orders whole rows by (key, descending)."""
    ids = _filtered(select(Application.id), round_id, filters)
    last = [(Application.reference, False), (Application.id, False)]
    if filters.sort in (RankingSort.MEAN, RankingSort.SPREAD):
        # The totals kept on write (portal/review/totals.py): a mean is the sum of the totals over their number.
        ids = ids.outerjoin(ReviewTotals, ReviewTotals.application_id == Application.id)
        mean_total = ReviewTotals.total * 1.0 / ReviewTotals.submitted
        return ids, [(mean_total if filters.sort == RankingSort.MEAN else ReviewTotals.gap, True), *last]
    if filters.sort == RankingSort.NAME:
        return ids, [(Application.name_key, False), (Application.id, False)]
    return ids, last


def _order_by(keys: list[tuple[Any, bool]]) -> list[Any]:
    """The keys as an ORDER BY, rows without a value (no review yet) last."""
    return [(key.desc() if descending else key.asc()).nulls_last() for key, descending in keys]


def ranking_page(round_id: int, filters: RankingFilter, page: Any = 1, per_page: int = PER_PAGE) -> Page[RankingRow]:
    """One page of the ranking: the page's ids in the asked order (with the count) from the database, then its rows
    with their reviews and statements: the same statements on every page, whatever the size of the round."""
    ids, keys = _ordered_ids(round_id, filters)
    number = page_number(page)
    rows, total = _page_rows(ids, keys, number, per_page)
    if not rows and number > 1:  # beyond the last page: the last one (two more statements, only then)
        total = db.session.scalar(select(func.count()).select_from(ids.subquery())) or 0
        number = clamp_page(number, total, per_page)
        rows, total = _page_rows(ids, keys, number, per_page)
    by_id = {row.application.id: row for row in rows}
    _add_reviews(by_id)
    return Page(rows, total, number, per_page)


def _page_rows(ids: Select, keys: list[tuple[Any, bool]], number: int, per_page: int) -> tuple[list[RankingRow], int]:
    """One page's rows in the asked order and the number of all matches, in one statement: the page's ids are cut in
    a derived table (ordered, counted, with their keys), and only its applications are then read with what a row
    shows, ordered again by the page's keys (fifty rows, not the round)."""
    labelled = [key.label(f"key_{n}") for n, (key, _descending) in enumerate(keys)]
    page = (
        ids.add_columns(func.count().over().label("total"), *labelled)
        .order_by(*_order_by(keys))
        .limit(per_page)
        .offset(offset_of(number, per_page))
        .subquery()
    )
    again = [(page.c[f"key_{n}"], descending) for n, (_key, descending) in enumerate(keys)]
    found = db.session.execute(_applications(page, page.c.total).order_by(*_order_by(again))).all()
    return [_row(application, *columns) for application, *columns, _total in found], (found[0][-1] if found else 0)


def row_for(application: Application) -> RankingRow:
    """The ranking's view of a single application (for the decision page), whatever its state (one statement)."""
    return OneTrip.alone(db.session, row_for_in, application)


@cache
def _row_columns() -> Select:
    """A ranking row's columns of an application (the same expressions for every one: built once per process)."""
    return select(
        _answer(Application.german_supervisor_id), _answer(Application.chinese_supervisor_id), *ranking_columns()
    )


def row_for_in(trip: OneTrip, application: Application) -> Pending[RankingRow]:
    """row_for, read in the trip: the row's columns (the supervisors' answers, the interview) and its reviews."""
    columns = trip.rows(_row_columns().where(Application.id == application.id))
    reviews = trip.rows(_reviews_of([application.id]))

    def build(columns: list[Any], reviews: list[Any]) -> RankingRow:
        row = _row(application, *columns[0]) if columns else RankingRow(application)
        _fill_reviews({application.id: row}, reviews)
        return row

    return trip.then(build, columns, reviews)


def round_counts() -> dict[int, dict[str, int]]:
    """Per round: judged applications, decided ones and released decisions (one grouped query)."""
    query = (
        select(
            Application.round_id,
            func.count(Application.id),
            func.count(Decision.id),
            func.count(Decision.released_at),
        )
        .outerjoin(Decision, Decision.application_id == Application.id)
        .where(Application.state.in_(JUDGED_STATES))
        .group_by(Application.round_id)
    )
    return {
        round_id: {"judged": judged, "decided": decided, "released": released}
        for round_id, judged, decided, released in db.session.execute(query)
    }
