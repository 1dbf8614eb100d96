"""The application's state machine: every change of state happens here, with its audit event and emails."""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from portal import db
from portal.applications.invitations import invite_uninvited
from portal.applications.models import Application, ApplicationState, IntakeRound, ReferenceCounter
from portal.applications.services import ApplicationError, ensure_editable
from portal.applications.steps import step_statuses
from portal.core import audit
from portal.core.outbox import notify
from portal.core.urls import absolute_url
from portal.core.versions import check_version, flush_or_stale, version_of

S = ApplicationState

# Which transitions exist: (from, to).
TRANSITIONS: set[tuple[ApplicationState, ApplicationState]] = {
    (S.DRAFT, S.SUBMITTED),
    (S.SUBMITTED, S.UNDER_REVIEW),
    (S.UNDER_REVIEW, S.DECIDED),
    (S.SUBMITTED, S.DECIDED),
    (S.DRAFT, S.WITHDRAWN),
    (S.SUBMITTED, S.WITHDRAWN),
    (S.UNDER_REVIEW, S.WITHDRAWN),
    # Until a decision is released the applicant cannot know of it: to them the application is still under review.
    (S.DECIDED, S.WITHDRAWN),
}


def _move(application: Application, target: ApplicationState, action: str, details: dict | None = None) -> None:
    source = application.state
    if (source, target) not in TRANSITIONS:
        raise ApplicationError(
            _("This step is not possible for an application in the state “%(state)s”.", state=source.label)
        )
    application.state = target
    flush_or_stale(lambda: version_of(application))
    audit.record(action, application, details={"from": source.value, "to": target.value, **(details or {})})


def _next_reference(intake: IntakeRound) -> str:
    """The next reference number of the round's year; concurrent submissions never share one."""
    year = intake.reference_year
    try:
        with db.session.begin_nested():
            db.session.execute(insert(ReferenceCounter).values(year=year, last_number=0))
    except IntegrityError:
        pass  # the year's counter exists already
    # One atomic UPDATE … RETURNING: the row lock orders concurrent submissions.
    number = db.session.execute(
        update(ReferenceCounter)
        .where(ReferenceCounter.year == year)
        .values(last_number=ReferenceCounter.last_number + 1)
        .returning(ReferenceCounter.last_number)
    ).scalar_one()
    return f"IPK-{year}-{number:04d}"


def submit(application: Application, *, declaration: bool, expected_version: int | None, now: dt.datetime) -> None:
    """Submit a complete draft before the deadline: reference number, lock, audit, invitations, confirmation."""
    ensure_editable(application, expected_version, now)
    missing = [status for status in step_statuses(application) if not status.complete]
    if missing:
        raise ApplicationError(
            _(
                "The application is not complete yet: %(steps)s.",
                steps=", ".join(str(status.step.title) for status in missing),
            )
        )
    if not declaration:
        raise ApplicationError(_("Please confirm the declaration."), field="declaration")
    application.reference = _next_reference(application.intake_round)
    application.submitted_at = now
    application.declaration_at = now
    _move(application, S.SUBMITTED, "application.submitted", {"reference": application.reference})
    invite_uninvited(application, now=now)
    notify(
        application.applicant,
        "application_submitted",
        application=application,
        link=absolute_url("applications.overview", application_id=application.id),
    )
    _ask_supervisors_for_statements(application)


def _ask_supervisors_for_statements(application: Application) -> None:
    """Tell both chosen supervisors that an application names them, each in their own language."""
    pairs = (
        (application.german_supervisor, application.chinese_supervisor),
        (application.chinese_supervisor, application.german_supervisor),
    )
    for profile, partner in pairs:
        if profile is None:
            continue
        notify(
            profile.user,
            "statement_requested",
            application=application,
            partner=partner,
            link=absolute_url("supervise.application", application_id=application.id),
        )


def withdraw(application: Application, *, expected_version: int | None, now: dt.datetime) -> None:
    """Withdraw an application unless its decision is released (an unreleased one is not the applicant's to know)."""
    check_version(application, expected_version)
    if application.decision_released:
        raise ApplicationError(_("The decision on this application has been released; it can no longer be withdrawn."))
    application.withdrawn_at = now
    _move(application, S.WITHDRAWN, "application.withdrawn")
    notify(application.applicant, "application_withdrawn", application=application)
    if application.submitted_at is not None:  # a draft was never shown to its supervisors
        tell_supervisors(application, "supervisor_application_withdrawn")


def tell_supervisors(application: Application, template: str, **context) -> None:
    """Email both chosen supervisors about their application, each in their own language."""
    for profile in (application.german_supervisor, application.chinese_supervisor):
        if profile is not None and profile.user.active:
            link = absolute_url("supervise.application", application_id=application.id)
            notify(profile.user, template, application=application, link=link, **context)


def begin_review_of_closed_rounds(now: dt.datetime) -> int:
    """Move the submitted applications of every round whose deadline has passed to "under review"; returns how many."""
    query = (
        select(Application)
        .join(IntakeRound, IntakeRound.id == Application.round_id)
        .where(Application.state == S.SUBMITTED, IntakeRound.closes_at <= now)
    )
    moved = 0
    for application in db.session.scalars(query):
        begin_review(application)
        moved += 1
    return moved


def begin_review(application: Application) -> None:
    """Mark a submitted application as under review (first assignment, or the round closed)."""
    if application.state == S.SUBMITTED:
        _move(application, S.UNDER_REVIEW, "application.review_started")


def decide(application: Application, *, outcome: str) -> None:
    """Mark an application as decided (the Decision row itself is written by the review domain)."""
    if application.state != S.DECIDED:
        _move(application, S.DECIDED, "application.decided", {"outcome": outcome})
