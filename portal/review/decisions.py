"""The coordinator's decisions: record and change them until released, ask for confirmation before a supervisor's
capacity is exceeded (the capacity rule itself: applications.capacity), release a set of decisions (only then are the
applicants told).

A decision is recorded from a form loaded at the application's version: a form sent without it, or loaded before
another change (another coordinator's decision, a release), is refused with `core.versions.StaleVersion`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import contains_eager, defaultload

from portal import db
from portal.accounts.models import User
from portal.applications import workflow
from portal.applications.capacity import CapacityLoad, admitted_count, loads_beyond_capacity
from portal.applications.models import Application, ApplicationState, Decision, DecisionOutcome, IntakeRound
from portal.core import audit
from portal.core.outbox import notify
from portal.core.rules import RuleViolation
from portal.core.urls import absolute_url
from portal.core.versions import check_version, flush_or_stale, version_of
from portal.review.ranking import RankingRow, row_for
from portal.supervisors.models import SupervisorProfile

DECIDABLE_STATES = {ApplicationState.SUBMITTED, ApplicationState.UNDER_REVIEW, ApplicationState.DECIDED}

# What else happens when a decision is released (the offer of a place: portal.offers), added by the factory. A hook
# returns True when it has told the applicant about the decision itself (one email, not two).
_RELEASE_HOOKS: list[Callable[[Application, dt.datetime], bool]] = []


def add_release_hook(hook: Callable[[Application, dt.datetime], bool]) -> None:
    """Call hook(application, now) for each released decision, in the release's transaction (registered once)."""
    if hook not in _RELEASE_HOOKS:
        _RELEASE_HOOKS.append(hook)


class DecisionError(RuleViolation):
    """A decision rule was broken; the message is for the coordinator, shown next to `field` when given."""


class CapacityExceeded(DecisionError):
    """Admitting exceeds a capacity and the coordinator has not confirmed it (nothing was saved)."""

    def __init__(self, loads: list[CapacityLoad]) -> None:
        super().__init__(
            _("Please confirm that you want to admit the candidate beyond the supervisors' capacity."),
            field="confirm_capacity",
        )
        self.loads = loads


def supervisor_loads(application: Application) -> list[tuple[SupervisorProfile, int]]:
    """Each chosen supervisor with the admitted candidates of the round (this application included if admitted)."""
    return [
        (profile, admitted_count(profile, application.round_id))
        for profile in (application.german_supervisor, application.chinese_supervisor)
        if profile is not None
    ]


def can_decide(application: Application) -> bool:
    """Whether a decision may be recorded or changed now."""
    return application.state in DECIDABLE_STATES and not application.decision_released


@dataclass(frozen=True)
class DecisionPage:
    """What the decision page shows beside the form."""

    application: Application
    row: RankingRow
    can_decide: bool
    loads: list[tuple[SupervisorProfile, int]]
    decided_by: str | None

    @property
    def beyond_capacity(self) -> list[CapacityLoad]:
        """The chosen supervisors whose capacity admitting would exceed (asked only when the form must confirm)."""
        return loads_beyond_capacity(self.application)


def decision_page(application: Application) -> DecisionPage:
    return DecisionPage(
        application=application,
        row=row_for(application),
        can_decide=can_decide(application),
        loads=supervisor_loads(application),
        decided_by=decided_by_name(application),
    )


def record_decision(
    application: Application,
    *,
    outcome: DecisionOutcome,
    note: str,
    by: User,
    now: dt.datetime,
    confirm_capacity: bool = False,
    expected_version: int | None,
) -> Decision:
    """Record or change the decision on an application, until it is released.

    Admitting beyond a chosen supervisor's capacity needs `confirm_capacity`; without it CapacityExceeded is raised
    and nothing is saved. A form loaded before someone else's change (`expected_version`) is refused as stale.
    """
    _ensure_decidable(application)
    check_version(application, expected_version)
    loads = loads_beyond_capacity(application) if outcome == DecisionOutcome.ADMIT else []
    if loads and not confirm_capacity:
        raise CapacityExceeded(loads)
    decision, details = _write(application, outcome, (note or "").strip(), by, now)
    # Writing the application bumps its version: a concurrent change or release of the same decision is noticed.
    flush_or_stale(lambda: version_of(application))
    workflow.decide(application, outcome=outcome.value)
    if loads:
        details["capacity_exceeded"] = [
            {"profile_id": load.profile.id, "admitted": load.admitted, "capacity": load.capacity} for load in loads
        ]
    action = "decision.changed" if "previous" in details else "decision.recorded"
    audit.record(action, application, actor_id=by.id, details=details)
    return decision


def _ensure_decidable(application: Application) -> None:
    if application.state not in DECIDABLE_STATES:
        raise DecisionError(
            _("No decision can be recorded for an application in the state “%(state)s”.", state=application.state.label)
        )
    if application.decision_released:
        raise DecisionError(_("This decision has been released and can no longer be changed."))


def _write(
    application: Application, outcome: DecisionOutcome, note: str, by: User, now: dt.datetime
) -> tuple[Decision, dict[str, Any]]:
    """Put the outcome and note into the decision (created if needed); returns it with the audit details."""
    decision = application.decision
    details: dict[str, Any] = {"outcome": outcome.value, "note_changed": decision is None or decision.note != note}
    if decision is not None:
        details["previous"] = decision.outcome.value
    else:
        decision = Decision(application=application, outcome=outcome, note=note)
        db.session.add(decision)
    decision.outcome, decision.note = outcome, note
    decision.decided_by_id, decision.decided_at = by.id, now
    application.updated_at = now
    return decision, details


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


def _unreleased(intake: IntakeRound, application_ids: Iterable[int] | None):
    """The round's decided applications whose decision is not released yet (of those given, if given)."""
    query = (
        select(Application)
        .join(Application.decision)
        .where(
            Application.round_id == intake.id,
            Application.state == ApplicationState.DECIDED,
            Decision.released_at.is_(None),
        )
        .order_by(Application.reference)
    )
    return query.where(Application.id.in_(list(application_ids))) if application_ids is not None else query


def releasable(intake: IntakeRound, application_ids: Iterable[int] | None = None) -> list[Application]:
    """The round's decided applications whose decision is not released yet (of those given, if given)."""
    return list(db.session.scalars(_unreleased(intake, application_ids).options(contains_eager(Application.decision))))


def to_release(intake: IntakeRound, application_ids: Iterable[int] | None) -> list[Application]:
    """The decisions a release would send (all waiting ones for None), for the coordinator to confirm first."""
    chosen = releasable(intake, application_ids)
    if chosen:
        return chosen
    if application_ids is None:
        raise DecisionError(_("There are no decided applications waiting for release."), field="application_ids")
    raise DecisionError(
        _("Please select at least one decision that has not been released yet."), field="application_ids"
    )


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
        _unreleased(intake, ids)
        .options(contains_eager(Application.decision))
        .with_for_update(of=Decision)
        .execution_options(populate_existing=True)
    )
    released = list(db.session.scalars(query))
    if not released:
        raise DecisionError(_("None of the selected decisions can be released (any more)."), field="application_ids")
    for application in released:
        application.decision.released_at = now
        application.updated_at = now  # bumps the version: an open decision form can no longer change it
    flush_or_stale()
    for application in released:
        told = [hook(application, now) for hook in _RELEASE_HOOKS]  # every hook runs
        if not any(told):
            _tell_applicant(application)
        workflow.tell_supervisors(application, "supervisor_decision_released", outcome=application.decision.outcome)
        audit.record(
            "decision.released", application, actor_id=by.id, details={"outcome": application.decision.outcome.value}
        )
    audit.record(
        "decisions.released",
        intake,
        actor_id=by.id,
        details={"count": len(released), "application_ids": [a.id for a in released]},
    )
    return released


def _tell_applicant(application: Application) -> None:
    """The released decision, emailed to the applicant in their language."""
    outcome = application.decision.outcome
    notify(
        application.applicant,
        f"decision_{outcome.value}",
        application=application,
        outcome=outcome,
        link=absolute_url("applications.overview", application_id=application.id),
    )
