"""What the review page of one application shows its viewer: the documents to read beside the form, their own review
with the round's rubric and their progress through the round, the others' reviews they may read, the statements and
letters they may see (the staff record asks the same). Every "may" is asked of review.permissions (documents and
letters: applications.permissions)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from portal import db
from portal.accounts.models import User
from portal.applications.documents import UPLOAD_KINDS, applicant_documents
from portal.applications.models import Application, Document
from portal.applications.permissions import can_read_letters
from portal.core.one_trip import OneTrip, Pending
from portal.review.models import Review, ReviewAssignment, SupervisorStatement
from portal.review.permissions import (
    can_see_reviews,
    can_see_statements,
    chosen_profile,
    may_state,
    oversees_reviews,
    readable_reviews,
    reviewable_assignment,
    standings_read_once,
)
from portal.review.queue import Progress, progress_in, progress_read_in
from portal.review.rubric import RubricWords, words_in
from portal.review.services import (
    ReviewStatus,
    RoundGroup,
    application_assignments_in,
    closed_reason,
    statements_in,
    status_of,
)
from portal.review.statements import partner_of, partner_shown, statement_of
from portal.supervisors.models import SupervisorProfile

# What the page shows of the application, loaded with it (review.permissions.read_with_standing): the chosen
# supervisors in its own statement (their research fields are not shown); its lists come with the rest of the page,
# in one more (review_page).
PAGE_LOADS = (
    joinedload(Application.german_supervisor).lazyload(SupervisorProfile.fields),
    joinedload(Application.chinese_supervisor).lazyload(SupervisorProfile.fields),
)


@dataclass(frozen=True)
class CommitteeEntry:
    """Another member's part in the judging: who, their review's status, and the review when the viewer may read it."""

    assignment: ReviewAssignment
    review: Review | None

    @property
    def status(self) -> ReviewStatus:
        return status_of(self.assignment.review)


@dataclass(frozen=True)
class ShownDocument:
    """A document in the page's viewer, with the title its chooser shows."""

    document: Document
    title: str


def readable_documents(application: Application, letters_visible: bool) -> list[ShownDocument]:
    """The applicant's documents in the order of the upload step, then the referees' letters sent as PDF (for those
    who may read letters)."""
    mine = sorted(applicant_documents(application), key=lambda d: (UPLOAD_KINDS.index(d.kind), d.uploaded_at, d.id))
    shown = []
    for document in mine:
        same_kind = [d for d in mine if d.kind == document.kind]
        number = f" ({same_kind.index(document) + 1})" if len(same_kind) > 1 else ""
        shown.append(ShownDocument(document, f"{document.kind.label}{number}"))
    if letters_visible:
        for referee in application.referees:
            if referee.letter_document is not None:
                title = _("Letter from %(name)s", name=referee.name)
                shown.append(ShownDocument(referee.letter_document, title))
    return shown


@dataclass
class ReviewPage:
    """What the review page of one application shows to its viewer."""

    application: Application
    assignment: ReviewAssignment | None  # the viewer's own, when they may review
    closed_reason: str | None  # why the viewer's review can no longer be changed
    sees_others: bool  # whether the viewer may see others' reviews (else: told when they will)
    oversees: bool  # a coordinator: every member is listed with their status and history
    others: list[CommitteeEntry]
    statements: list[SupervisorStatement] | None  # None: not for this viewer
    letters_visible: bool
    documents: list[ShownDocument]
    words: RubricWords  # the round's rubric in the viewer's language
    progress: Progress | None  # the reviewer's way through the round (None for those who do not review it)

    @property
    def review(self) -> Review | None:
        return self.assignment.review if self.assignment is not None else None

    @property
    def status(self) -> ReviewStatus:
        return status_of(self.review)

    @property
    def editable(self) -> bool:
        return self.assignment is not None and self.closed_reason is None


def committee_entries_in(trip: OneTrip, viewer: User, application: Application) -> Pending[list[CommitteeEntry]]:
    """The other members the viewer sees: those whose review they may read; a coordinator sees all of them."""

    def build(assignments: list[ReviewAssignment]) -> list[CommitteeEntry]:
        # The assignments come with their reviews: which of those the viewer reads is asked of them, not read again.
        readable = {review.assignment_id: review for review in readable_reviews(viewer, application, assignments)}
        entries = [
            CommitteeEntry(assignment, readable.get(assignment.id))
            for assignment in assignments
            if assignment.reviewer_id != viewer.id
        ]
        return entries if oversees_reviews(viewer) else [entry for entry in entries if entry.review is not None]

    return trip.then(build, application_assignments_in(trip, application))


def review_page(
    viewer: User, application: Application, now: dt.datetime, listed: RoundGroup | None = None
) -> ReviewPage:
    """Everything the viewer may see of the application's judging (call only after permissions.may_open); listed: the
    rows of the application's round on the viewer's assigned list, when the page is shown on it (their progress)."""
    with standings_read_once():
        return _review_page(viewer, application, now, listed)


def _review_page(viewer: User, application: Application, now: dt.datetime, listed: RoundGroup | None) -> ReviewPage:
    """Every part the viewer may see, read in one trip."""
    trip = OneTrip(db.session)
    for collection in (Application.documents, Application.referees, Application.education):
        trip.collection(application, collection)
    assignment = reviewable_assignment(viewer, application)
    sees_others = can_see_reviews(viewer, application)
    letters_visible = can_read_letters(viewer, application)
    nothing = trip.then(lambda: None)
    if assignment is None:
        reviewer_progress = nothing
    elif listed:
        reviewer_progress = trip.then(lambda: progress_in(listed, application, now))
    else:
        reviewer_progress = progress_read_in(trip, viewer, application, now)
    others = committee_entries_in(trip, viewer, application) if sees_others else trip.then(list)
    statements = statements_in(trip, application) if can_see_statements(viewer, application) else nothing
    words = words_in(trip, application.round_id)
    trip.run()
    return ReviewPage(
        application=application,
        assignment=assignment,
        closed_reason=closed_reason(application, now) if assignment is not None else None,
        sees_others=sees_others,
        oversees=oversees_reviews(viewer),
        others=others.value,
        statements=statements.value,
        letters_visible=letters_visible,
        documents=readable_documents(application, letters_visible),
        words=words.value,
        progress=reviewer_progress.value,
    )


def visible_statements(viewer: User, application: Application) -> list[SupervisorStatement]:
    """The statements the viewer may read, the German side first: all of them for the assigned committee and the
    coordinators; a chosen supervisor their own, and the partner's once both have answered; nobody else any."""
    return OneTrip.alone(db.session, visible_statements_in, viewer, application)


def visible_statements_in(trip: OneTrip, viewer: User, application: Application) -> Pending[list[SupervisorStatement]]:
    """visible_statements, read in the trip (a chosen supervisor's two are read after it)."""
    if can_see_statements(viewer, application):
        return statements_in(trip, application)
    return trip.then(lambda: _own_and_partners(viewer, application))


def _own_and_partners(viewer: User, application: Application) -> list[SupervisorStatement]:
    profile = chosen_profile(viewer, application)
    if profile is None or not may_state(viewer, application):
        return []
    own = statement_of(application, profile)
    partner = partner_shown(own, statement_of(application, partner_of(profile, application)))
    shown = [statement for statement in (own, partner) if statement is not None]
    return sorted(shown, key=lambda statement: statement.profile_id != application.german_supervisor_id)
