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
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from portal import db
from portal.accounts.models import User, UserRole
from portal.applications.models import Application, ApplicationState, Decision, Document, RefereeInvitation
from portal.applications.permissions import can_read_letters
from portal.core.outbox import SUMMARY_COLUMNS, OutboxEmail
from portal.core.roles import Role
from portal.core.timeutil import utcnow
from portal.interviews.notes import InterviewView, interviews_for_record
from portal.offers.services import OfferSummary, offer_summary
from portal.reporting.application_pdf import ordered_documents
from portal.reporting.permissions import may_download, may_read_emails
from portal.review.decisions import decided_by_name
from portal.review.history import HistoryEntry, application_history
from portal.review.models import (
    Conflict,
    ConflictReason,
    Review,
    ReviewAssignment,
    StatementAnswer,
    SupervisorStatement,
)
from portal.review.page import visible_statements
from portal.review.permissions import (
    can_review,
    can_see_reviews,
    can_see_statements,
    conflict_matrix,
    may_read_decision,
    may_read_decision_note,
    may_state,
    oversees_reviews,
    reads_history,
    visible_reviews,
)
from portal.review.ranking import RankingRow, row_for
from portal.review.services import ReviewStatus, application_assignments, status_of
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


def _load_parts(application: Application) -> None:
    """Load what every record shows in three queries, rather than one per document, degree or referee."""
    query = (
        select(Application)
        .where(Application.id == application.id)
        .options(
            selectinload(Application.documents),
            selectinload(Application.education),
            selectinload(Application.referees),
            joinedload(Application.decision),
            joinedload(Application.german_supervisor).lazyload(SupervisorProfile.fields),
            joinedload(Application.chinese_supervisor).lazyload(SupervisorProfile.fields),
        )
    )
    db.session.scalars(query).unique().one()


def _reviews(viewer: User, application: Application) -> list[ReviewEntry] | None:
    """Every assignment with its status for those who oversee the committee; for a reviewer the reviews they may
    read; nothing for anyone else."""
    overseer = oversees_reviews(viewer)
    if not overseer and not can_review(viewer, application):
        return None
    readable = {review.assignment_id: review for review in visible_reviews(viewer, application)}
    if overseer:
        return [ReviewEntry(a, readable.get(a.id)) for a in application_assignments(application)]
    entries = [ReviewEntry(review.assignment, review) for review in readable.values()]
    return sorted(entries, key=lambda entry: (entry.assignment.reviewer.name.casefold(), entry.assignment.id))


def _conflicts(application: Application) -> list[ConflictEntry]:
    """The committee members in conflict with the application, with every reason (declared ones with their note)."""
    declared = {conflict.user_id: conflict for conflict in db.session.scalars(_declared_query(application))}
    committee = select(UserRole.user_id).where(UserRole.role == Role.COMMITTEE)
    members = list(db.session.scalars(select(User).where(User.id.in_(committee) | User.id.in_(list(declared)))))
    matrix = conflict_matrix([application.id], members) if members else {}
    entries = []
    for member in sorted(members, key=lambda user: (user.name.casefold(), user.id)):
        reasons = matrix.get((application.id, member.id), set())
        if not reasons:
            continue
        conflict = declared.get(member.id)
        entries.append(
            ConflictEntry(
                member.name,
                sorted(reasons, key=list(ConflictReason).index),
                conflict.note if conflict is not None else "",
                conflict.created_at if conflict is not None else None,
            )
        )
    return entries


def _declared_query(application: Application) -> Any:
    return select(Conflict).where(Conflict.application_id == application.id)


def _emails(application: Application) -> list[Any]:
    """The emails written about the application, oldest first (one narrow query; the bodies stay in the database)."""
    query = (
        select(*SUMMARY_COLUMNS)
        .where(OutboxEmail.application_id == application.id)
        .order_by(OutboxEmail.created_at, OutboxEmail.id)
    )
    return list(db.session.execute(query))


def _actions(viewer: User, application: Application) -> RecordActions:
    return RecordActions(
        dossier=may_download(viewer, application),
        review=can_review(viewer, application),
        statement=may_state(viewer, application),
        decide=viewer.has_role(Role.COORDINATOR),
    )


def record_for(viewer: User, application: Application) -> Record:
    """The application's record as the viewer may see it (call only after reporting.permissions.may_open_record)."""
    _load_parts(application)
    reviews = _reviews(viewer, application)
    reads_all = can_see_reviews(viewer, application)
    note_visible = may_read_decision_note(viewer, application)
    return Record(
        application=application,
        actions=_actions(viewer, application),
        documents=ordered_documents(application),
        letters_visible=can_read_letters(viewer, application),
        statements=visible_statements(viewer, application),
        all_statements=can_see_statements(viewer, application),
        oversees=oversees_reviews(viewer),
        reviews=reviews,
        own_review_pending=reviews is not None and not reads_all,
        figures=row_for(application) if reads_all else None,
        conflicts=_conflicts(application) if oversees_reviews(viewer) else None,
        decision_visible=may_read_decision(viewer, application),
        decision_note_visible=note_visible,
        decided_by=decided_by_name(application) if note_visible else None,
        emails=_emails(application) if may_read_emails(viewer) else None,
        history=application_history(application) if reads_history(viewer) else None,
        interviews=interviews_for_record(viewer, application),
        offer=offer_summary(application, utcnow()) if may_read_decision(viewer, application) else None,
    )
