"""The to-dos each role's dashboard starts with: for coordinators, applications short of reviews, missing statements,
overdue letters and decisions not released; for reviewers, reviews due with their dates; for supervisors, the
statements due. Each to-do is one query (its first rows and, by a window count, how many there are in all)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, exists, func, or_, select

from portal import db
from portal.accounts.models import User
from portal.applications.models import (
    Application,
    ApplicationState,
    Decision,
    IntakeRound,
    RefereeInvitation,
    display_name,
)
from portal.review.models import Review, ReviewAssignment, SupervisorStatement
from portal.review.permissions import OPEN_FOR_REVIEW
from portal.review.services import ReviewStatus, assigned_applications
from portal.supervisors.models import SupervisorProfile

SHOWN = 10  # rows listed per to-do; the count says how many there are in all


@dataclass(frozen=True)
class Item:
    application_id: int
    reference: str
    name: str
    round_id: int
    round_name: str
    due: dt.datetime | None = None  # the round's date the work is wanted by, where the to-do has one


@dataclass
class ToDo:
    """One kind of work waiting: its first items, how many in all, and the list to do it in (per round)."""

    key: str
    title: object
    total: int
    items: list[Item]
    list_endpoint: str
    rounds: dict[int, str] = field(default_factory=dict)

    def list_links(self) -> list[tuple[str, str]]:
        """(round name, address of the list where the work is done) for the rounds the shown items belong to."""
        return [(name, url_for(self.list_endpoint, round_id=rid)) for rid, name in self.rounds.items()]


_COLUMNS = (
    Application.id,
    Application.reference,
    Application.family_name,
    Application.given_names,
    User.name,
    IntakeRound.id,
    IntakeRound.name,
)


def _base() -> Select:
    return (
        select(*_COLUMNS, func.count().over().label("total"))
        .join(User, User.id == Application.applicant_id)
        .join(IntakeRound, IntakeRound.id == Application.round_id)
    )


def _todo(key: str, title: object, endpoint: str, query: Select) -> ToDo:
    rows = list(db.session.execute(query.limit(SHOWN)))
    items = [Item(row[0], row[1] or "", display_name(row[2], row[3], row[4]), row[5], row[6]) for row in rows]
    todo = ToDo(key, title, rows[0][-1] if rows else 0, items, endpoint)
    todo.rounds = {item.round_id: item.round_name for item in items}
    return todo


def _short_of_reviews() -> Select:
    submitted = (
        select(func.count(Review.id))
        .join(ReviewAssignment, ReviewAssignment.id == Review.assignment_id)
        .where(ReviewAssignment.application_id == Application.id, Review.submitted_at.is_not(None))
        .correlate(Application)
        .scalar_subquery()
    )
    return (
        _base()
        .where(Application.state.in_(OPEN_FOR_REVIEW), submitted < IntakeRound.reviews_required)
        .order_by(IntakeRound.closes_at.desc(), Application.reference)
    )


def _statement_missing(profile_id) -> exists:
    answered = exists().where(
        SupervisorStatement.application_id == Application.id, SupervisorStatement.profile_id == profile_id
    )
    return and_(profile_id.is_not(None), ~answered)


def _missing_statements() -> Select:
    return (
        _base()
        .where(
            Application.state.in_(OPEN_FOR_REVIEW),
            or_(
                _statement_missing(Application.german_supervisor_id),
                _statement_missing(Application.chinese_supervisor_id),
            ),
        )
        .order_by(IntakeRound.closes_at.desc(), Application.reference)
    )


def _overdue_letters(now: dt.datetime) -> Select:
    overdue = exists().where(
        RefereeInvitation.application_id == Application.id,
        RefereeInvitation.invited_at.is_not(None),
        RefereeInvitation.letter_received_at.is_(None),
        or_(RefereeInvitation.token_expires_at <= now, IntakeRound.referees_due <= now),
    )
    return (
        _base()
        .where(Application.state.in_(OPEN_FOR_REVIEW), overdue)
        .order_by(IntakeRound.closes_at.desc(), Application.reference)
    )


def _unreleased() -> Select:
    return (
        _base()
        .join(Decision, Decision.application_id == Application.id)
        .where(Application.state == ApplicationState.DECIDED, Decision.released_at.is_(None))
        .order_by(IntakeRound.closes_at.desc(), Application.reference)
    )


def coordinator_todos(now: dt.datetime) -> list[ToDo]:
    """The coordinators' to-dos, in the order the work comes (four queries)."""
    return [
        _todo(
            "reviews",
            _l("Applications short of reviews (fewer submitted than their round requires)"),
            "review.assignments",
            _short_of_reviews(),
        ),
        _todo("statements", _l("Supervisors' statements missing"), "review.reminders", _missing_statements()),
        _todo("letters", _l("Letters of recommendation overdue"), "review.reminders", _overdue_letters(now)),
        _todo("decisions", _l("Decisions not yet released"), "review.decisions", _unreleased()),
    ]


@dataclass(frozen=True)
class ReviewDue:
    application_id: int
    reference: str
    name: str
    round_name: str
    due: dt.datetime | None
    started: bool


def reviewer_todos(user: User, now: dt.datetime) -> list[ReviewDue]:
    """The reviews the member still has to submit, with their round's deadline, soonest first (one query)."""
    due = [
        ReviewDue(
            row.application_id,
            row.reference or "",
            row.name,
            group.name,
            group.reviews_due,
            row.status != ReviewStatus.NOT_STARTED,
        )
        for group in assigned_applications(user)
        if group.reviews_due is None or group.reviews_due > now
        for row in group.rows
        if row.under_review and row.status != ReviewStatus.SUBMITTED
    ]
    return sorted(due, key=lambda d: (d.due is None, d.due or now, d.reference))


def supervisor_todos(user: User) -> ToDo:
    """The applications still waiting for the supervisor's statement, with the round's review deadline by which the
    committee needs it, soonest first (one query)."""
    profile = select(SupervisorProfile.id).where(SupervisorProfile.user_id == user.id).scalar_subquery()
    answered = exists().where(
        SupervisorStatement.application_id == Application.id, SupervisorStatement.profile_id == profile
    )
    query = (
        select(*_COLUMNS, IntakeRound.reviews_due, func.count().over().label("total"))
        .join(User, User.id == Application.applicant_id)
        .join(IntakeRound, IntakeRound.id == Application.round_id)
        .where(
            Application.state.in_(OPEN_FOR_REVIEW),
            or_(Application.german_supervisor_id == profile, Application.chinese_supervisor_id == profile),
            ~answered,
        )
        .order_by(IntakeRound.reviews_due.is_(None), IntakeRound.reviews_due, Application.reference)
    )
    rows = list(db.session.execute(query.limit(SHOWN)))
    items = [Item(r[0], r[1] or "", display_name(r[2], r[3], r[4]), r[5], r[6], r[7]) for r in rows]
    todo = ToDo("statements", _l("Statements due"), rows[0][-1] if rows else 0, items, "supervise.dashboard")
    todo.rounds = {item.round_id: item.round_name for item in items}
    return todo
