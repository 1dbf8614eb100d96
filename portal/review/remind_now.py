""" "Remind now": a round's people who still owe something (a referee's letter, a supervisor's statement, a reviewer's
reviews), when each was last reminded, and reminding one of them or all of them at once. The record of reminders and
the 24-hour rule are portal/review/reminders.py's, shared with the nightly run.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import contains_eager

from portal import db
from portal.accounts.models import User
from portal.applications.models import Application, IntakeRound, RefereeInvitation
from portal.core import audit
from portal.core.rules import RuleViolation
from portal.review import reminders
from portal.review.models import Review, ReviewAssignment, SupervisorStatement
from portal.review.permissions import OPEN_FOR_REVIEW, conflicted
from portal.supervisors.models import SupervisorProfile


class ReminderRefused(RuleViolation):
    """This reminder cannot be sent now; nothing was sent."""

    category = "warning"


@dataclass
class Owing:
    """One person who owes something: the applications concerned, when they were last reminded, whether a reminder
    may go now (`blocked` says why not)."""

    kind: str
    key: int  # the referee invitation's id, the supervisor profile's id, the reviewer's user id
    name: str
    email: str
    applications: list[Application] = field(default_factory=list)
    last: dt.datetime | None = None
    blocked: str = ""
    assignments: list[ReviewAssignment] = field(default_factory=list)  # a reviewer's open ones


@dataclass
class Outstanding:
    referees: list[Owing]
    supervisors: list[Owing]
    reviewers: list[Owing]

    @property
    def everyone(self) -> list[Owing]:
        return [*self.referees, *self.supervisors, *self.reviewers]

    @property
    def due_now(self) -> list[Owing]:
        return [owing for owing in self.everyone if not owing.blocked]


def _in_round(intake: IntakeRound):
    return and_(Application.round_id == intake.id, Application.state.in_(OPEN_FOR_REVIEW))


def _referees(intake: IntakeRound) -> list[RefereeInvitation]:
    query = (
        select(RefereeInvitation)
        .join(RefereeInvitation.application)
        .options(contains_eager(RefereeInvitation.application))
        .where(
            _in_round(intake), RefereeInvitation.invited_at.is_not(None), RefereeInvitation.letter_received_at.is_(None)
        )
        .order_by(RefereeInvitation.name, RefereeInvitation.id)
    )
    return list(db.session.scalars(query))


def _missing_statements(intake: IntakeRound) -> list[tuple[Application, SupervisorProfile]]:
    answered = exists().where(
        SupervisorStatement.application_id == Application.id, SupervisorStatement.profile_id == SupervisorProfile.id
    )
    query = (
        select(Application, SupervisorProfile)
        .join(
            SupervisorProfile,
            or_(
                SupervisorProfile.id == Application.german_supervisor_id,
                SupervisorProfile.id == Application.chinese_supervisor_id,
            ),
        )
        .join(User, User.id == SupervisorProfile.user_id)
        .where(_in_round(intake), User.active.is_(True), ~answered)
        .order_by(User.name, Application.reference)
    )
    return [(application, profile) for application, profile in db.session.execute(query)]


def _open_assignments(intake: IntakeRound) -> list[ReviewAssignment]:
    query = (
        select(ReviewAssignment)
        .join(ReviewAssignment.application)
        .join(User, User.id == ReviewAssignment.reviewer_id)
        .outerjoin(Review, Review.assignment_id == ReviewAssignment.id)
        .options(contains_eager(ReviewAssignment.application))
        .where(
            _in_round(intake), User.active.is_(True), Review.submitted_at.is_(None), ~conflicted(User.id, User.email)
        )
        .order_by(User.name, Application.reference)
    )
    return list(db.session.scalars(query))


def outstanding(intake: IntakeRound, now: dt.datetime) -> Outstanding:
    """Everyone of the round who still owes something, with their last reminder (four queries)."""
    referees = [
        Owing(
            "referee",
            r.id,
            r.name,
            r.email,
            [r.application],
            blocked="" if r.token_expires_at and r.token_expires_at > now else _("The upload link has expired."),
        )
        for r in _referees(intake)
    ]
    supervisors: dict[int, Owing] = {}
    for application, profile in _missing_statements(intake):
        owing = supervisors.setdefault(
            profile.id, Owing("supervisor", profile.id, profile.user.name, profile.user.email)
        )
        owing.applications.append(application)
    reviewers: dict[int, Owing] = {}
    for assignment in _open_assignments(intake):
        user = assignment.reviewer
        owing = reviewers.setdefault(user.id, Owing("reviewer", user.id, user.name, user.email))
        owing.applications.append(assignment.application)
        owing.assignments.append(assignment)
    result = Outstanding(referees, list(supervisors.values()), list(reviewers.values()))
    last = reminders.last_reminded([owing.email for owing in result.everyone])
    for owing in result.everyone:
        owing.last = last.get(owing.email.lower())
        if not owing.blocked and owing.last and owing.last > now - reminders.REMIND_GAP:
            owing.blocked = _("Reminded less than 24 hours ago.")
    return result


def known(kind: str, key: int) -> bool:
    """Whether the referee invitation, supervisor profile or reviewer that "remind now" names exists at all."""
    model = {"referee": RefereeInvitation, "supervisor": SupervisorProfile, "reviewer": User}[kind]
    return db.session.get(model, key) is not None


def _find(intake: IntakeRound, kind: str, key: int, now: dt.datetime) -> Owing:
    found = next((o for o in outstanding(intake, now).everyone if o.kind == kind and o.key == key), None)
    if found is None:
        raise ReminderRefused(_("There is nothing to remind this person of any more. Nothing was sent."))
    return found


def _send(owing: Owing, *, by: User, now: dt.datetime) -> None:
    if owing.kind == "referee":
        referee = db.session.get(RefereeInvitation, owing.key)
        reminders.remind_referee(referee, now=now, by=by)
    elif owing.kind == "supervisor":
        profile = db.session.get(SupervisorProfile, owing.key)
        for application in owing.applications:  # one email per application: each links its own page
            reminders.remind_supervisor(application, profile, now=now, by=by)
    else:
        reminders.remind_reviewer(owing.assignments[0].reviewer, owing.assignments, now=now, by=by)


def remind_one(intake: IntakeRound, kind: str, key: int, *, by: User, now: dt.datetime) -> Owing:
    """Remind one person now, unless reminded within 24 hours (then nothing is sent and the refusal says when)."""
    owing = _find(intake, kind, key, now)
    if owing.blocked:
        raise ReminderRefused(
            _("%(name)s was not reminded: %(reason)s Nothing was sent.", name=owing.name, reason=owing.blocked)
        )
    _send(owing, by=by, now=now)
    db.session.flush()
    return owing


def remind_all(intake: IntakeRound, *, by: User, now: dt.datetime) -> int:
    """Remind everyone of the round who owes something and may be reminded now; returns how many people."""
    due, seen = [], set()
    for owing in outstanding(intake, now).due_now:
        if owing.email.lower() not in seen:  # one person in two roles: one reminder a day
            seen.add(owing.email.lower())
            due.append(owing)
    if not due:
        raise ReminderRefused(_("Everyone still missing was reminded less than 24 hours ago. Nothing was sent."))
    for owing in due:
        _send(owing, by=by, now=now)
    audit.record("reminders.sent_all", intake, actor_id=by.id, details={"people": len(due)})
    db.session.flush()
    return len(due)
