"""Review rules: a committee member's assigned applications, drafts, submission, revisions until the deadline."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, joinedload
from sqlalchemy.orm.exc import StaleDataError

from portal import db
from portal.accounts.models import User
from portal.applications.models import Application, ApplicationState, IntakeRound, RefereeInvitation
from portal.applications.permissions import can_read_letters
from portal.core import audit
from portal.core.roles import Role
from portal.core.rules import RuleViolation
from portal.review.models import (
    CRITERIA,
    Conflict,
    Recommendation,
    Review,
    ReviewAssignment,
    ReviewRevision,
    SupervisorStatement,
)
from portal.review.permissions import JUDGED_STATES, assignment_of, can_review, can_see_reviews, can_see_statements
from portal.supervisors.models import ResearchField, SupervisorProfile, University

# Reviews can be written and revised while the application waits for its decision.
OPEN_FOR_REVIEW = {ApplicationState.SUBMITTED, ApplicationState.UNDER_REVIEW}
COMMENT_MAX_LENGTH = 10_000
NOTE_MAX_LENGTH = 300


class ReviewError(RuleViolation):
    """A review rule was broken; the message is for the user, `fields` maps form fields to their own message."""

    def __init__(self, message: str, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields = dict(fields or {})


class StaleReview(ReviewError):
    """The review was saved elsewhere (another tab or window) since the form was loaded."""


class ReviewClosed(ReviewError):
    """The review can no longer be changed: the deadline has passed or the application has been decided."""


class ReviewStatus(enum.StrEnum):
    """Where a reviewer's own review stands."""

    NOT_STARTED = "not_started"
    DRAFT = "draft"
    SUBMITTED = "submitted"

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self])


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


def status_of(review: Review | None) -> ReviewStatus:
    if review is None:
        return ReviewStatus.NOT_STARTED
    return ReviewStatus.SUBMITTED if review.submitted else ReviewStatus.DRAFT


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


# --- Saving ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewValues:
    """A review's content, checked: scores 1 to 5 or None, a recommendation or None, the comment."""

    scores: dict[str, int | None]
    recommendation: Recommendation | None
    comment: str

    def missing(self) -> dict[str, str]:
        """The fields a submission still needs, each with its message."""
        missing = {name: _("Please give a score.") for name, value in self.scores.items() if value is None}
        if self.recommendation is None:
            missing["recommendation"] = _("Please choose a recommendation.")
        return missing

    def same_as(self, review: Review) -> bool:
        return (
            all(getattr(review, name) == value for name, value in self.scores.items())
            and review.recommendation == self.recommendation
            and review.comment == self.comment
        )


def clean_values(data: Mapping[str, Any]) -> ReviewValues:
    """Check what a form (or a forged request) sent; every problem is reported next to its field."""
    errors: dict[str, str] = {}
    scores: dict[str, int | None] = {}
    for name in CRITERIA:
        raw = data.get(name)
        if raw in (None, ""):
            scores[name] = None
            continue
        try:
            value = int(raw)
        except (TypeError, ValueError):
            value = 0
        if not 1 <= value <= 5:
            errors[name] = _("Scores go from 1 to 5.")
        scores[name] = value
    raw_recommendation = data.get("recommendation")
    recommendation = None
    if raw_recommendation not in (None, ""):
        try:
            recommendation = Recommendation(str(raw_recommendation))
        except ValueError:
            errors["recommendation"] = _("Please choose one of the recommendations.")
    comment = str(data.get("comment") or "").strip()
    if len(comment) > COMMENT_MAX_LENGTH:
        errors["comment"] = _("Please shorten the comment to at most %(limit)d characters.", limit=COMMENT_MAX_LENGTH)
    if errors:
        raise ReviewError(_("Please correct the marked fields."), errors)
    return ReviewValues(scores, recommendation, comment)


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

    `expected_version` is the review's version when the form was loaded (0, or None, for a review not yet started).
    """
    application = assignment.application
    reason = closed_reason(application, now)
    if reason:
        raise ReviewClosed(reason)
    if not can_review(assignment.reviewer, application):
        raise ReviewClosed(_("You are not (or no longer) asked to review this application."))
    review = assignment.review
    if (expected_version or 0) != (review.version if review is not None else 0):
        raise StaleReview(_stale_message())
    values = clean_values(data)
    note = str(data.get("note") or "").strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise ReviewError(
            _("Please correct the marked fields."),
            {"note": _("Please shorten the note to at most %(limit)d characters.", limit=NOTE_MAX_LENGTH)},
        )
    was_submitted = review is not None and review.submitted
    if submit or was_submitted:
        missing = values.missing()
        if missing:
            message = (
                _("A submitted review must stay complete: every score and the recommendation are needed.")
                if was_submitted
                else _("Your review is not complete yet: every score and the recommendation are needed to submit.")
            )
            raise ReviewError(message, missing)
    if was_submitted and values.same_as(review) and not note:  # type: ignore[union-attr]
        return SaveOutcome.UNCHANGED

    # Read before changing anything: a lazy load would flush the changes outside _flush_or_stale.
    number = len(review.revisions) + 1 if review is not None else 1
    if review is None:
        review = Review(assignment=assignment, created_at=now)
        db.session.add(review)
    for name, value in values.scores.items():
        setattr(review, name, value)
    review.recommendation = values.recommendation
    review.comment = values.comment
    review.updated_at = now  # always writes the row, so the version moves and other open forms notice

    if was_submitted:
        outcome, action = SaveOutcome.REVISED, "review.revised"
    elif submit:
        review.submitted_at = now
        outcome, action = SaveOutcome.SUBMITTED, "review.submitted"
    else:
        outcome, action = SaveOutcome.SAVED, "review.saved"
    if outcome != SaveOutcome.SAVED:
        review.revisions.append(
            ReviewRevision(
                number=number,
                **values.scores,
                recommendation=values.recommendation,
                comment=values.comment,
                submitted_at=now,
                note=note,
            )
        )
    _flush_or_stale()
    # The details name the review, never its content: the audit log is read by people who may not see reviews.
    details: dict[str, Any] = {"review_id": review.id, "reviewer_id": assignment.reviewer_id}
    if outcome != SaveOutcome.SAVED:
        details["revision"] = number
    audit.record(action, application, actor_id=assignment.reviewer_id, details=details)
    return outcome


def _stale_message() -> str:
    return _(
        "Your review was saved in another tab or window in the meantime. Your entries are still in the form: "
        "please check them and save again."
    )


def _flush_or_stale() -> None:
    """Flush, turning a lost race (the row's version moved, or another tab created the review) into StaleReview."""
    try:
        db.session.flush()
    except (StaleDataError, IntegrityError) as error:
        db.session.rollback()
        raise StaleReview(_stale_message()) from error


def current_version(assignment_id: int) -> int:
    """The version of the assignment's review as it is in the database now (0 when not started)."""
    version = db.session.scalar(select(Review.version).where(Review.assignment_id == assignment_id))
    return version or 0


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


@dataclass
class RoundGroup:
    """A round's assigned applications, with the round's review deadline."""

    round_id: int
    name: str
    reviews_due: dt.datetime | None
    rows: list[AssignedApplication] = field(default_factory=list)


def assigned_applications(user: User) -> list[RoundGroup]:
    """The applications assigned to user, per round (newest first): one query, whatever the number of rows.

    Applications the user has a conflict with are left out, whatever the reason (chosen supervisor, referee, declared).
    """
    german, chinese = aliased(SupervisorProfile), aliased(SupervisorProfile)
    german_university = aliased(University, name="german_university")
    chinese_university = aliased(University, name="chinese_university")
    applicant = aliased(User)
    referee = exists().where(
        RefereeInvitation.application_id == Application.id, func.lower(RefereeInvitation.email) == user.email.lower()
    )
    declared = exists().where(Conflict.application_id == Application.id, Conflict.user_id == user.id)
    query = (
        select(
            Application.id.label("application_id"),
            Application.reference,
            Application.given_names,
            Application.family_name,
            applicant.name.label("account_name"),
            Application.research_field,
            IntakeRound.id.label("round_id"),
            IntakeRound.name.label("round_name"),
            IntakeRound.reviews_due,
            german_university,
            chinese_university,
            Review.id.label("review_id"),
            Review.submitted_at,
        )
        .select_from(ReviewAssignment)
        .join(Application, ReviewAssignment.application_id == Application.id)
        .join(IntakeRound, Application.round_id == IntakeRound.id)
        .join(applicant, Application.applicant_id == applicant.id)
        .outerjoin(german, Application.german_supervisor_id == german.id)
        .outerjoin(german_university, german.university_id == german_university.id)
        .outerjoin(chinese, Application.chinese_supervisor_id == chinese.id)
        .outerjoin(chinese_university, chinese.university_id == chinese_university.id)
        .outerjoin(Review, Review.assignment_id == ReviewAssignment.id)
        .where(
            ReviewAssignment.reviewer_id == user.id,
            Application.state.in_(JUDGED_STATES),
            ~referee,
            ~declared,
            ~or_(
                and_(german.id.is_not(None), german.user_id == user.id),
                and_(chinese.id.is_not(None), chinese.user_id == user.id),
            ),
        )
        .order_by(IntakeRound.closes_at.desc(), IntakeRound.id, Application.reference, Application.id)
    )
    groups: dict[int, RoundGroup] = {}
    for row in db.session.execute(query):
        if row.review_id is None:
            status = ReviewStatus.NOT_STARTED
        else:
            status = ReviewStatus.DRAFT if row.submitted_at is None else ReviewStatus.SUBMITTED
        given, family = row.given_names, row.family_name
        name = f"{given} {family.upper()}".strip() if (given or family) else row.account_name
        group = groups.setdefault(row.round_id, RoundGroup(row.round_id, row.round_name, row.reviews_due))
        group.rows.append(
            AssignedApplication(
                application_id=row.application_id,
                reference=row.reference,
                name=name,
                research_field=row.research_field,
                german_university=row.german_university,
                chinese_university=row.chinese_university,
                status=status,
            )
        )
    return list(groups.values())


# --- One application, as a reviewer (or a coordinator) sees it -------------------------------------------------------


@dataclass
class ReviewPage:
    """What the review page of one application shows to its viewer."""

    application: Application
    assignment: ReviewAssignment | None  # the viewer's own, when they may review
    closed_reason: str | None  # why the viewer's review can no longer be changed
    reviews_visible: bool  # whether the viewer may see others' reviews
    others: list[ReviewAssignment]  # others' assignments to show (content only of submitted reviews)
    statements: list[SupervisorStatement] | None  # None: not for this viewer
    letters_visible: bool
    is_coordinator: bool

    @property
    def review(self) -> Review | None:
        return self.assignment.review if self.assignment is not None else None

    @property
    def status(self) -> ReviewStatus:
        return status_of(self.review)

    @property
    def editable(self) -> bool:
        return self.assignment is not None and self.closed_reason is None


def may_open(user: User, application: Application) -> bool:
    """Who may open an application's review page: an assigned, unconflicted member, or a coordinator."""
    return user.has_role(Role.COORDINATOR) or can_review(user, application)


def review_page(viewer: User, application: Application, now: dt.datetime) -> ReviewPage:
    """Everything the viewer may see of the application's judging (call only after may_open)."""
    assignment = assignment_of(viewer, application) if can_review(viewer, application) else None
    is_coordinator = viewer.has_role(Role.COORDINATOR)
    reviews_visible = can_see_reviews(viewer, application)
    others: list[ReviewAssignment] = []
    if reviews_visible:
        others = [
            other
            for other in application_assignments(application)
            if other.reviewer_id != viewer.id and (is_coordinator or (other.review and other.review.submitted))
        ]
    return ReviewPage(
        application=application,
        assignment=assignment,
        closed_reason=closed_reason(application, now) if assignment is not None else None,
        reviews_visible=reviews_visible,
        others=others,
        statements=statements_of(application) if can_see_statements(viewer, application) else None,
        letters_visible=can_read_letters(viewer, application),
        is_coordinator=is_coordinator,
    )


def application_assignments(application: Application) -> list[ReviewAssignment]:
    """The application's assignments with reviewer, review and revisions loaded."""
    query = (
        select(ReviewAssignment)
        .join(User, ReviewAssignment.reviewer_id == User.id)
        .where(ReviewAssignment.application_id == application.id)
        .options(
            joinedload(ReviewAssignment.reviewer),
            joinedload(ReviewAssignment.review).selectinload(Review.revisions),
        )
        .order_by(User.name, ReviewAssignment.id)
    )
    return list(db.session.scalars(query).unique())


def statements_of(application: Application) -> list[SupervisorStatement]:
    """The chosen supervisors' statements on the application, the German side first."""
    query = (
        select(SupervisorStatement)
        .where(SupervisorStatement.application_id == application.id)
        .options(joinedload(SupervisorStatement.profile))
    )
    statements = db.session.scalars(query).unique()
    return sorted(statements, key=lambda s: (s.profile_id != application.german_supervisor_id, s.id))
