"""The CSC paperwork's rules: a round's CSC window, the admitted candidates marked as applying, the package they
need, and the daily reminder of what is still missing before the window closes (at most one a day per candidate).
The letters' texts: letters/texts.py; the PDFs: letters/documents.py."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal import db
from portal.accounts.models import User
from portal.applications.models import Application, Decision, DecisionOutcome, IntakeRound
from portal.core import audit
from portal.core.outbox import notify
from portal.core.urls import absolute_url
from portal.core.versions import check_version, flush_new_or_stale, version_of
from portal.letters import documents
from portal.letters.models import CscCandidate, CscWindow
from portal.letters.texts import LetterError
from portal.plans.services import is_approved, plan_of

REMIND_DAYS = 14  # reminders go out in the last two weeks of the window
MISSING_LABELS = {
    "plan": _l("The joint research plan is not approved by both supervisors yet."),
    "package": _l("The CSC documents have not been generated yet."),
}


def window_of(intake: IntakeRound) -> CscWindow | None:
    return db.session.scalar(select(CscWindow).where(CscWindow.round_id == intake.id))


def set_window(
    intake: IntakeRound,
    opens_at: dt.datetime,
    closes_at: dt.datetime,
    *,
    by: User,
    expected_version: int | None,
) -> CscWindow:
    """Set the round's CSC application window (UTC); audited."""
    window = window_of(intake)
    check_version(window, expected_version)
    if closes_at <= opens_at:
        raise LetterError(_("The window must close after it opens."), field="closes_at")
    if window is None:
        window = CscWindow(round_id=intake.id, opens_at=opens_at, closes_at=closes_at)
        db.session.add(window)
    window.opens_at, window.closes_at, window.updated_by_id = opens_at, closes_at, by.id
    flush_new_or_stale(lambda: version_of(window_of(intake)))
    audit.record(
        "csc.window_set", intake, details={"opens_at": opens_at.isoformat(), "closes_at": closes_at.isoformat()}
    )
    return window


def candidate_of(application: Application) -> CscCandidate | None:
    return db.session.scalar(select(CscCandidate).where(CscCandidate.application_id == application.id))


def is_admitted(application: Application) -> bool:
    return application.decision is not None and application.decision.outcome == DecisionOutcome.ADMIT


def set_marked(application: Application, marked: bool, *, by: User, now: dt.datetime) -> CscCandidate | None:
    """Mark an admitted candidate as applying for a CSC scholarship, or take the mark back; audited."""
    if not is_admitted(application):
        raise LetterError(_("Only admitted candidates can apply for a CSC scholarship through the programme."))
    candidate = candidate_of(application)
    if marked and candidate is None:
        candidate = CscCandidate(application_id=application.id, marked_by_id=by.id, marked_at=now)
        db.session.add(candidate)
    elif not marked and candidate is not None:
        db.session.delete(candidate)
        candidate = None
    flush_new_or_stale()
    audit.record("csc.marked" if marked else "csc.unmarked", application)
    return candidate


@dataclass(frozen=True)
class CandidateRow:
    application: Application
    candidate: CscCandidate | None
    plan_approved: bool

    @property
    def missing(self) -> list[str]:
        return missing_of(self.candidate, self.plan_approved)


def missing_of(candidate: CscCandidate | None, plan_approved: bool) -> list[str]:
    """What a marked candidate still lacks: the approved plan, the generated package."""
    missing = [] if plan_approved else ["plan"]
    if candidate is None or candidate.package_generated_at is None:
        missing.append("package")
    return missing


def admitted_of(intake: IntakeRound) -> list[CandidateRow]:
    """The round's admitted candidates, marked or not, with their plan's state."""
    applications = db.session.scalars(
        select(Application)
        .join(Decision, Decision.application_id == Application.id)
        .where(Application.round_id == intake.id, Decision.outcome == DecisionOutcome.ADMIT)
        .order_by(Application.family_name, Application.id)
    ).all()
    return [CandidateRow(a, candidate_of(a), is_approved(plan_of(a))) for a in applications]


def generate_package(application: Application, *, now: dt.datetime) -> bytes:
    """The CSC package of a marked candidate; remembers that it was made (the reminders stop asking for it)."""
    candidate = candidate_of(application)
    if candidate is None:
        raise LetterError(_("Mark the candidate as applying for a CSC scholarship first."))
    content = documents.package_pdf(application)
    candidate.package_generated_at = now
    db.session.flush()
    audit.record("csc.package_generated", application)
    return content


def _due_candidates(now: dt.datetime) -> list[tuple[CscCandidate, CscWindow]]:
    return db.session.execute(
        select(CscCandidate, CscWindow)
        .join(Application, Application.id == CscCandidate.application_id)
        .join(CscWindow, CscWindow.round_id == Application.round_id)
        .where(CscWindow.closes_at > now, CscWindow.closes_at <= now + dt.timedelta(days=REMIND_DAYS))
    ).all()


def send_csc_reminders(now: dt.datetime) -> int:
    """Remind the marked candidates and their supervisors of what is missing before the window closes; how many
    emails were written. At most one reminder a day per candidate."""
    sent = 0
    for candidate, window in _due_candidates(now):
        if candidate.reminded_at is not None and now - candidate.reminded_at < dt.timedelta(hours=20):
            continue
        application = candidate.application
        missing = missing_of(candidate, is_approved(plan_of(application)))
        if not missing:
            continue
        people = [application.applicant] + [
            p.user for p in (application.german_supervisor, application.chinese_supervisor) if p is not None
        ]
        link = absolute_url("plans.show", application_id=application.id)
        for person in people:
            labels = [MISSING_LABELS[key] for key in missing]
            notify(person, "csc_missing", application=application, window=window, missing=labels, link=link)
            sent += 1
        candidate.reminded_at = now
    db.session.flush()
    return sent
