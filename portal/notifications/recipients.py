"""Which of a round's applicants receive a mail to a group: the groups a coordinator can choose, and the one query."""

from __future__ import annotations

import enum

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

    @property
    def label(self) -> str:
        return str(GROUP_LABELS[self])


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
}

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
