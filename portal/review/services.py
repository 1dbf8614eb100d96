"""A committee member's reviews: the list of assigned applications, drafts, submission, revisions until the deadline.

A review is versioned (`Review.version`, 0 for a review not started yet): a save from a form loaded before another
save, or sent without its version, is refused with `core.versions.StaleVersion` and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal import db
from portal.accounts.models import User
from portal.applications.models import Application, ApplicationState, IntakeRound, display_name
from portal.applications.queries import SupervisedApplications
from portal.core import audit
from portal.core.i18n import translated
from portal.core.one_trip import OneTrip, Pending, attach
from portal.core.rules import RuleViolation
from portal.core.versions import check_version, flush_new_or_stale, version_of
from portal.review.models import CRITERIA, Recommendation, Review, ReviewAssignment, ReviewRevision, SupervisorStatement
from portal.review.permissions import JUDGED_STATES, OPEN_FOR_REVIEW, can_review, conflicted
from portal.review.round_notices import notice_if_reviews_complete
from portal.supervisors.models import ResearchField, SupervisorProfile, University

COMMENT_MAX_LENGTH = 10_000
NOTE_MAX_LENGTH = 300


class ReviewError(RuleViolation):
    """A review rule was broken; the message is for the user, `fields` maps form fields to their own message."""


class ReviewClosed(ReviewError):
    """The review can no longer be changed: the deadline has passed or the application has been decided."""


class ReviewStatus(enum.StrEnum):
    """Where a reviewer's own review stands."""

    NOT_STARTED = "not_started"
    DRAFT = "draft"
    SUBMITTED = "submitted"

    @property
    def label(self) -> str:
        return translated(STATUS_LABELS[self])


STATUS_LABELS = {
    ReviewStatus.NOT_STARTED: _l("not started"),
    ReviewStatus.DRAFT: _l("draft"),
    ReviewStatus.SUBMITTED: _l("submitted"),
}


class SaveOutcome(enum.StrEnum):
    """What a save did."""

    SAVED = "saved"  # a draft
    SUBMITTED = "submitted"  # the first submission
    REVISED = "revised"  # a submitted review changed
    UNCHANGED = "unchanged"  # a submitted review saved again without any change


AUDIT_ACTIONS = {
    SaveOutcome.SAVED: "review.saved",
    SaveOutcome.SUBMITTED: "review.submitted",
    SaveOutcome.REVISED: "review.revised",
}


def status_of(review: Review | None) -> ReviewStatus:
    return _status(review is not None, review is not None and review.submitted)


def _status(started: bool, submitted: bool) -> ReviewStatus:
    if not started:
        return ReviewStatus.NOT_STARTED
    return ReviewStatus.SUBMITTED if submitted else ReviewStatus.DRAFT


def deadline_passed(intake: IntakeRound, now: dt.datetime) -> bool:
    """Whether the round's review deadline has passed (a round without one stays open)."""
    return intake.reviews_due is not None and now >= intake.reviews_due


def closed_reason(application: Application, now: dt.datetime) -> str | None:
    """Why reviews of the application can no longer be changed, or None while they can."""
    if application.state == ApplicationState.DECIDED:
        return _("A decision has been made on this application: reviews can no longer be changed.")
    if application.state not in OPEN_FOR_REVIEW:
        return _("This application is not under review.")
    if deadline_passed(application.intake_round, now):
        return _("The review deadline has passed: reviews can no longer be changed.")
    return None


# --- The values of a review -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewValues:
    """A review's content, checked: scores 1 to 5 or None, a recommendation or None, the comment; and the note that
    goes with a revision."""

    scores: dict[str, int | None]
    recommendation: Recommendation | None
    comment: str
    note: str = ""

    def missing(self) -> dict[str, str]:
        """The fields a submission still needs, each with its message."""
        missing = {name: _("Please give a score.") for name, value in self.scores.items() if value is None}
        if self.recommendation is None:
            missing["recommendation"] = _("Please choose a recommendation.")
        return missing

    def same_as(self, review: Review) -> bool:
        """The review already says this, and there is no note to record."""
        return (
            all(getattr(review, name) == value for name, value in self.scores.items())
            and review.recommendation == self.recommendation
            and review.comment == self.comment
            and not self.note
        )


def _score(raw: Any) -> int | None:
    """A score as sent: None when empty, 0 (out of range) when not a number."""
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except (TypeError, ValueError):
        return 0


def _recommendation(raw: Any) -> Recommendation | None:
    return Recommendation(str(raw)) if raw not in (None, "") else None


def _text_errors(comment: str, note: str) -> dict[str, str]:
    errors = {}
    if len(comment) > COMMENT_MAX_LENGTH:
        errors["comment"] = _("Please shorten the comment to at most %(limit)d characters.", limit=COMMENT_MAX_LENGTH)
    if len(note) > NOTE_MAX_LENGTH:
        errors["note"] = _("Please shorten the note to at most %(limit)d characters.", limit=NOTE_MAX_LENGTH)
    return errors


def clean_values(data: Mapping[str, Any]) -> ReviewValues:
    """Check what a form (or a forged request) sent; every problem is reported next to its field."""
    scores = {name: _score(data.get(name)) for name in CRITERIA}
    errors = {
        name: _("Please choose one of the rubric's scores, 1 to 5.")
        for name, value in scores.items()
        if value is not None and not 1 <= value <= 5
    }
    try:
        recommendation = _recommendation(data.get("recommendation"))
    except ValueError:
        recommendation = None
        errors["recommendation"] = _("Please choose one of the recommendations.")
    comment, note = str(data.get("comment") or "").strip(), str(data.get("note") or "").strip()
    errors.update(_text_errors(comment, note))
    if errors:
        raise ReviewError(_("Please correct the marked fields."), fields=errors)
    return ReviewValues(scores, recommendation, comment, note)


# --- Saving ---------------------------------------------------------------------------------------------------------


def save_review(
    assignment: ReviewAssignment,
    data: Mapping[str, Any],
    *,
    submit: bool,
    expected_version: int | None,
    now: dt.datetime,
) -> SaveOutcome:
    """Save the reviewer's review: a draft (incomplete values allowed) until submitted; once submitted, every save is
    a revision that must be complete and appends a snapshot. Nothing changes after the deadline or from a stale form.

    `expected_version` is the review's version when the form was loaded (0 for a review not yet started).
    """
    _ensure_open(assignment, now)
    review = assignment.review
    check_version(review, expected_version, current=lambda: version_of(assignment.review))
    values = clean_values(data)
    was_submitted = review is not None and review.submitted
    if submit or was_submitted:
        _ensure_complete(values, was_submitted)
    if was_submitted and values.same_as(review):  # type: ignore[union-attr]
        return SaveOutcome.UNCHANGED
    outcome = SaveOutcome.REVISED if was_submitted else SaveOutcome.SUBMITTED if submit else SaveOutcome.SAVED
    review, revision = _write(assignment, values, outcome, now)
    flush_new_or_stale(lambda: version_of(assignment.review))
    # The details name the review, never its content: the audit log is read by people who may not see reviews.
    details: dict[str, Any] = {"review_id": review.id, "reviewer_id": assignment.reviewer_id}
    if revision is not None:
        details["revision"] = revision
    audit.record(AUDIT_ACTIONS[outcome], assignment.application, actor_id=assignment.reviewer_id, details=details)
    if outcome == SaveOutcome.SUBMITTED:
        notice_if_reviews_complete(assignment.application.intake_round, now)
    return outcome


def _ensure_open(assignment: ReviewAssignment, now: dt.datetime) -> None:
    """Refuse when the review can no longer change, or the member may no longer review the application."""
    reason = closed_reason(assignment.application, now)
    if reason:
        raise ReviewClosed(reason)
    if not can_review(assignment.reviewer, assignment.application):
        raise ReviewClosed(_("You are not (or no longer) asked to review this application."))


def _ensure_complete(values: ReviewValues, was_submitted: bool) -> None:
    missing = values.missing()
    if not missing:
        return
    if was_submitted:
        message = _("A submitted review must stay complete: every score and the recommendation are needed.")
    else:
        message = _("Your review is not complete yet: every score and the recommendation are needed to submit.")
    raise ReviewError(message, fields=missing)


def _write(
    assignment: ReviewAssignment, values: ReviewValues, outcome: SaveOutcome, now: dt.datetime
) -> tuple[Review, int | None]:
    """Put the values into the review (created if needed); a submission or revision appends a numbered snapshot."""
    review = assignment.review
    # Read before changing anything: a lazy load would flush the changes outside flush_new_or_stale.
    number = len(review.revisions) + 1 if review is not None else 1
    if review is None:
        review = Review(assignment=assignment, created_at=now)
        db.session.add(review)
    for name, value in values.scores.items():
        setattr(review, name, value)
    review.recommendation, review.comment = values.recommendation, values.comment
    review.updated_at = now  # always writes the row, so the version moves and other open forms notice
    if outcome == SaveOutcome.SAVED:
        return review, None
    if outcome == SaveOutcome.SUBMITTED:
        review.submitted_at = now
    snapshot = {"recommendation": values.recommendation, "comment": values.comment, "note": values.note}
    review.revisions.append(ReviewRevision(number=number, **values.scores, **snapshot, submitted_at=now))
    return review, number


# --- The committee member's list --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AssignedApplication:
    """One row of a committee member's list."""

    application_id: int
    reference: str | None
    name: str
    research_field: ResearchField | None
    german_university: University | None
    chinese_university: University | None
    status: ReviewStatus
    under_review: bool  # the application still waits for its decision


@dataclass
class RoundGroup:
    """A round's assigned applications, with the round's review deadline."""

    round_id: int
    name: str
    reviews_due: dt.datetime | None
    rows: list[AssignedApplication] = field(default_factory=list)

    @property
    def submitted(self) -> int:
        return sum(1 for row in self.rows if row.status == ReviewStatus.SUBMITTED)

    def first_open(self, now: dt.datetime) -> int | None:
        """The first application (in the list's order) whose review is still to be written, before the deadline."""
        if self.reviews_due is not None and now >= self.reviews_due:
            return None
        waiting = (r for r in self.rows if r.under_review and r.status != ReviewStatus.SUBMITTED)
        return next((row.application_id for row in waiting), None)


def assigned_applications(user: User) -> list[RoundGroup]:
    """The applications assigned to user, per round (newest first): one query, whatever the number of rows.

    Applications the user has a conflict with are left out, whatever the reason (chosen supervisor, referee, declared).
    """
    joined = SupervisedApplications()
    columns = select(
        Application.id,
        Application.reference,
        Application.family_name,
        Application.given_names,
        joined.applicant.name,
        Application.research_field,
        joined.german.university,
        joined.chinese.university,
        IntakeRound.id,
        IntakeRound.name,
        IntakeRound.reviews_due,
        Review.id,
        Review.submitted_at,
        Application.state,
    )
    query = (
        joined.join(columns.select_from(ReviewAssignment).join(Application, ReviewAssignment.application))
        .join(IntakeRound, Application.round_id == IntakeRound.id)
        .outerjoin(Review, Review.assignment_id == ReviewAssignment.id)
        .where(
            ReviewAssignment.reviewer_id == user.id,
            Application.state.in_(JUDGED_STATES),
            ~conflicted(user.id, user.email),
        )
        .order_by(IntakeRound.closes_at.desc(), IntakeRound.id, Application.reference, Application.id)
    )
    groups: dict[int, RoundGroup] = {}
    for row in db.session.execute(query):
        (application_id, reference, family, given, account, research_field, german, chinese) = row[:8]
        round_id, round_name, reviews_due, review_id, submitted_at, state = row[8:]
        group = groups.setdefault(round_id, RoundGroup(round_id, round_name, reviews_due))
        status = _status(review_id is not None, submitted_at is not None)
        name = display_name(family, given, account)
        group.rows.append(
            AssignedApplication(
                application_id, reference, name, research_field, german, chinese, status, state in OPEN_FOR_REVIEW
            )
        )
    return list(groups.values())


# --- Reading ----------------------------------------------------------------------------------------------------------


def application_assignments(application: Application) -> list[ReviewAssignment]:
    """The application's assignments with reviewer, review and revisions loaded, by reviewer's name (one statement)."""
    return OneTrip.alone(db.session, application_assignments_in, application)


def application_assignments_in(trip: OneTrip, application: Application) -> Pending[list[ReviewAssignment]]:
    """application_assignments, read in the trip."""
    rows = trip.objects(
        select(ReviewAssignment, User, Review)
        .join(User, ReviewAssignment.reviewer_id == User.id)
        .outerjoin(Review, Review.assignment_id == ReviewAssignment.id)
        .where(ReviewAssignment.application_id == application.id)
        .order_by(User.name, ReviewAssignment.id)
    )
    revisions = trip.objects(
        select(ReviewRevision)
        .join(Review, Review.id == ReviewRevision.review_id)
        .join(ReviewAssignment, ReviewAssignment.id == Review.assignment_id)
        .where(ReviewAssignment.application_id == application.id)
        .order_by(ReviewRevision.review_id, ReviewRevision.number)
    )

    def build(rows: list[Any], revisions: list[ReviewRevision]) -> list[ReviewAssignment]:
        assignments = [assignment for assignment, _reviewer, _review in rows]
        reviews = [review for _assignment, _reviewer, review in rows if review is not None]
        attach(assignments, ReviewAssignment.review, reviews)
        attach(reviews, Review.revisions, revisions)
        return assignments

    return trip.then(build, rows, revisions)


def statements_of(application: Application) -> list[SupervisorStatement]:
    """The chosen supervisors' statements on the application, the German side first (one statement)."""
    return OneTrip.alone(db.session, statements_in, application)


def statements_in(trip: OneTrip, application: Application) -> Pending[list[SupervisorStatement]]:
    """statements_of, read in the trip with each statement's supervisor (their account and university)."""
    rows = trip.objects(
        select(SupervisorStatement, SupervisorProfile, User, University)
        .join(SupervisorProfile, SupervisorProfile.id == SupervisorStatement.profile_id)
        .join(User, User.id == SupervisorProfile.user_id)
        .join(University, University.id == SupervisorProfile.university_id)
        .where(SupervisorStatement.application_id == application.id)
    )

    def build(rows: list[Any]) -> list[SupervisorStatement]:
        statements = [statement for statement, *_supervisor in rows]
        return sorted(statements, key=lambda s: (s.profile_id != application.german_supervisor_id, s.id))

    return trip.then(build, rows)
