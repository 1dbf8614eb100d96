"""Data retention: a set period after a round's decisions were released, the personal data and files of the
applicants who were not admitted are deleted (`flask --app app portal purge --round NAME`).

What goes, for every application of the round that did not end in an admission (waiting list, not admitted,
withdrawn, or a draft never submitted): the application with its degrees, its documents (rows and files), its
referees and their letters, the supervisors' statements, the review assignments with their reviews and revisions,
declared conflicts of interest, and the decision. The applicant's account goes too when it has no other application
left and holds no other role; its sign-in tokens and the emails addressed to it go with it. Admitted candidates'
records are never touched.

The period (PURGE_AFTER_DAYS, 180 days unless configured) runs from the release of the decisions: the purge is refused
while it has not passed for every released decision of the round, while the round is still open, and while any of
its applications still waits for a decision or for the release of one. Audit events stay: they name records by id
and hold no personal data; the purge itself is recorded with counts only.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, delete, or_, select, update
from sqlalchemy.orm import selectinload

from portal import db
from portal.accounts.models import AccountToken, User
from portal.applications.models import Application, ApplicationState, DecisionOutcome, IntakeRound
from portal.core import audit, storage
from portal.core.audit import AuditEvent
from portal.core.outbox import OutboxEmail
from portal.core.roles import Role
from portal.review.models import Conflict, Review, ReviewAssignment, ReviewRevision, SupervisorStatement

DEFAULT_PURGE_AFTER_DAYS = 180
PURGED = "round.purged"
WAITING_FOR_DECISION = {ApplicationState.SUBMITTED, ApplicationState.UNDER_REVIEW}
# How many reference numbers a refusal names before it says "and N more".
LISTED = 10


class PurgeRefused(RuntimeError):
    """The round cannot be purged (yet); the message says why, for the operator."""


def purge_after_days() -> int:
    """Days after the release of a round's decisions before its not-admitted applicants' data may be deleted."""
    return int(current_app.config.get("PURGE_AFTER_DAYS", DEFAULT_PURGE_AFTER_DAYS))


def find_round(name: str) -> IntakeRound | None:
    return db.session.scalars(select(IntakeRound).where(IntakeRound.name == name.strip())).first()


def round_names() -> list[str]:
    return list(db.session.scalars(select(IntakeRound.name).order_by(IntakeRound.opens_at)))


def _references(applications: list[Application]) -> str:
    names = [a.reference or f"draft {a.id}" for a in applications]
    more = len(names) - LISTED
    return ", ".join(names[:LISTED]) + (f" and {more} more" if more > 0 else "")


def _moment(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


# --- What a purge would delete -----------------------------------------------------------------------------------


def _outcome_key(application: Application) -> str:
    """How the application ended: waiting_list, reject (or admit), withdrawn, or draft (never submitted)."""
    if application.decision is not None:
        return application.decision.outcome.value
    return application.state.value


@dataclass
class PurgePlan:
    """The round's applications to delete, the accounts that go with them, and what stays."""

    intake: IntakeRound
    days: int
    last_release: dt.datetime
    applications: list[Application]
    accounts: list[User]
    kept_admitted: int

    @property
    def by_outcome(self) -> Counter:
        return Counter(_outcome_key(application) for application in self.applications)

    @property
    def documents(self) -> int:
        return sum(len(application.documents) for application in self.applications)

    @property
    def referees(self) -> int:
        return sum(len(application.referees) for application in self.applications)


def plan_purge(intake: IntakeRound, *, now: dt.datetime) -> PurgePlan:
    """What purging the round would delete; PurgeRefused when the round may not be purged yet, saying why."""
    days = purge_after_days()
    if now < intake.closes_at:
        raise PurgeRefused(f"The round {intake.name} is still open (it closes {_moment(intake.closes_at)}).")
    everything = _applications_of(intake)
    _refuse_pending(intake, everything)
    released = [a for a in everything if a.decision is not None and a.decision.released_at is not None]
    if not released:
        raise PurgeRefused(
            f"No decision of {intake.name} has been released: the retention period starts with the release."
        )
    _refuse_too_recent(intake, released, days, now)
    doomed = [a for a in everything if a.decision is None or a.decision.outcome != DecisionOutcome.ADMIT]
    return PurgePlan(
        intake=intake,
        days=days,
        last_release=max(a.decision.released_at for a in released),  # type: ignore[union-attr, type-var]
        applications=doomed,
        accounts=_accounts_to_delete(doomed),
        kept_admitted=len(everything) - len(doomed),
    )


def _applications_of(intake: IntakeRound) -> list[Application]:
    """Every application of the round, with what a purge counts and deletes loaded."""
    query = (
        select(Application)
        .where(Application.round_id == intake.id)
        .options(
            selectinload(Application.decision),
            selectinload(Application.education),
            selectinload(Application.documents),
            selectinload(Application.referees),
        )
        .order_by(Application.reference, Application.id)
    )
    return list(db.session.scalars(query))


def _refuse_pending(intake: IntakeRound, applications: list[Application]) -> None:
    """Nothing is purged while an application waits for a decision or for its release."""
    pending = [
        a
        for a in applications
        if a.state in WAITING_FOR_DECISION or (a.decision is not None and a.decision.released_at is None)
    ]
    if pending:
        raise PurgeRefused(
            f"{len(pending)} application(s) of {intake.name} have no released decision yet: {_references(pending)}. "
            "Decide and release them first."
        )


def _refuse_too_recent(intake: IntakeRound, released: list[Application], days: int, now: dt.datetime) -> None:
    """Nothing is purged before the retention period has passed for every released decision of the round."""
    period = dt.timedelta(days=days)
    too_recent = sorted(
        (a for a in released if a.decision.released_at + period > now),  # type: ignore[union-attr]
        key=lambda a: (a.decision.released_at, a.reference or ""),  # type: ignore[union-attr]
    )
    if too_recent:
        batches = [
            f"released {_moment(released_at)}, may be purged from {_moment(released_at + period)}: "
            f"{_references(list(group))}"
            for released_at, group in groupby(too_recent, key=lambda a: a.decision.released_at)  # type: ignore[union-attr]
        ]
        raise PurgeRefused(
            f"The retention period of {days} days (PURGE_AFTER_DAYS) after the release has not passed for "
            f"{len(too_recent)} decision(s) of {intake.name}: " + "; ".join(batches) + "."
        )


def _accounts_to_delete(applications: list[Application]) -> list[User]:
    """The applicants with no application outside these and no role but the applicant's."""
    ids = [a.id for a in applications]
    applicants = {a.applicant_id: a.applicant for a in applications}
    with_others = set(
        db.session.scalars(
            select(Application.applicant_id).where(
                Application.applicant_id.in_(list(applicants)), Application.id.not_in(ids)
            )
        )
    )
    return [
        user
        for user_id, user in sorted(applicants.items())
        if user_id not in with_others and user.role_names <= {Role.APPLICANT.value}
    ]


# --- Deleting ----------------------------------------------------------------------------------------------------


def _delete(model: Any, condition: ColumnElement[bool]) -> int:
    return db.session.execute(delete(model).where(condition)).rowcount or 0


def purge(plan: PurgePlan) -> dict[str, int]:
    """Delete what the plan lists (no commit; the files go once the transaction has committed); returns the counts,
    which are also recorded in the audit log."""
    counts = _delete_applications(plan)
    counts.update(_delete_accounts(plan.accounts))
    # The history of the deleted records stays (who did what, when), but its details may quote personal data
    # (file names, notes, addresses): they are emptied.
    counts["audit_events_scrubbed"] = _scrub_history(
        [a.id for a in plan.applications], [user.id for user in plan.accounts]
    )
    db.session.flush()
    audit.record(
        PURGED,
        plan.intake,
        details={"purge_after_days": plan.days, "kept_admitted": plan.kept_admitted, **counts},
    )
    return counts


def _delete_applications(plan: PurgePlan) -> dict[str, int]:
    """The applications with everything that hangs on them; their files go after the commit."""
    applications = plan.applications
    ids = [a.id for a in applications]
    keys = [document.storage_key for a in applications for document in a.documents]
    counts = _counts(plan)
    assignments = select(ReviewAssignment.id).where(ReviewAssignment.application_id.in_(ids))
    reviews = select(Review.id).where(Review.assignment_id.in_(assignments))
    counts["review_revisions"] = _delete(ReviewRevision, ReviewRevision.review_id.in_(reviews))
    counts["reviews"] = _delete(Review, Review.assignment_id.in_(assignments))
    counts["assignments"] = _delete(ReviewAssignment, ReviewAssignment.application_id.in_(ids))
    counts["statements"] = _delete(SupervisorStatement, SupervisorStatement.application_id.in_(ids))
    counts["conflicts"] = _delete(Conflict, Conflict.application_id.in_(ids))
    for application in applications:
        db.session.delete(application)  # with its degrees, documents, referees and decision
    db.session.flush()
    for key in keys:
        storage.delete_after_commit(key)
    return counts


def _counts(plan: PurgePlan) -> dict[str, int]:
    """What the plan's applications hold, counted before they are deleted (by outcome, degrees, documents, …)."""
    applications = plan.applications
    counts: dict[str, int] = {f"applications_{key}": n for key, n in sorted(plan.by_outcome.items())}
    counts.update(
        applications=len(applications),
        education=sum(len(a.education) for a in applications),
        documents=plan.documents,
        referees=plan.referees,
        letters=sum(referee.letter_received for a in applications for referee in a.referees),
        decisions=sum(a.decision is not None for a in applications),
    )
    return counts


def _delete_accounts(accounts: list[User]) -> dict[str, int]:
    """The applicants' accounts with their sign-in tokens and the emails addressed to them."""
    user_ids = [user.id for user in accounts]
    emails = _delete(OutboxEmail, OutboxEmail.user_id.in_(user_ids))
    _delete(AccountToken, AccountToken.user_id.in_(user_ids))
    for user in accounts:
        db.session.delete(user)
    return {"emails": emails, "accounts": len(user_ids)}


def _scrub_history(application_ids: list[int], user_ids: list[int]) -> int:
    """Empty the details of the deleted records' audit events; how many."""
    statement = (
        update(AuditEvent)
        .where(
            or_(
                (AuditEvent.target_type == "applications") & AuditEvent.target_id.in_(application_ids),
                (AuditEvent.target_type == "users") & AuditEvent.target_id.in_(user_ids),
            )
        )
        .values(details={"scrubbed": True})
    )
    return db.session.execute(statement).rowcount or 0
