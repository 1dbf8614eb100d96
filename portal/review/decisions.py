"""The coordinator's decisions: record and change them until released, warn before a supervisor's capacity is
exceeded, release a set of decisions (only then are the applicants told), and read an application's history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import contains_eager, defaultload

from portal import db
from portal.accounts.models import User
from portal.applications import workflow
from portal.applications.models import Application, ApplicationState, Decision, DecisionOutcome, IntakeRound
from portal.applications.services import ApplicationError, flush_or_conflict
from portal.core import audit
from portal.core.audit import AuditEvent
from portal.core.outbox import queue_email
from portal.core.urls import absolute_url
from portal.supervisors.models import SupervisorProfile

DECIDABLE_STATES = {ApplicationState.SUBMITTED, ApplicationState.UNDER_REVIEW, ApplicationState.DECIDED}


class DecisionError(ApplicationError):
    """A decision rule was broken; the message is for the coordinator, shown next to `field` when given."""


@dataclass(frozen=True)
class CapacityWarning:
    """Admitting would take a chosen supervisor beyond their capacity in the round."""

    profile: SupervisorProfile
    admitted: int  # admitted in the round already, this application not counted

    @property
    def capacity(self) -> int:
        return self.profile.capacity


class CapacityExceeded(DecisionError):
    """Admitting exceeds a capacity and the coordinator has not confirmed it (nothing was saved)."""

    def __init__(self, warnings: list[CapacityWarning]) -> None:
        super().__init__(
            _("Please confirm that you want to admit the candidate beyond the supervisors' capacity."),
            field="confirm_capacity",
        )
        self.warnings = warnings


def admitted_count(profile: SupervisorProfile, round_id: int, *, excluding: int | None = None) -> int:
    """Admitted candidates of the supervisor in the round, on either side of the pair."""
    query = (
        select(func.count(Application.id))
        .join(Decision, Decision.application_id == Application.id)
        .where(
            Application.round_id == round_id,
            Application.state != ApplicationState.WITHDRAWN,
            Decision.outcome == DecisionOutcome.ADMIT,
            or_(Application.german_supervisor_id == profile.id, Application.chinese_supervisor_id == profile.id),
        )
    )
    if excluding is not None:
        query = query.where(Application.id != excluding)
    return db.session.scalar(query) or 0


def supervisor_loads(application: Application) -> list[tuple[SupervisorProfile, int]]:
    """Each chosen supervisor with the admitted candidates of the round (this application included if admitted)."""
    return [
        (profile, admitted_count(profile, application.round_id))
        for profile in (application.german_supervisor, application.chinese_supervisor)
        if profile is not None
    ]


def capacity_warnings(application: Application, outcome: DecisionOutcome) -> list[CapacityWarning]:
    """The chosen supervisors whose capacity admitting this application would exceed."""
    if outcome != DecisionOutcome.ADMIT:
        return []
    warnings = []
    for profile in (application.german_supervisor, application.chinese_supervisor):
        if profile is None:
            continue
        admitted = admitted_count(profile, application.round_id, excluding=application.id)
        if admitted + 1 > profile.capacity:
            warnings.append(CapacityWarning(profile, admitted))
    return warnings


def can_decide(application: Application) -> bool:
    """Whether a decision may be recorded or changed now."""
    return application.state in DECIDABLE_STATES and not application.decision_released


def record_decision(
    application: Application,
    *,
    outcome: DecisionOutcome,
    note: str,
    by: User,
    now: dt.datetime,
    confirm_capacity: bool = False,
    expected_version: int | None = None,
) -> Decision:
    """Record or change the decision on an application, until it is released.

    Admitting beyond a chosen supervisor's capacity needs `confirm_capacity`; without it CapacityExceeded is raised
    and nothing is saved. A form loaded before someone else's change (`expected_version`) is refused.
    """
    if application.state not in DECIDABLE_STATES:
        raise DecisionError(
            _("No decision can be recorded for an application in the state “%(state)s”.", state=application.state.label)
        )
    decision = application.decision
    if decision is not None and decision.released_at is not None:
        raise DecisionError(_("This decision has been released and can no longer be changed."))
    if expected_version is not None and expected_version != application.version:
        raise DecisionError(_("This application was changed in the meantime. Please look at the decision again."))
    warnings = capacity_warnings(application, outcome)
    if warnings and not confirm_capacity:
        raise CapacityExceeded(warnings)

    note = (note or "").strip()
    previous = decision.outcome if decision is not None else None
    note_changed = decision is None or decision.note != note
    if decision is None:
        decision = Decision(application=application, outcome=outcome, note=note)
        db.session.add(decision)
    decision.outcome = outcome
    decision.note = note
    decision.decided_by_id = by.id
    decision.decided_at = now
    # Writing the application bumps its version: a concurrent change or release of the same decision is noticed.
    application.updated_at = now
    flush_or_conflict()
    workflow.decide(application, outcome=outcome.value)
    details: dict = {"outcome": outcome.value, "note_changed": note_changed}
    if previous is not None:
        details["previous"] = previous.value
    if warnings:
        details["capacity_exceeded"] = [
            {"profile_id": w.profile.id, "admitted": w.admitted, "capacity": w.capacity} for w in warnings
        ]
    audit.record(
        "decision.changed" if previous is not None else "decision.recorded",
        application,
        actor_id=by.id,
        details=details,
    )
    return decision


def decided_by_name(application: Application) -> str | None:
    """The name of whoever last recorded the decision (None if none, or the account is gone)."""
    decision = application.decision
    if decision is None or decision.decided_by_id is None:
        return None
    return db.session.scalar(select(User.name).where(User.id == decision.decided_by_id))


# --- Release ------------------------------------------------------------------------------------------------------


def round_decisions(intake: IntakeRound) -> list[Application]:
    """The round's decided applications with their decisions, by reference (one query)."""
    query = (
        select(Application)
        .join(Application.decision)
        .options(contains_eager(Application.decision), defaultload(Application.applicant).lazyload(User.roles))
        .where(Application.round_id == intake.id, Application.state == ApplicationState.DECIDED)
        .order_by(Application.reference)
    )
    return list(db.session.scalars(query))


def releasable(intake: IntakeRound, application_ids: Iterable[int] | None = None) -> list[Application]:
    """The round's decided applications whose decision is not released yet (of those given, if given)."""
    query = (
        select(Application)
        .join(Application.decision)
        .options(contains_eager(Application.decision))
        .where(
            Application.round_id == intake.id,
            Application.state == ApplicationState.DECIDED,
            Decision.released_at.is_(None),
        )
        .order_by(Application.reference)
    )
    if application_ids is not None:
        query = query.where(Application.id.in_(list(application_ids)))
    return list(db.session.scalars(query))


def release(intake: IntakeRound, application_ids: Iterable[int], *, by: User, now: dt.datetime) -> list[Application]:
    """Release the decisions of the given applications of the round: from now on the applicants see them, and each
    is sent the decision in their language. Already released ones are skipped; returns the released applications.
    """
    ids = sorted(set(application_ids))
    if not ids:
        raise DecisionError(_("Please select at least one decision to release."), field="application_ids")
    # Lock the decisions (PostgreSQL re-checks "not released" after waiting), so two coordinators releasing at once
    # never send an applicant two emails.
    query = (
        select(Decision)
        .join(Decision.application)
        .options(contains_eager(Decision.application))
        .where(
            Application.id.in_(ids),
            Application.round_id == intake.id,
            Application.state == ApplicationState.DECIDED,
            Decision.released_at.is_(None),
        )
        .order_by(Application.reference)
        .with_for_update(of=Decision)
        .execution_options(populate_existing=True)
    )
    decisions = list(db.session.scalars(query))
    if not decisions:
        raise DecisionError(_("None of the selected decisions can be released (any more)."), field="application_ids")
    released = []
    for decision in decisions:
        application = decision.application
        decision.released_at = now
        application.updated_at = now  # bumps the version: an open decision form can no longer change it
        released.append(application)
    flush_or_conflict()
    for application in released:
        outcome = application.decision.outcome
        applicant = application.applicant
        queue_email(
            recipient=applicant.email,
            language=applicant.language,
            template=f"decision_{outcome.value}",
            context={
                "application": application,
                "user": applicant,
                "outcome": outcome,
                "link": absolute_url("applications.overview", application_id=application.id),
            },
            user_id=applicant.id,
        )
        audit.record("decision.released", application, actor_id=by.id, details={"outcome": outcome.value})
    audit.record(
        "decisions.released",
        intake,
        actor_id=by.id,
        details={"count": len(released), "application_ids": [a.id for a in released]},
    )
    return released


# --- History ------------------------------------------------------------------------------------------------------

ACTION_LABELS = {
    "application.created": _l("Application started"),
    "application.submitted": _l("Application submitted"),
    "application.withdrawn": _l("Application withdrawn"),
    "application.review_started": _l("Review started"),
    "application.decided": _l("Marked as decided"),
    "application.summary_downloaded": _l("PDF summary downloaded"),
    "referee.named": _l("Referee named"),
    "referee.removed": _l("Referee removed"),
    "referee.invited": _l("Referee invited"),
    "referee.reminded": _l("Referee reminded"),
    "referee.letter_received": _l("Letter of recommendation received"),
    "review.assigned": _l("Reviewer assigned"),
    "review.unassigned": _l("Reviewer removed"),
    "review.conflict_declared": _l("Conflict of interest declared"),
    "review.reminded": _l("Reviewer reminded"),
    "decision.recorded": _l("Decision recorded"),
    "decision.changed": _l("Decision changed"),
    "decision.released": _l("Decision released"),
    "statement.recorded": _l("Supervisor's statement recorded"),
    "review.saved": _l("Review draft saved"),
    "review.submitted": _l("Review submitted"),
    "review.revised": _l("Review revised"),
    "document.uploaded": _l("Document uploaded"),
    "document.deleted": _l("Document deleted"),
    "coordination.dossier_downloaded": _l("PDF dossier downloaded"),
    "coordination.dossier_exported": _l("PDF dossier exported in a ZIP"),
    "outbox.retried": _l("Email sent again"),
}


# Details that name a user by id; the history shows the name instead.
USER_DETAIL_KEYS = ("reviewer_id", "user_id")


@dataclass(frozen=True)
class HistoryEntry:
    event: AuditEvent
    actor_name: str | None
    user_names: dict[int, str] = field(default_factory=dict)

    @property
    def details(self) -> list[tuple[str, object]]:
        """The event's details for reading: user ids replaced by names."""
        shown = []
        for key, value in (self.event.details or {}).items():
            if key in USER_DETAIL_KEYS and isinstance(value, int):
                shown.append((key.removesuffix("_id"), self.user_names.get(value, value)))
            else:
                shown.append((key, value))
        return shown

    @property
    def label(self) -> str:
        label = ACTION_LABELS.get(self.event.action)
        return str(label) if label is not None else self.event.action


def application_history(application: Application) -> list[HistoryEntry]:
    """The audit events whose target is the application, oldest first, with the actors' names (one query)."""
    query = (
        select(AuditEvent, User.name)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.target_type == Application.__tablename__, AuditEvent.target_id == application.id)
        .order_by(AuditEvent.created_at, AuditEvent.id)
    )
    rows = list(db.session.execute(query))
    ids = {
        value
        for event, _name in rows
        for key, value in (event.details or {}).items()
        if key in USER_DETAIL_KEYS and isinstance(value, int)
    }
    names = dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all()) if ids else {}
    return [HistoryEntry(event, name, names) for event, name in rows]
