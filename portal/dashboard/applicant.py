"""Where the applicant's application stands, for their dashboard: a timeline of what the domain records (account,
steps, submission, letters, review, decision, interview, offer) and the tasks they must do next, each with a link.
Only the newest application gets a timeline, so the card costs the same two queries whatever the applicant did."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from portal import db
from portal.accounts.models import User
from portal.applications import invitations
from portal.applications.models import Application, ApplicationState, IntakeRound
from portal.applications.services import edit_refusal
from portal.applications.steps import StepStatus, held_columns, held_from, step_statuses
from portal.interviews.models import InterviewInvitation
from portal.offers.models import Offer, OfferState

UNDER_REVIEW_OR_LATER = (ApplicationState.UNDER_REVIEW, ApplicationState.DECIDED)


@dataclass(frozen=True)
class Milestone:
    """One point of the timeline: done (with its date where the domain records one), or still ahead."""

    key: str
    label: str
    done: bool
    when: dt.datetime | None = None
    detail: str = ""
    due: dt.datetime | None = None  # a date by which the applicant must act for this milestone


@dataclass(frozen=True)
class Task:
    """Something the applicant must do next, where to do it, and by when if there is a date."""

    key: str
    text: str
    url: str
    due: dt.datetime | None = None


@dataclass
class Progress:
    """The newest application's timeline and tasks; the applicant's earlier applications listed beside it."""

    application: Application
    milestones: list[Milestone]
    tasks: list[Task]
    earlier: list[Application] = field(default_factory=list)

    @property
    def current(self) -> str | None:
        """The key of the first milestone still ahead after the last one reached (where the applicant is now); one
        left behind undone (a letter that never came before the decision) is not where they are."""
        reached = [index for index, milestone in enumerate(self.milestones) if milestone.done]
        ahead = self.milestones[reached[-1] + 1 :] if reached else self.milestones
        return next((milestone.key for milestone in ahead if not milestone.done), None)


def _letters(application: Application) -> tuple[int, int, dt.datetime | None]:
    """(letters received, referees named, when the last letter came)."""
    received = [r.letter_received_at for r in application.referees if r.letter_received_at is not None]
    return len(received), len(application.referees), max(received, default=None)


def _steps_milestone(application: Application, statuses: list[StepStatus]) -> Milestone:
    done = sum(status.complete for status in statuses)
    complete = done == len(statuses) or not application.is_draft
    detail = _("%(done)d of %(total)d steps complete", done=done, total=len(statuses)) if application.is_draft else ""
    return Milestone("steps", _("Application filled in"), complete, detail=detail)


def _decision_milestones(
    application: Application, invitation: InterviewInvitation | None, offer: Offer | None, now: dt.datetime
) -> list[Milestone]:
    released = application.decision_released
    milestones = []
    if invitation is not None:
        booked = invitation.booking.slot.starts_at if invitation.booking is not None else None
        milestones.append(Milestone("interview", _("Interview booked"), booked is not None, booked))
    decision = application.decision
    milestones.append(
        Milestone(
            "decision",
            _("Decision released"),
            released,
            decision.released_at if released else None,
            decision.outcome.label if released else "",
        )
    )
    if offer is not None and released:
        status = offer.status(now)
        answered = status in (OfferState.ACCEPTED, OfferState.DECLINED)
        due = offer.deadline if status == OfferState.OFFERED else None
        detail = status.label if status != OfferState.OFFERED else ""
        milestones.append(Milestone("offer", _("Offer answered"), answered, offer.answered_at, detail, due))
    return milestones


def timeline(
    user: User,
    application: Application,
    statuses: list[StepStatus],
    invitation: InterviewInvitation | None,
    offer: Offer | None,
    now: dt.datetime,
) -> list[Milestone]:
    """The application's milestones in the order they come; a withdrawal ends the timeline."""
    received, named, last_letter = _letters(application)
    submitted = application.submitted_at is not None
    milestones = [
        Milestone("account", _("Account created"), True, user.created_at),
        _steps_milestone(application, statuses),
        Milestone("submitted", _("Submitted"), submitted, application.submitted_at, application.reference or ""),
    ]
    if application.state == ApplicationState.WITHDRAWN:
        return [*milestones, Milestone("withdrawn", _("Withdrawn"), True, application.withdrawn_at)]
    letters_done = named > 0 and received == named
    milestones.append(
        Milestone(
            "letters",
            _("Letters of recommendation received"),
            letters_done,
            last_letter if letters_done else None,
            _("%(received)d of %(named)d", received=received, named=named) if named else "",
        )
    )
    under_review = application.state in UNDER_REVIEW_OR_LATER
    milestones.append(Milestone("review", _("Under review"), under_review))
    return milestones + _decision_milestones(application, invitation, offer, now)


def _step_tasks(application: Application, statuses: list[StepStatus], now: dt.datetime) -> list[Task]:
    if edit_refusal(application, now) is not None:
        return []  # past the deadline nothing can be completed any more; the overview says why
    open_steps = [status.step for status in statuses if not status.complete]
    tasks = [
        Task(
            f"step-{step.key}",
            _("Complete step %(number)d: %(title)s", number=step.number, title=step.title),
            url_for(step.endpoint, application_id=application.id),
        )
        for step in open_steps
    ]
    if not open_steps:
        url = url_for("applications.submit", application_id=application.id)
        tasks.append(Task("submit", _("Submit your application"), url, application.intake_round.closes_at))
    return tasks


def _referee_tasks(application: Application, now: dt.datetime) -> list[Task]:
    """A task per referee whose letter is missing, while the applicant may still (re)invite them."""
    if not invitations.can_change_referees(application, now):
        return []
    url = url_for("applications.step_referees", application_id=application.id)
    return [
        Task(
            f"referee-{referee.position}",
            _("Ask %(name)s again for the letter of recommendation", name=referee.name)
            if referee.invited_at is not None
            else _("Send the invitation to %(name)s", name=referee.name),
            url,
            application.intake_round.letters_due,
        )
        for referee in application.referees
        if referee.letter_received_at is None and referee.invitations_sent < invitations.MAX_INVITATIONS
    ]


def tasks(
    application: Application,
    statuses: list[StepStatus],
    invitation: InterviewInvitation | None,
    offer: Offer | None,
    now: dt.datetime,
) -> list[Task]:
    """What the applicant must do next, in the order the work comes."""
    if application.is_draft:
        return _step_tasks(application, statuses, now)
    if application.state == ApplicationState.WITHDRAWN:
        return []
    found = _referee_tasks(application, now)
    if invitation is not None and invitation.booking is None:
        found.append(Task("interview", _("Book a time for your interview"), url_for("interviews.mine")))
    if offer is not None and application.decision_released and offer.answerable(now):
        url = url_for("applications.overview", application_id=application.id, _anchor="offer")
        found.append(Task("offer", _("Answer the offer of a place"), url, offer.deadline))
    return found


def applicant_progress(user: User, now: dt.datetime) -> Progress | None:
    """The timeline and tasks of the applicant's newest application (two queries, whatever they did); None if none."""
    # One statement for the applications with what is theirs alone (decision, interview with its booking, offer) and
    # whether they hold the degrees and documents the steps ask for; the referees, whom the tasks name, in a second.
    held = held_columns()
    query = (
        select(Application, InterviewInvitation, Offer, *held)
        .select_from(Application)
        .join(IntakeRound, Application.round_id == IntakeRound.id)
        .outerjoin(InterviewInvitation, InterviewInvitation.application_id == Application.id)
        .outerjoin(Offer, Offer.application_id == Application.id)
        .where(Application.applicant_id == user.id)
        .options(
            joinedload(Application.decision),
            selectinload(Application.referees),
            joinedload(InterviewInvitation.booking),
        )
        .order_by(IntakeRound.closes_at.desc())
    )
    rows = db.session.execute(query).all()
    if not rows:
        return None
    application, invitation, offer, *facts = rows[0]
    statuses = step_statuses(application, held_from(facts))
    return Progress(
        application,
        timeline(user, application, statuses, invitation, offer, now),
        tasks(application, statuses, invitation, offer, now),
        [row[0] for row in rows[1:]],
    )
