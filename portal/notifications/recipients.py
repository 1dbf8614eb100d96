"""Who receives a mail to a group: a round's applicants in a fixed group or chosen by any filter of the applications
list (portal/reporting/lists.py), or the round's referees, chosen supervisors or reviewers; one query per group."""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select
from sqlalchemy.orm import contains_eager

from portal import db
from portal.accounts.models import User
from portal.applications.models import (
    Application,
    ApplicationState,
    Decision,
    DecisionOutcome,
    IntakeRound,
    RefereeInvitation,
)
from portal.core.i18n import translated
from portal.reporting.lists import ListFilter, filter_conditions
from portal.review.models import ReviewAssignment
from portal.supervisors.models import SupervisorProfile

LETTERS_WANTED = 2


class RecipientGroup(enum.StrEnum):
    """Which of a round's applicants receive the mail (only applicants whose account is active)."""

    LETTERS_MISSING = "letters_missing"
    WAITING_LIST = "waiting_list"
    ADMITTED = "admitted"
    SUBMITTED = "submitted"
    DRAFT = "draft"
    STATE_SUBMITTED = "state_submitted"
    UNDER_REVIEW = "under_review"
    DECIDED = "decided"
    WITHDRAWN = "withdrawn"
    LIST_FILTER = "list_filter"
    REFEREES = "referees"
    SUPERVISORS = "supervisors"
    REVIEWERS = "reviewers"

    @property
    def label(self) -> str:
        return translated(GROUP_LABELS[self])

    @property
    def applicants(self) -> bool:
        """Whether the group is of applicants (each message about their application)."""
        return self not in PEOPLE_GROUPS


GROUP_LABELS = {
    RecipientGroup.LETTERS_MISSING: _l("Submitted, not yet decided, fewer than two letters of recommendation received"),
    RecipientGroup.WAITING_LIST: _l("On the waiting list (decision released)"),
    RecipientGroup.ADMITTED: _l("Admitted (decision released)"),
    RecipientGroup.SUBMITTED: _l("All submitted applications (submitted, under review or decided)"),
    RecipientGroup.DRAFT: _l("State: draft (not submitted yet)"),
    RecipientGroup.STATE_SUBMITTED: _l("State: submitted"),
    RecipientGroup.UNDER_REVIEW: _l("State: under review"),
    RecipientGroup.DECIDED: _l("State: decided (released or not; the decision itself is not revealed)"),
    RecipientGroup.WITHDRAWN: _l("State: withdrawn"),
    RecipientGroup.LIST_FILTER: _l("Applicants chosen by a filter of the applications list"),
    RecipientGroup.REFEREES: _l("Referees of submitted applications who have been invited (one email per letter)"),
    RecipientGroup.SUPERVISORS: _l("Chosen supervisors of submitted applications"),
    RecipientGroup.REVIEWERS: _l("Members of the selection committee assigned to review in this round"),
}
PEOPLE_GROUPS = {RecipientGroup.REFEREES, RecipientGroup.SUPERVISORS, RecipientGroup.REVIEWERS}

_STATE_GROUPS = {
    RecipientGroup.DRAFT: ApplicationState.DRAFT,
    RecipientGroup.STATE_SUBMITTED: ApplicationState.SUBMITTED,
    RecipientGroup.UNDER_REVIEW: ApplicationState.UNDER_REVIEW,
    RecipientGroup.DECIDED: ApplicationState.DECIDED,
    RecipientGroup.WITHDRAWN: ApplicationState.WITHDRAWN,
}
_RELEASED_OUTCOMES = {
    RecipientGroup.WAITING_LIST: DecisionOutcome.WAITING_LIST,
    RecipientGroup.ADMITTED: DecisionOutcome.ADMIT,
}
SUBMITTED_STATES = (ApplicationState.SUBMITTED, ApplicationState.UNDER_REVIEW, ApplicationState.DECIDED)


def _recipients_query(intake: IntakeRound, group: RecipientGroup) -> Select:
    query = (
        select(Application)
        .join(User, User.id == Application.applicant_id)
        .options(contains_eager(Application.applicant))
        .where(Application.round_id == intake.id, User.active.is_(True))
        .order_by(func.lower(User.name), Application.id)
    )
    if group in _STATE_GROUPS:
        return query.where(Application.state == _STATE_GROUPS[group])
    if group == RecipientGroup.SUBMITTED:
        return query.where(Application.state.in_(SUBMITTED_STATES))
    if group == RecipientGroup.LETTERS_MISSING:
        letters = (
            select(func.count(RefereeInvitation.letter_received_at))
            .where(RefereeInvitation.application_id == Application.id)
            .correlate(Application)
            .scalar_subquery()
        )
        return query.where(
            Application.state.in_((ApplicationState.SUBMITTED, ApplicationState.UNDER_REVIEW)),
            letters < LETTERS_WANTED,
        )
    # Waiting list and admitted: only released decisions, which the applicants already know.
    return query.join(Decision, Decision.application_id == Application.id).where(
        Decision.outcome == _RELEASED_OUTCOMES[group],
        Decision.released_at.is_not(None),
        Application.state == ApplicationState.DECIDED,
    )


def recipients(intake: IntakeRound, group: RecipientGroup) -> list[Application]:
    """The round's applications whose applicants receive the mail (one query)."""
    return list(db.session.scalars(_recipients_query(intake, group)))


@dataclass(frozen=True)
class Recipient:
    """One message's addressee: an account holder or a referee; `application` is the one the message is about."""

    key: str  # stable across requests, for the preview's fingerprint
    email: str
    name: str
    language: str
    timezone: str | None
    user_id: int | None
    application: Application | None


def _applicant(application: Application) -> Recipient:
    user = application.applicant
    return Recipient(f"a{application.id}", user.email, user.name, user.language, user.timezone, user.id, application)


def _account(user: User) -> Recipient:
    return Recipient(f"u{user.id}", user.email, user.name, user.language, user.timezone, user.id, None)


def _submitted_of(intake: IntakeRound):
    return select(Application.id).where(Application.round_id == intake.id, Application.state.in_(SUBMITTED_STATES))


def _filtered(intake: IntakeRound, filters: ListFilter) -> list[Application]:
    query = (
        select(Application)
        .join(User, User.id == Application.applicant_id)
        .options(contains_eager(Application.applicant))
        .where(*filter_conditions(replace(filters, round_id=intake.id)), User.active.is_(True))
        .order_by(func.lower(User.name), Application.id)
    )
    return list(db.session.scalars(query))


def _referees(intake: IntakeRound) -> list[Recipient]:
    query = (
        select(RefereeInvitation)
        .join(RefereeInvitation.application)
        .options(contains_eager(RefereeInvitation.application))
        .where(RefereeInvitation.application_id.in_(_submitted_of(intake)), RefereeInvitation.invited_at.is_not(None))
        .order_by(func.lower(RefereeInvitation.name), RefereeInvitation.id)
    )
    return [
        Recipient(f"r{r.id}", r.email, r.name, r.language, None, None, r.application) for r in db.session.scalars(query)
    ]


def _accounts(ids) -> list[Recipient]:
    query = select(User).where(User.id.in_(ids), User.active.is_(True)).order_by(func.lower(User.name), User.id)
    return [_account(user) for user in db.session.scalars(query)]


def _supervisor_ids(intake: IntakeRound):
    chosen = (
        select(Application.german_supervisor_id)
        .where(Application.id.in_(_submitted_of(intake)))
        .union(select(Application.chinese_supervisor_id).where(Application.id.in_(_submitted_of(intake))))
    )
    return select(SupervisorProfile.user_id).where(SupervisorProfile.id.in_(chosen))


def _reviewer_ids(intake: IntakeRound):
    return (
        select(ReviewAssignment.reviewer_id)
        .join(Application, Application.id == ReviewAssignment.application_id)
        .where(Application.round_id == intake.id)
    )


def recipients_of(intake: IntakeRound, group: RecipientGroup, filters: ListFilter | None = None) -> list[Recipient]:
    """Everyone who receives a mail to the group (one query); the list filter chooses applicants for LIST_FILTER."""
    if group == RecipientGroup.REFEREES:
        return _referees(intake)
    if group == RecipientGroup.SUPERVISORS:
        return _accounts(_supervisor_ids(intake))
    if group == RecipientGroup.REVIEWERS:
        return _accounts(_reviewer_ids(intake))
    if group == RecipientGroup.LIST_FILTER:
        return [_applicant(a) for a in _filtered(intake, filters or ListFilter(round_id=intake.id))]
    return [_applicant(a) for a in recipients(intake, group)]
