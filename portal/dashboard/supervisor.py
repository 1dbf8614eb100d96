"""Where the applications naming a supervisor stand, for their dashboard: each one's state, their own statement, and
whether the decision is released (its outcome only once it is: portal/review/permissions.py). One query, bounded."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased

from portal import db
from portal.accounts.models import User
from portal.applications.models import (
    Application,
    ApplicationState,
    Decision,
    DecisionOutcome,
    IntakeRound,
    display_name,
)
from portal.review.models import StatementAnswer, SupervisorStatement
from portal.review.permissions import JUDGED_STATES
from portal.supervisors.models import SupervisorProfile

SHOWN = 20  # applications listed on the dashboard; the rest are on the supervisor's own page


@dataclass(frozen=True)
class Standing:
    """One application naming the supervisor, as the supervisor may see it."""

    application_id: int
    reference: str
    name: str
    round_name: str
    state: ApplicationState
    answer: StatementAnswer | None
    released_at: dt.datetime | None
    outcome: DecisionOutcome | None  # only once released

    @property
    def released(self) -> bool:
        return self.released_at is not None


@dataclass(frozen=True)
class Standings:
    rows: list[Standing]
    total: int


def supervisor_standings(user: User) -> Standings:
    """The submitted applications naming the user as co-supervisor, newest round first (one query)."""
    profile = aliased(SupervisorProfile)
    query = (
        select(
            Application.id,
            Application.reference,
            Application.family_name,
            Application.given_names,
            User.name,
            IntakeRound.name,
            Application.state,
            SupervisorStatement.answer,
            Decision.released_at,
            Decision.outcome,
            func.count().over(),
        )
        .join(
            profile,
            or_(profile.id == Application.german_supervisor_id, profile.id == Application.chinese_supervisor_id),
        )
        .join(User, User.id == Application.applicant_id)
        .join(IntakeRound, IntakeRound.id == Application.round_id)
        .outerjoin(
            SupervisorStatement,
            and_(SupervisorStatement.application_id == Application.id, SupervisorStatement.profile_id == profile.id),
        )
        .outerjoin(Decision, Decision.application_id == Application.id)
        .where(profile.user_id == user.id, Application.state.in_(JUDGED_STATES))
        .order_by(IntakeRound.closes_at.desc(), Application.reference)
        .limit(SHOWN)
    )
    rows = list(db.session.execute(query))
    standings = [
        Standing(r[0], r[1] or "", display_name(r[2], r[3], r[4]), r[5], r[6], r[7], r[8], r[9] if r[8] else None)
        for r in rows
    ]
    return Standings(standings, rows[0][-1] if rows else 0)
