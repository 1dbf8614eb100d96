"""The staff record of one application: everything its viewer may see of it on one page — the application, its
documents and letters, the supervisors' statements, the reviews with their scores and comments, conflicts of interest,
interviews, the decision, the emails sent about it and its history.

Each part asks the domain that owns it what this viewer may see (applications.permissions, review.permissions and
review.page, reporting.permissions): the record adds no rule of its own. It is read with a fixed number of queries,
whatever the number of documents, reviews, conflicts, emails or events.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy import and_, or_, select, true, union
from sqlalchemy.orm import aliased, joinedload

from portal import db
from portal.accounts.models import User, UserRole
from portal.applications.models import Application, ApplicationState, Decision, Document, RefereeInvitation
from portal.applications.permissions import can_read_letters
from portal.core.one_trip import OneTrip, Pending
from portal.core.outbox import SUMMARY_COLUMNS, OutboxEmail
from portal.core.roles import Role
from portal.core.timeutil import utcnow
from portal.interviews.notes import InterviewView, interviews_for_record_in
from portal.offers.services import OfferSummary, offer_summary_in
from portal.reporting.application_pdf import ordered_documents
from portal.reporting.permissions import may_download, may_read_emails
from portal.review.decisions import decided_by_name
from portal.review.history import HistoryEntry, application_history_in
from portal.review.models import (
    Conflict,
    ConflictReason,
    Review,
    ReviewAssignment,
    StatementAnswer,
    SupervisorStatement,
)
from portal.review.page import visible_statements_in
from portal.review.permissions import (
    can_review,
    can_see_reviews,
    can_see_statements,
    conflict_conditions,
    may_read_decision,
    may_read_decision_note,
    may_state,
    oversees_reviews,
    readable_reviews,
    reads_history,
    standings_read_once,
    visible_reviews,
)
from portal.review.ranking import RankingRow, row_for_in
from portal.review.services import ReviewStatus, application_assignments_in, status_of
from portal.supervisors.models import SupervisorProfile


@dataclass(frozen=True)
class ReviewEntry:
    """A member asked to review the application: their review's status, and its content when the viewer may read it."""

    assignment: ReviewAssignment
    review: Review | None

    @property
    def status(self) -> ReviewStatus:
        return status_of(self.review if self.review is not None else self.assignment.review)


@dataclass(frozen=True)
class ConflictEntry:
    """A committee member who may not judge the application, and why."""

    name: str
    reasons: list[ConflictReason]
    note: str = ""
    declared_at: dt.datetime | None = None


@dataclass(frozen=True)
class RecordActions:
    """Where the viewer can go from the record: the dossier, their review, their statement, the decision."""

    dossier: bool
    review: bool
    statement: bool
    decide: bool


@dataclass(frozen=True)
class Record:
    """The application's record as one viewer may see it; a part that is None is not for this viewer."""

    application: Application
    actions: RecordActions
    documents: list[Document]
    letters_visible: bool
    statements: list[SupervisorStatement]
    all_statements: bool  # every statement, or (a chosen supervisor) their own and the partner's once both answered
    oversees: bool  # a coordinator: every member's status, and each review's revisions
    reviews: list[ReviewEntry] | None
    own_review_pending: bool  # a reviewer reads the others' reviews once their own is submitted
    figures: RankingRow | None  # submitted and assigned reviews, mean and spread, for whoever reads all reviews
    conflicts: list[ConflictEntry] | None
    decision_visible: bool  # else the decision shows once it is released (or never, for this viewer)
    decision_note_visible: bool
    decided_by: str | None
    emails: list[Any] | None
    history: list[HistoryEntry] | None
    # The interview (time and link: the panel and the coordinators; notes and scores: like reviews), from
    # interviews/notes.py, which asks interviews/permissions.py.
    interviews: list[InterviewView] = field(default_factory=list)
    # The offer of a released admission: accepted, declined, open until its deadline or expired.
    offer: OfferSummary | None = None

    @property
    def referees(self) -> list[RefereeInvitation]:
        return self.application.referees

    @property
    def state(self) -> ApplicationState:
        """The state as the viewer may know it: "decided" only for those who may read the decision."""
        return self.application.state if self.decision_visible else self.application.public_state

    @property
    def answers(self) -> dict[int, StatementAnswer]:
        """The answers of the statements the viewer reads, by supervisor profile."""
        return {statement.profile_id: statement.answer for statement in self.statements}

    @property
    def decision(self) -> Decision | None:
        return self.application.decision if self.decision_visible else None


# What every record shows of the application itself, loaded with it (applications.permissions.application_for): the
# decision and the chosen supervisors in its own statement (their research fields are not shown); its lists come with
# everything else the record reads, in one more (record_for).
RECORD_LOADS = (
    joinedload(Application.decision),
    joinedload(Application.german_supervisor).lazyload(SupervisorProfile.fields),
    joinedload(Application.chinese_supervisor).lazyload(SupervisorProfile.fields),
)


def _reviews(trip: OneTrip, viewer: User, application: Application) -> Pending[list[ReviewEntry] | None]:
    """Every assignment with its status for those who oversee the committee; for a reviewer the reviews they may
    read; nothing for anyone else."""
    if oversees_reviews(viewer):
        # The assignments come with their reviews: which of those the viewer reads is asked of them, not read again.
        def overseen(assignments: list[ReviewAssignment]) -> list[ReviewEntry]:
            readable = {review.assignment_id: review for review in readable_reviews(viewer, application, assignments)}
            return [ReviewEntry(a, readable.get(a.id)) for a in assignments]

        return trip.then(overseen, application_assignments_in(trip, application))
    if not can_review(viewer, application):
        return trip.then(lambda: None)

    def own() -> list[ReviewEntry]:
        entries = [ReviewEntry(review.assignment, review) for review in visible_reviews(viewer, application)]
        return sorted(entries, key=lambda entry: (entry.assignment.reviewer.name.casefold(), entry.assignment.id))

    return trip.then(own)


@cache
def _conditions_of_users() -> dict[ConflictReason, Any]:
    """review.permissions' conflict conditions for the users a query reads (the same expressions on every record)."""
    return conflict_conditions(User.id, User.email)


def _conflicts(trip: OneTrip, application: Application) -> Pending[list[ConflictEntry]]:
    """The committee members in conflict with the application, with every reason (declared ones with their note): one
    query over the committee and whoever declared a conflict, asking review.permissions' conditions of each."""
    conditions = _conditions_of_users()
    # The committee and whoever declared a conflict with this application, by id: the users are then read by their
    # key, not scanned (the applicants' accounts outnumber them a hundred to one).
    concerned = union(
        select(UserRole.user_id).where(UserRole.role == Role.COMMITTEE),
        select(Conflict.user_id).where(Conflict.application_id == application.id),
    )
    # An alias of its own: the conditions ask the conflicts table about each row, this join reads the note.
    declared = aliased(Conflict)
    query = (
        select(User.id, User.name, declared.note, declared.created_at, *conditions.values())
        .select_from(Application)
        .join(User, true())
        .outerjoin(declared, and_(declared.application_id == Application.id, declared.user_id == User.id))
        .where(
            Application.id == application.id,
            User.id.in_(concerned),
            or_(*conditions.values()),
        )
    )
    order = list(ConflictReason)

    def build(rows: list[Any]) -> list[ConflictEntry]:
        return [
            ConflictEntry(
                name,
                sorted((reason for reason, hit in zip(conditions, hits, strict=True) if hit), key=order.index),
                note or "",
                declared_at,
            )
            for _user_id, name, note, declared_at, *hits in sorted(rows, key=lambda row: (row.name.casefold(), row.id))
        ]

    return trip.then(build, trip.rows(query))


def _emails(trip: OneTrip, application: Application) -> Pending[list[Any]]:
    """The emails written about the application, oldest first (narrow: the bodies stay in the database)."""
    query = (
        select(*SUMMARY_COLUMNS)
        .where(OutboxEmail.application_id == application.id)
        .order_by(OutboxEmail.created_at, OutboxEmail.id)
    )
    return trip.rows(query)


def _actions(viewer: User, application: Application) -> RecordActions:
    return RecordActions(
        dossier=may_download(viewer, application),
        review=can_review(viewer, application),
        statement=may_state(viewer, application),
        decide=viewer.has_role(Role.COORDINATOR),
    )


def record_for(viewer: User, application: Application) -> Record:
    """The application's record as the viewer may see it (call only after reporting.permissions.may_open_record; the
    application loaded with RECORD_LOADS)."""
    with standings_read_once():
        return _record(viewer, application)


def _record(viewer: User, application: Application) -> Record:
    """Every part the viewer may see, read in one trip (a part for someone else is not read at all)."""
    trip = OneTrip(db.session)
    for collection in (Application.documents, Application.education, Application.referees):
        trip.collection(application, collection)
    reads_all = can_see_reviews(viewer, application)
    decision_visible = may_read_decision(viewer, application)
    note_visible = may_read_decision_note(viewer, application)
    nothing = trip.then(lambda: None)
    reviews = _reviews(trip, viewer, application)
    statements = visible_statements_in(trip, viewer, application)
    figures = row_for_in(trip, application) if reads_all else nothing
    conflicts = _conflicts(trip, application) if oversees_reviews(viewer) else nothing
    emails = _emails(trip, application) if may_read_emails(viewer) else nothing
    history = application_history_in(trip, application) if reads_history(viewer) else nothing
    interviews = interviews_for_record_in(trip, viewer, application)
    offer = offer_summary_in(trip, application, utcnow()) if decision_visible else nothing
    decider = application.decision.decided_by_id if note_visible and application.decision else None
    if decider is not None:
        trip.objects(select(User).where(User.id == decider))  # decided_by_name then finds them by identity
    trip.run()
    return Record(
        application=application,
        actions=_actions(viewer, application),
        documents=ordered_documents(application),
        letters_visible=can_read_letters(viewer, application),
        statements=statements.value,
        all_statements=can_see_statements(viewer, application),
        oversees=oversees_reviews(viewer),
        reviews=reviews.value,
        own_review_pending=reviews.value is not None and not reads_all,
        figures=figures.value,
        conflicts=conflicts.value,
        decision_visible=decision_visible,
        decision_note_visible=note_visible,
        decided_by=decided_by_name(application) if note_visible else None,
        emails=emails.value,
        history=history.value,
        interviews=interviews.value,
        offer=offer.value,
    )
