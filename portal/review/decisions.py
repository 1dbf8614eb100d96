"""The coordinator's decisions: record and change them until released, confirmed against the warnings of
review.guardrails (capacity, reviews, co-supervision, recommendations), release a set of decisions (only then are the
applicants told).

A decision is recorded from a form loaded at the application's version: a form sent without it, or loaded before
another change (another coordinator's decision, a release), is refused with `core.versions.StaleVersion`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import contains_eager, defaultload

from portal import db
from portal.accounts.models import User
from portal.applications import workflow
from portal.applications.capacity import admitted_count, loads_beyond_capacity
from portal.applications.models import Application, ApplicationState, Decision, DecisionOutcome, IntakeRound
from portal.core import audit
from portal.core.outbox import notify
from portal.core.rules import RuleViolation
from portal.core.templating import format_in_zone
from portal.core.urls import absolute_url
from portal.core.versions import check_version, flush_or_stale, version_of
from portal.review.guardrails import (
    WarningKind,
    audit_details,
    check_confirmed,
    warnings_for,
)
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


def supervisoradmission_loads(application: Application) -> list[tuple[SupervisorProfile, int]]:
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


def decision_page(application: Application) -> DecisionPage:
    return DecisionPage(
        application=application,
        row=row_for(application),
        can_decide=can_decide(application),
        loads=supervisoradmission_loads(application),
        decided_by=decided_by_name(application),
    )


def record_decision(
    application: Application,
    *,
    outcome: DecisionOutcome,
    note: str,
    by: User,
    now: dt.datetime,
    expected_version: int | None,
    personal_note: str = "",
    confirmed: frozenset[WarningKind] = frozenset(),
    reason: str = "",
) -> Decision:
    """Record or change the decision on an application, until it is released.

    A decision with warnings (guardrails) needs them `confirmed` with a `reason`; otherwise NeedsConfirmation is raised
    and nothing is saved. A form loaded before someone else's change (`expected_version`) is refused as stale.
    """
    _ensure_decidable(application)
    check_version(application, expected_version)
    if outcome == DecisionOutcome.ADMIT:
        lock_supervisors([application])
    warnings = warnings_for(row_for(application), outcome, admission_loads(application, outcome))
    check_confirmed(warnings, confirmed, reason)
    return write_decision(
        application, outcome, (note or "").strip(), (personal_note or "").strip(), by, now, warnings, reason
    )


def admission_loads(application: Application, outcome: DecisionOutcome, pending: Counter[int] | None = None):
    """The capacities admitting would exceed (none for the other outcomes)."""
    return loads_beyond_capacity(application, pending) if outcome == DecisionOutcome.ADMIT else []


def lock_supervisors(applications: Iterable[Application]) -> None:
    """Lock the chosen supervisors' rows (in id order, so two lockers never wait for each other) before counting their
    admitted candidates: two coordinators admitting at the same instant are counted one after the other. SQLite
    ignores the lock; there a writing request holds the database's write lock from its start (portal.db)."""
    ids = sorted({i for a in applications for i in (a.german_supervisor_id, a.chinese_supervisor_id) if i is not None})
    if ids:
        db.session.execute(
            select(SupervisorProfile.id)
            .where(SupervisorProfile.id.in_(ids))
            .order_by(SupervisorProfile.id)
            .with_for_update()
        ).all()


def write_decision(
    application: Application,
    outcome: DecisionOutcome,
    note: str,
    personal_note: str,
    by: User,
    now: dt.datetime,
    warnings: list,
    reason: str,
) -> Decision:
    """Write the decision, move the application to decided, audit it (with the confirmed warnings and reason)."""
    decision, details = _write(application, outcome, note, personal_note, by, now)
    # Writing the application bumps its version: a concurrent change or release of the same decision is noticed.
    flush_or_stale(lambda: version_of(application))
    workflow.decide(application, outcome=outcome.value)
    details.update(audit_details(warnings, reason))
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
    application: Application, outcome: DecisionOutcome, note: str, personal_note: str, by: User, now: dt.datetime
) -> tuple[Decision, dict[str, Any]]:
    """Put the outcome and notes into the decision (created if needed); returns it with the audit details."""
    decision = application.decision
    details: dict[str, Any] = {
        "outcome": outcome.value,
        "note_changed": decision is None or decision.note != note,
        "personal_note_changed": (decision.personal_note if decision else "") != personal_note,
    }
    if decision is not None:
        details["previous"] = decision.outcome.value
    else:
        decision = Decision(application=application, outcome=outcome, note=note)
        db.session.add(decision)
    decision.outcome, decision.note, decision.personal_note = outcome, note, personal_note
    decision.decided_by_id, decision.decided_at = by.id, now
    application.updated_at = now
    return decision, details


def decided_by_name(application: Application) -> str | None:
    """The name of whoever last recorded the decision (None if none, or the account is gone)."""
    decision = application.decision
    if decision is None or decision.decided_by_id is None:
        return None
    # By identity: no query when the account is already loaded (often the viewer's own, who recorded the decision).
    decider = db.session.get(User, decision.decided_by_id)
    return decider.name if decider is not None else None


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


def open_round_message(intake: IntakeRound) -> str:
    """What releasing while the round still takes applications asks the coordinator to confirm."""
    return _(
        "The round %(round)s is still open for applications, until %(deadline)s. Applicants who are still applying "
        "may learn of released decisions, and after a release the round can no longer be reopened once it closes.",
        round=intake.name,
        deadline=format_in_zone(intake.closes_at, "Europe/Berlin"),
    )


def release(
    intake: IntakeRound, application_ids: Iterable[int], *, by: User, now: dt.datetime, confirm_open: bool = False
) -> list[Application]:
    """Release the decisions of the given applications of the round: from now on the applicants see them, and each
    is sent the decision in their language. Already released ones are skipped; returns the released applications.
    While the round is still open for applications, the coordinator must confirm that (`confirm_open`).
    """
    ids = sorted(set(application_ids))
    if not ids:
        raise DecisionError(_("Please select at least one decision to release."), field="application_ids")
    if intake.is_open(now) and not confirm_open:
        raise DecisionError(open_round_message(intake), field="confirm_open")
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
        details={
            "count": len(released),
            "application_ids": [a.id for a in released],
            "round_still_open": intake.is_open(now),
        },
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
