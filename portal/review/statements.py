"""Supervisors' statements: the applications that name a supervisor, their statement, the partner's, capacity."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from itertools import groupby

from flask_babel import gettext as _
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import aliased, contains_eager, defaultload, joinedload, lazyload

from portal import db
from portal.accounts.models import User
from portal.applications.models import Application, ApplicationState, IntakeRound
from portal.core import audit
from portal.core.rules import RuleViolation
from portal.core.versions import check_version, flush_new_or_stale, version_of
from portal.review.models import StatementAnswer, SupervisorStatement
from portal.review.permissions import JUDGED_STATES, chosen_profile, may_state
from portal.supervisors.models import Country, SupervisorProfile, University
from portal.supervisors.services import MAX_CAPACITY

AGREEING = (StatementAnswer.WILLING, StatementAnswer.CONDITIONAL)


class StatementError(RuleViolation):
    """A statement rule was broken; the message is for the user, shown next to `field` when given."""


# --- A statement's rules (who may state: permissions.may_state) -------------------------------------------------


def is_locked(application: Application) -> bool:
    """Statements are read-only once a decision is recorded."""
    return application.decision is not None or application.state == ApplicationState.DECIDED


def locked_message() -> str:
    return _("The selection committee has concluded on this application: your statement can no longer be changed.")


def side_of(profile: SupervisorProfile, application: Application) -> Country:
    """On which side of the pair the application names the supervisor."""
    return Country.DE if application.german_supervisor_id == profile.id else Country.CN


def partner_of(profile: SupervisorProfile, application: Application) -> SupervisorProfile | None:
    """The supervisor chosen on the other side."""
    if application.german_supervisor_id == profile.id:
        return application.chinese_supervisor
    return application.german_supervisor


def both_agree(own: StatementAnswer | None, partner: StatementAnswer | None) -> bool:
    """Co-supervision is agreed when both supervisors are willing (with or without conditions)."""
    return own is not None and partner is not None and own.agrees and partner.agrees


# --- Capacity ---------------------------------------------------------------------------------------------------


def agreed_counts(profile: SupervisorProfile, round_id: int | None = None) -> dict[int, int]:
    """Per round: the candidates the supervisor agreed to take (agreeing statements, application not withdrawn)."""
    query = (
        select(Application.round_id, func.count(SupervisorStatement.id))
        .join(Application, Application.id == SupervisorStatement.application_id)
        .where(
            SupervisorStatement.profile_id == profile.id,
            SupervisorStatement.answer.in_(AGREEING),
            Application.state != ApplicationState.WITHDRAWN,
        )
        .group_by(Application.round_id)
    )
    if round_id is not None:
        query = query.where(Application.round_id == round_id)
    return {row_round: count for row_round, count in db.session.execute(query)}


@dataclass(frozen=True)
class Capacity:
    """How many candidates of a round the supervisor agreed to take, against their capacity."""

    agreed: int
    capacity: int

    @property
    def full(self) -> bool:
        """One more agreement would exceed the capacity."""
        return self.agreed >= self.capacity

    @property
    def exceeded(self) -> bool:
        return self.agreed > self.capacity


def capacity_in_round(profile: SupervisorProfile, round_id: int) -> Capacity:
    return Capacity(agreed_counts(profile, round_id).get(round_id, 0), profile.capacity)


# --- The dashboard ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CandidateRow:
    """One application naming the supervisor, as the dashboard shows it."""

    application: Application
    side: Country
    own: SupervisorStatement | None
    partner_name: str
    partner_university: University | None
    partner_answered: bool
    # The partner's answer only once both have answered (DESIGN: "partner's once both answered").
    partner_answer: StatementAnswer | None

    @property
    def agreed(self) -> bool:
        return both_agree(self.own.answer if self.own else None, self.partner_answer)


@dataclass(frozen=True)
class RoundGroup:
    intake_round: IntakeRound
    rows: list[CandidateRow]
    capacity: Capacity


def candidates_of(profile: SupervisorProfile) -> list[RoundGroup]:
    """The submitted applications naming the supervisor, newest round first: one query for the list, one for counts."""
    own = aliased(SupervisorStatement)
    theirs = aliased(SupervisorStatement)
    partner = aliased(SupervisorProfile)
    partner_user = aliased(User)
    partner_university = aliased(University)
    is_german = Application.german_supervisor_id == profile.id
    partner_id = case((is_german, Application.chinese_supervisor_id), else_=Application.german_supervisor_id)
    query = (
        select(Application, own, partner.title, partner_user.name, partner_university, theirs.answer)
        .join(Application.intake_round)
        # The applicants' roles are not needed here (their default is a second, selectin query).
        .options(
            contains_eager(Application.intake_round),
            defaultload(Application.applicant).lazyload(User.roles),
            joinedload(Application.decision),  # the state shown depends on its release
        )
        .outerjoin(own, and_(own.application_id == Application.id, own.profile_id == profile.id))
        .outerjoin(partner, partner.id == partner_id)
        .outerjoin(partner_user, partner_user.id == partner.user_id)
        .outerjoin(partner_university, partner_university.id == partner.university_id)
        .outerjoin(theirs, and_(theirs.application_id == Application.id, theirs.profile_id == partner.id))
        .where(
            or_(Application.german_supervisor_id == profile.id, Application.chinese_supervisor_id == profile.id),
            Application.state.in_(JUDGED_STATES),
        )
        .order_by(IntakeRound.closes_at.desc(), IntakeRound.id, Application.reference)
    )
    rows = []
    for application, statement, title, name, university, partner_answer in db.session.execute(query):
        rows.append(
            CandidateRow(
                application=application,
                side=side_of(profile, application),
                own=statement,
                partner_name=f"{title or ''} {name or ''}".strip(),
                partner_university=university,
                partner_answered=partner_answer is not None,
                partner_answer=partner_answer if statement is not None else None,
            )
        )
    counts = agreed_counts(profile)
    groups = []
    for round_id, group in groupby(rows, key=lambda row: row.application.round_id):
        round_rows = list(group)
        capacity = Capacity(counts.get(round_id, 0), profile.capacity)
        groups.append(RoundGroup(round_rows[0].application.intake_round, round_rows, capacity))
    return groups


@dataclass(frozen=True)
class Dashboard:
    profile: SupervisorProfile | None
    groups: list[RoundGroup]


def dashboard_for(user: User) -> Dashboard:
    """The supervisor's directory entry and the applications naming it (none without an entry)."""
    query = select(SupervisorProfile).where(SupervisorProfile.user_id == user.id)
    profile = db.session.scalars(query.options(lazyload(SupervisorProfile.fields))).first()  # fields: not shown here
    return Dashboard(profile, candidates_of(profile) if profile is not None else [])


@dataclass(frozen=True)
class Summary:
    """For the supervisor's card on the general dashboard."""

    candidates: int
    awaiting: int


def summary_for(user: User) -> Summary:
    """How many submitted applications name the user, and how many still wait for their statement (one query)."""
    profile = aliased(SupervisorProfile)
    query = (
        select(func.count(Application.id), func.count(Application.id) - func.count(SupervisorStatement.id))
        .join(
            profile,
            or_(profile.id == Application.german_supervisor_id, profile.id == Application.chinese_supervisor_id),
        )
        .outerjoin(
            SupervisorStatement,
            and_(SupervisorStatement.application_id == Application.id, SupervisorStatement.profile_id == profile.id),
        )
        .where(profile.user_id == user.id, Application.state.in_(JUDGED_STATES))
    )
    candidates, awaiting = db.session.execute(query).one()
    return Summary(candidates or 0, awaiting or 0)


# --- One application ----------------------------------------------------------------------------------------------


def statement_of(application: Application, profile: SupervisorProfile | None) -> SupervisorStatement | None:
    if profile is None:
        return None
    return db.session.scalars(
        select(SupervisorStatement).where(
            SupervisorStatement.application_id == application.id, SupervisorStatement.profile_id == profile.id
        )
    ).first()


@dataclass(frozen=True)
class StatementPage:
    """What the supervisor sees of the statements on one application."""

    profile: SupervisorProfile
    side: Country
    own: SupervisorStatement | None
    partner_profile: SupervisorProfile | None
    partner_answered: bool
    # The partner's whole statement, only once both have answered.
    partner: SupervisorStatement | None
    locked: bool
    capacity: Capacity

    @property
    def agreed(self) -> bool:
        return both_agree(self.own.answer if self.own else None, self.partner.answer if self.partner else None)

    @property
    def agreeing_would_exceed(self) -> bool:
        """Agreeing now would take the supervisor beyond their capacity in this round."""
        already_agrees = self.own is not None and self.own.answer.agrees
        return not self.locked and not already_agrees and self.capacity.full


def statement_page(user: User, application: Application) -> StatementPage:
    """The statements as the chosen supervisor user may see them (call only after may_state)."""
    profile = chosen_profile(user, application)
    if profile is None:
        raise StatementError(_("You are not a chosen supervisor of this application."))
    partner_profile = partner_of(profile, application)
    own = statement_of(application, profile)
    partner = statement_of(application, partner_profile)
    return StatementPage(
        profile=profile,
        side=side_of(profile, application),
        own=own,
        partner_profile=partner_profile,
        partner_answered=partner is not None,
        partner=partner_shown(own, partner),
        locked=is_locked(application),
        capacity=capacity_in_round(profile, application.round_id),
    )


def partner_shown(own: SupervisorStatement | None, partner: SupervisorStatement | None) -> SupervisorStatement | None:
    """DESIGN: a chosen supervisor reads the partner's statement once both have answered."""
    return partner if own is not None else None


@dataclass(frozen=True)
class Recorded:
    statement: SupervisorStatement
    capacity: Capacity

    @property
    def over_capacity(self) -> bool:
        return self.statement.answer.agrees and self.capacity.exceeded


@dataclass(frozen=True)
class StatementValues:
    """A statement's content, checked: the answer, its conditions (only when conditional) and the comment."""

    answer: StatementAnswer
    conditions: str
    comment: str


def clean_statement(
    answer: StatementAnswer | str | None, conditions: str | None, comment: str | None
) -> StatementValues:
    """Check what the form (or a forged request) sent."""
    try:
        answer = StatementAnswer(answer)
    except ValueError:
        raise StatementError(_("Please choose your answer."), field="answer") from None
    conditions, comment = (conditions or "").strip(), (comment or "").strip()
    if answer == StatementAnswer.CONDITIONAL and not conditions:
        raise StatementError(_("Please state your conditions."), field="conditions")
    return StatementValues(answer, conditions if answer == StatementAnswer.CONDITIONAL else "", comment)


def record_statement(
    user: User,
    application: Application,
    *,
    answer: StatementAnswer | str,
    conditions: str = "",
    comment: str = "",
    now: dt.datetime,
    expected_version: int | None,
) -> Recorded:
    """Record or change the chosen supervisor's statement, until a decision is recorded; audited.

    `expected_version` is the statement's version when the form was loaded (0 for a statement not written yet); a
    form loaded before another change, or sent without its version, is refused with StaleVersion.
    """
    profile = chosen_profile(user, application)
    if profile is None or not may_state(user, application):
        raise StatementError(_("You are not a chosen supervisor of this application."))
    _lock_and_refresh(application)
    if is_locked(application):
        raise StatementError(locked_message())
    statement = statement_of(application, profile)
    check_version(statement, expected_version, current=lambda: _version_now(application, profile))
    values = clean_statement(answer, conditions, comment)
    previous = statement.answer if statement is not None else None
    if values.answer.agrees and not (previous and previous.agrees):
        _ensure_room(profile, application)
    statement = _write(
        statement or SupervisorStatement(application_id=application.id, profile_id=profile.id), values, now
    )
    flush_new_or_stale(lambda: _version_now(application, profile))
    audit.record(
        "statement.recorded",
        application,
        actor_id=user.id,
        details={
            "statement_id": statement.id,
            "side": side_of(profile, application).value,
            "answer": values.answer.value,
            "previous": previous.value if previous else None,
        },
    )
    return Recorded(statement, capacity_in_round(profile, application.round_id))


def capacity_reached_message(capacity: Capacity) -> str:
    """Why a supervisor whose capacity is reached cannot agree to one more candidate, and what to do."""
    return _(
        "You have agreed to supervise %(agreed)d candidates in this round, your capacity of %(capacity)d. To agree to "
        "this one, first raise your capacity (at most %(max)d) under “My candidates”.",
        agreed=capacity.agreed,
        capacity=capacity.capacity,
        max=MAX_CAPACITY,
    )


def _ensure_room(profile: SupervisorProfile, application: Application) -> None:
    """Refuse an agreement beyond the supervisor's capacity in the round. The profile's row is locked first, so that
    two agreements sent at the same instant are counted one after the other (SQLite: the request's write lock)."""
    db.session.execute(select(SupervisorProfile.id).where(SupervisorProfile.id == profile.id).with_for_update())
    db.session.refresh(profile, ["capacity"])
    capacity = capacity_in_round(profile, application.round_id)
    if capacity.full:
        raise StatementError(capacity_reached_message(capacity), field="answer")


def _write(statement: SupervisorStatement, values: StatementValues, now: dt.datetime) -> SupervisorStatement:
    """Put the values into the statement (a new one is added to the session)."""
    if statement.id is None:
        statement.created_at = now
        db.session.add(statement)
    statement.answer, statement.conditions, statement.comment = values.answer, values.conditions, values.comment
    statement.updated_at = now
    return statement


def _version_now(application: Application, profile: SupervisorProfile) -> int:
    """The version of the supervisor's statement as it is now (read again after a refused save)."""
    return version_of(statement_of(application, profile))


def _lock_and_refresh(application: Application) -> None:
    """Lock the application's row and re-read its state, so that a decision being recorded at the same moment wins."""
    db.session.execute(select(Application.id).where(Application.id == application.id).with_for_update())
    db.session.refresh(application, ["state", "decision"])
