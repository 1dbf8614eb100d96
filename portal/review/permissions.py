"""Who may judge what, and who sees what of the judging: the one answer to every "may this user see or do" of the
review domain (conflicts of interest, reviewing, the review page, reviews, statements).

The conflict rule is written once, as SQL conditions (`conflict_conditions`), so that a single application, a whole
round's board and the lists that must leave conflicted applications out all ask the same question.

A member's standing towards one application (their assignment and whether they are conflicted) is read in one query;
while a page is read (`standings_read_once`) it is read once, however many of the page's "may" ask for it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, or_, select, true
from sqlalchemy.orm import contains_eager, selectinload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.interfaces import ORMOption

from portal import db
from portal.accounts.models import User
from portal.applications.models import Application, ApplicationState, IntakeRound, RefereeInvitation
from portal.applications.permissions import can_view
from portal.core.roles import Role
from portal.review.models import CommitteeMember, Conflict, ConflictReason, Review, ReviewAssignment
from portal.supervisors.models import SupervisorProfile

JUDGED_STATES = {ApplicationState.SUBMITTED, ApplicationState.UNDER_REVIEW, ApplicationState.DECIDED}
# Assigned, reviewed and reminded while the application waits for its decision.
OPEN_FOR_REVIEW = {ApplicationState.SUBMITTED, ApplicationState.UNDER_REVIEW}

# (application id, user id) -> why that user may not judge that application.
ConflictMatrix = dict[tuple[int, int], set[ConflictReason]]


# --- Conflicts of interest ------------------------------------------------------------------------------------------


def conflict_conditions(user_id: Any, email: Any) -> dict[ConflictReason, ColumnElement[bool]]:
    """Each reason of a conflict as an SQL condition on Application, for the user given by id and email (values, or
    columns of a query that reads users): a chosen supervisor, a named referee, a committee seat at the university of
    a chosen supervisor (where the application's round counts it, as it does by default), a declared conflict."""
    chosen_profiles = [Application.german_supervisor_id, Application.chinese_supervisor_id]
    chosen = exists().where(SupervisorProfile.user_id == user_id, SupervisorProfile.id.in_(chosen_profiles))
    # Both addresses are stored in their canonical lower-case form (accounts.services.normalize_email, used for
    # accounts and referees alike; migration 0023 for older rows): compared as they are, through the index.
    referee = exists().where(RefereeInvitation.application_id == Application.id, RefereeInvitation.email == email)
    same_university = exists().where(
        CommitteeMember.user_id == user_id,
        SupervisorProfile.university_id == CommitteeMember.university_id,
        SupervisorProfile.id.in_(chosen_profiles),
        IntakeRound.id == Application.round_id,
        IntakeRound.same_university_conflict.is_(True),
    )
    declared = exists().where(Conflict.application_id == Application.id, Conflict.user_id == user_id)
    return {
        ConflictReason.CHOSEN_SUPERVISOR: chosen,
        ConflictReason.REFEREE: referee,
        ConflictReason.SAME_UNIVERSITY: same_university,
        ConflictReason.DECLARED: declared,
    }


def conflicted(user_id: Any, email: Any) -> ColumnElement[bool]:
    """SQL: the user (id and email, values or columns) has a conflict of interest with the Application of the row."""
    return or_(*conflict_conditions(user_id, email).values())


def conflict_matrix(application_ids: list[int], users: list[User]) -> ConflictMatrix:
    """Every (application, user) pair in conflict, with the reasons: one query, whatever the numbers."""
    conditions = conflict_conditions(User.id, User.email)
    query = (
        select(Application.id, User.id, *conditions.values())
        .join(User, true())
        .where(Application.id.in_(application_ids), User.id.in_([user.id for user in users]), or_(*conditions.values()))
    )
    return {
        (application_id, user_id): {reason for reason, hit in zip(conditions, hits, strict=True) if hit}
        for application_id, user_id, *hits in db.session.execute(query)
    }


def conflict_reasons(user: User, application: Application) -> set[ConflictReason]:
    """Every reason the user may not judge the application (empty when there is none)."""
    return conflict_matrix([application.id], [user]).get((application.id, user.id), set())


def is_conflicted(user: User, application: Application) -> bool:
    return bool(conflict_reasons(user, application))


# --- Reviewing ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    """A user's part in judging one application: their assignment (with its review), and whether they are in
    conflict with it (any reason of `conflicted`)."""

    assignment: ReviewAssignment | None
    conflicted: bool


# The standings read while a page is read (standings_read_once), by (user id, application id); None outside.
_read_once: ContextVar[dict[tuple[int, int], Standing] | None] = ContextVar("review_standings", default=None)


@contextmanager
def standings_read_once() -> Iterator[None]:
    """Within the block each user's standing towards an application is queried once: for reading a page, never around
    a change (a standing read before it would not see it)."""
    if _read_once.get() is not None:
        yield  # an enclosing block already keeps them
        return
    token = _read_once.set({})
    try:
        yield
    finally:
        _read_once.reset(token)


def standing_of(user: User, application: Application) -> Standing:
    """The user's assignment to the application and whether they are conflicted with it (one query)."""
    kept = _read_once.get()
    key = (user.id, application.id)
    if kept is not None and key in kept:
        return kept[key]
    row = db.session.execute(_standing_query(user, application.id)).one_or_none()
    # None: an application no longer stored, no part for anyone
    return _keep(user, application.id, *row) if row is not None else Standing(None, False)


def read_with_standing(user: User, options: Sequence[ORMOption] = ()) -> Callable[[int], Application | None]:
    """How to read an application (loaded with options) with the user's standing towards it, in one query (for
    application_for): within standings_read_once the page's checks then ask no more."""

    def read(application_id: int) -> Application | None:
        query = _standing_query(user, application_id).add_columns(Application).options(*options)
        row = db.session.execute(query).one_or_none()
        if row is None:
            return None
        _keep(user, application_id, *row[:3])
        return row[3]

    return read


def _standing_query(user: User, application_id: int) -> Select[Any]:
    mine = and_(ReviewAssignment.application_id == Application.id, ReviewAssignment.reviewer_id == user.id)
    return (
        select(ReviewAssignment, Review, conflicted(user.id, user.email))
        .select_from(Application)
        .outerjoin(ReviewAssignment, mine)
        .outerjoin(Review, Review.assignment_id == ReviewAssignment.id)
        .where(Application.id == application_id)
    )


def _keep(user: User, application_id: int, assignment: ReviewAssignment | None, review: Any, hit: Any) -> Standing:
    """The standing read, its assignment's review set as loaded, kept while the page is read."""
    if assignment is not None:
        set_committed_value(assignment, "review", review)
    standing = Standing(assignment, bool(hit))
    kept = _read_once.get()
    if kept is not None:
        kept[(user.id, application_id)] = standing
    return standing


def assignment_of(user: User, application: Application) -> ReviewAssignment | None:
    """The user's assignment to review the application, if any."""
    return standing_of(user, application).assignment


def can_review(user: User, application: Application) -> bool:
    """An assigned, unconflicted committee member, on a submitted application."""
    if not user.has_role(Role.COMMITTEE) or application.state not in JUDGED_STATES:
        return False
    standing = standing_of(user, application)
    return standing.assignment is not None and not standing.conflicted


def reviewable_assignment(user: User, application: Application) -> ReviewAssignment | None:
    """The user's own assignment when they may write its review (the only review they can ever write)."""
    return assignment_of(user, application) if can_review(user, application) else None


def may_open(user: User, application: Application) -> bool:
    """The review page of an application: an assigned, unconflicted member, or a coordinator."""
    return user.has_role(Role.COORDINATOR) or can_review(user, application)


def oversees_reviews(user: User) -> bool:
    """Coordinators follow the whole committee: who reviews, each review's status and its revisions."""
    return user.has_role(Role.COORDINATOR)


# --- Reading reviews and statements -----------------------------------------------------------------------------


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


def _readable(viewer: User, author_id: int, submitted: bool, sees_others: Callable[[], bool]) -> bool:
    return author_id == viewer.id or (submitted and sees_others())


def may_read_review(viewer: User, application: Application, *, author_id: int, submitted: bool) -> bool:
    """The one answer to "may this viewer read this review": its author always; anyone else a submitted one only, and
    only when they may see the application's reviews (coordinators; an assigned reviewer after submitting their own)."""
    return _readable(viewer, author_id, submitted, lambda: can_see_reviews(viewer, application))


def visible_reviews(viewer: User, application: Application) -> list[Review]:
    """The application's reviews whose content this viewer may read (the page, its template, dossier and exports)."""
    query = (
        select(Review)
        .join(Review.assignment)
        .where(ReviewAssignment.application_id == application.id)
        .options(
            # The reviewer comes along: pages and dossiers name each review's author.
            contains_eager(Review.assignment).joinedload(ReviewAssignment.reviewer),
            selectinload(Review.revisions),
        )
        .order_by(ReviewAssignment.id)
    )
    return _readable_reviews(viewer, application, [(r.assignment.reviewer_id, r) for r in db.session.scalars(query)])


def readable_reviews(viewer: User, application: Application, assignments: list[ReviewAssignment]) -> list[Review]:
    """The reviews of the application's assignments, already loaded with them, whose content this viewer may read
    (as visible_reviews, without reading them again)."""
    pairs = [(a.reviewer_id, a.review) for a in assignments if a.review is not None]
    return _readable_reviews(viewer, application, pairs)


def _readable_reviews(viewer: User, application: Application, pairs: list[tuple[int, Review]]) -> list[Review]:
    """From (author id, review) pairs, the reviews the viewer may read."""
    sees_others = cache(lambda: can_see_reviews(viewer, application))  # asked once, and only if needed
    return [review for author_id, review in pairs if _readable(viewer, author_id, review.submitted, sees_others)]


# --- The chosen supervisors -------------------------------------------------------------------------------------


def chosen_profile(user: User, application: Application) -> SupervisorProfile | None:
    """The user's profile if the application names it as German or Chinese supervisor."""
    for profile in (application.german_supervisor, application.chinese_supervisor):
        if profile is not None and profile.user_id == user.id:
            return profile
    return None


def may_state(user: User, application: Application) -> bool:
    """A chosen supervisor, on a submitted (not draft, not withdrawn) application: reads it and states."""
    return (
        user.has_role(Role.SUPERVISOR)
        and application.state in JUDGED_STATES
        and chosen_profile(user, application) is not None
    )


# --- The decision and the history -----------------------------------------------------------------------------------


def may_read_decision_note(user: User, application: Application) -> bool:
    """The decision as recorded, with its note for the file: the coordinators and the assigned committee."""
    return user.has_role(Role.COORDINATOR) or can_review(user, application)


def may_read_decision(user: User, application: Application) -> bool:
    """The decision's outcome: whoever reads its note, as soon as it is recorded; anyone else who may view the
    application (its applicant, the chosen supervisors) once it is released."""
    return may_read_decision_note(user, application) or (application.decision_released and can_view(user, application))


def reads_history(user: User) -> bool:
    """An application's audit history: the coordinators and the administrators."""
    return user.has_role(Role.COORDINATOR) or user.has_role(Role.ADMIN)
