"""What the purge will delete and when, per round (the coordinators' retention page), and the texts that go by age.

The forecast follows the purge's own rules (privacy/services.py): a round is purged PURGE_AFTER_DAYS after the last
release of its decisions, once it is closed and no application waits for a decision or its release; what goes is
every application that did not end in an admission, with what hangs on it, and the accounts left with nothing else.
Its counts come from a few grouped queries over all rounds, whatever their size.

Texts that outlive their purpose are removed by age, PURGE_AFTER_DAYS after they were written: the text of a bulk
mail in the audit log (its subject, group and count stay) and the emails in the outbox once sent or failed.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import Select, and_, case, delete, exists, func, not_, or_, select
from sqlalchemy.orm import aliased

from portal import db
from portal.accounts.models import UserRole
from portal.applications.models import (
    Application,
    ApplicationState,
    Decision,
    DecisionOutcome,
    Document,
    IntakeRound,
    RefereeInvitation,
)
from portal.core.audit import AuditEvent
from portal.core.outbox import OutboxEmail, OutboxState
from portal.core.roles import Role
from portal.notifications.bulkmail import AUDIT_ACTION as BULK_MAIL_SENT
from portal.privacy.services import WAITING_FOR_DECISION, purge_after_days
from portal.reporting.job_runs import RESULT_LIFETIME
from portal.review.models import Review, ReviewAssignment, SupervisorStatement

# What the page counts, in its order: the applications by how they ended, then what hangs on them.
OUTCOME_KINDS = ("waiting_list", "reject", "withdrawn", "draft")
PART_KINDS = ("documents", "letters", "statements", "reviews", "accounts")
# Waiting for a decision or for its release: nothing of the round goes while any application does.
_UNRELEASED = and_(Decision.id.is_not(None), Decision.released_at.is_(None))
_WAITING = or_(Application.state.in_(WAITING_FOR_DECISION), _UNRELEASED)
# What a purge deletes once the round is settled: every application that did not end in an admission.
_DOOMED = and_(or_(Decision.id.is_(None), Decision.outcome != DecisionOutcome.ADMIT), not_(_WAITING))


@dataclass
class RoundRetention:
    """One round's place in the retention schedule."""

    intake: IntakeRound
    days: int
    last_release: dt.datetime | None = None
    waiting: int = 0
    kept_admitted: int = 0
    counts: Counter = field(default_factory=Counter)

    @property
    def purge_from(self) -> dt.datetime | None:
        """From when the round may be purged (None while that is not yet known)."""
        if self.waiting or self.last_release is None:
            return None
        return max(self.last_release + dt.timedelta(days=self.days), self.intake.closes_at)

    @property
    def applications(self) -> int:
        return sum(self.counts[kind] for kind in OUTCOME_KINDS)

    def status(self, now: dt.datetime) -> str:
        """open, waiting (for decisions or their release), no_release, nothing (left to delete), scheduled or due."""
        if now < self.intake.closes_at:
            return "open"
        if self.waiting:
            return "waiting"
        if not self.applications:
            return "nothing"
        if self.last_release is None:
            return "no_release"
        return "due" if now >= self.purge_from else "scheduled"  # type: ignore[operator]


def _per_round(query: Select) -> dict[int, int]:
    return {round_id: count for round_id, count in db.session.execute(query)}


def _doomed(*columns: Any) -> Select:
    """Columns over the applications, joined to their decision (filter with _DOOMED for those a purge deletes)."""
    return select(*columns).select_from(Application).outerjoin(Decision, Decision.application_id == Application.id)


def _parts(column: Any, model: Any, *conditions: Any) -> Select:
    """Per round, how many rows of model hang on the applications a purge deletes."""
    return (
        _doomed(Application.round_id, func.count(column))
        .join(model, model.application_id == Application.id)
        .where(_DOOMED, *conditions)
        .group_by(Application.round_id)
    )


def _accounts() -> Select:
    """Per round, the applicants of deleted applications with no application elsewhere and no role but applicant."""
    other = aliased(Application)
    elsewhere = exists().where(other.applicant_id == Application.applicant_id, other.round_id != Application.round_id)
    return (
        _doomed(Application.round_id, func.count(func.distinct(Application.applicant_id)))
        .where(
            _DOOMED,
            not_(elsewhere),
            not_(exists().where(UserRole.user_id == Application.applicant_id, UserRole.role != Role.APPLICANT)),
        )
        .group_by(Application.round_id)
    )


def _part_counts() -> dict[str, dict[int, int]]:
    reviews = (
        _doomed(Application.round_id, func.count(Review.id))
        .join(ReviewAssignment, ReviewAssignment.application_id == Application.id)
        .join(Review, Review.assignment_id == ReviewAssignment.id)
        .where(_DOOMED)
        .group_by(Application.round_id)
    )
    queries = {
        "documents": _parts(Document.id, Document),
        "letters": _parts(RefereeInvitation.id, RefereeInvitation, RefereeInvitation.letter_received_at.is_not(None)),
        "statements": _parts(SupervisorStatement.id, SupervisorStatement),
        "reviews": reviews,
        "accounts": _accounts(),
    }
    return {kind: _per_round(query) for kind, query in queries.items()}


def _outcome_kind(state: ApplicationState, outcome: DecisionOutcome | None) -> str:
    """How an application ended, as the purge counts it: the decision's outcome, else its state."""
    return outcome.value if outcome is not None else state.value


def retention_schedule() -> list[RoundRetention]:
    """Every round, newest first, with what a purge would delete and from when."""
    days = purge_after_days()
    rounds = {r.id: RoundRetention(r, days) for r in db.session.scalars(select(IntakeRound))}
    rows = db.session.execute(
        _doomed(
            Application.round_id,
            Application.state,
            Decision.outcome,
            func.count(Application.id),
            func.sum(case((_WAITING, 1), else_=0)),
            func.max(Decision.released_at),
        ).group_by(Application.round_id, Application.state, Decision.outcome)
    )
    for round_id, state, outcome, count, pending, released in rows:
        entry = rounds[round_id]
        entry.waiting += pending or 0
        if released is not None:
            entry.last_release = max(entry.last_release or released, released)
        kind = _outcome_kind(state, outcome)
        if kind == DecisionOutcome.ADMIT.value:
            entry.kept_admitted += count
        elif kind in OUTCOME_KINDS:
            entry.counts[kind] += count - (pending or 0)
    for kind, by_round in _part_counts().items():
        for round_id, count in by_round.items():
            rounds[round_id].counts[kind] = count
    return sorted(rounds.values(), key=lambda entry: entry.intake.opens_at, reverse=True)


def retention_periods() -> dict[str, int]:
    """How long each kind of data is kept, as configured (the privacy notice states these)."""
    config = current_app.config
    return {
        "applications_days": purge_after_days(),
        "confirm_hours": int(config["CONFIRM_TOKEN_HOURS"]),
        "reset_hours": int(config["RESET_TOKEN_HOURS"]),
        "invitation_days": int(config["INVITATION_TOKEN_DAYS"]),
        "export_days": RESULT_LIFETIME.days,
        "backup_days": int(config["BACKUP_KEEP_DAYS"]),
    }


# --- Texts removed by age ------------------------------------------------------------------------------------------


def expire_bulk_mail_texts(now: dt.datetime) -> int:
    """Remove the text of every bulk mail sent more than PURGE_AFTER_DAYS ago from the audit log; how many."""
    cutoff = now - dt.timedelta(days=purge_after_days())
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == BULK_MAIL_SENT, AuditEvent.created_at <= cutoff)
    )
    expired = 0
    for event in events:
        details = dict(event.details or {})
        if "body" in details:
            details.pop("body")
            event.details = {**details, "body_removed": True}
            expired += 1
    db.session.flush()
    return expired


def expire_sent_emails(now: dt.datetime) -> int:
    """Delete the emails sent (or given up on) more than PURGE_AFTER_DAYS ago from the outbox; how many."""
    cutoff = now - dt.timedelta(days=purge_after_days())
    finished = OutboxEmail.state.in_([OutboxState.SENT, OutboxState.FAILED])
    result = db.session.execute(delete(OutboxEmail).where(finished, OutboxEmail.created_at <= cutoff))
    return result.rowcount or 0
