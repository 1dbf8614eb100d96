"""Setting interviews up: a round's working hours, a panel with proposed slots, invitations, slots and the link."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import select

from portal import db
from portal.accounts.models import User, UserRole
from portal.applications.models import Application, ApplicationState, IntakeRound
from portal.core import audit
from portal.core.roles import Role
from portal.core.rules import RuleViolation
from portal.interviews.clock import Hours, propose_slots, zones_for
from portal.interviews.mails import email_invited
from portal.interviews.models import (
    DEFAULT_END_HOUR,
    DEFAULT_START_HOUR,
    Interview,
    InterviewHours,
    InterviewInvitation,
    InterviewPanelMember,
    InterviewSlot,
)
from portal.review.permissions import conflict_matrix

# Shortlisted applications: judged, and not decided yet.
INVITABLE = {ApplicationState.SUBMITTED, ApplicationState.UNDER_REVIEW}
MAX_DAYS = 14


def hours_for(intake: IntakeRound) -> Hours:
    """The round's working hours for interviews (the defaults until a coordinator sets them)."""
    row = db.session.get(InterviewHours, intake.id)
    return Hours(row.start_hour, row.end_hour) if row else Hours(DEFAULT_START_HOUR, DEFAULT_END_HOUR)


def set_hours(intake: IntakeRound, start_hour: int, end_hour: int) -> None:
    """Change the round's working hours; the start must come before the end."""
    if not 0 <= start_hour < end_hour <= 24:
        raise RuleViolation(_("The working day must start before it ends."), field="end_hour")
    row = db.session.get(InterviewHours, intake.id) or InterviewHours(round_id=intake.id)
    row.start_hour, row.end_hour = start_hour, end_hour
    db.session.add(row)
    db.session.flush()
    audit.record("interview.hours_set", intake, details={"start_hour": start_hour, "end_hour": end_hour})


def panel_candidates(application: Application) -> list[User]:
    """Who may sit on the application's panel: the committee members without a conflict, and its two supervisors."""
    committee = list(
        db.session.scalars(
            select(User)
            .where(User.active.is_(True), User.id.in_(select(UserRole.user_id).where(UserRole.role == Role.COMMITTEE)))
            .order_by(User.name)
        )
    )
    conflicts = conflict_matrix([application.id], committee) if committee else {}
    people = [member for member in committee if (application.id, member.id) not in conflicts]
    for profile in (application.german_supervisor, application.chinese_supervisor):
        if profile is not None and profile.user not in people:
            people.append(profile.user)
    return people


def check_link(link: str) -> str:
    """A meeting link typed by a coordinator: empty, or an http(s) address."""
    link = link.strip()
    if link and (urlsplit(link).scheme not in {"http", "https"} or not urlsplit(link).netloc):
        raise RuleViolation(_("Enter a web address starting with https://."), field="meeting_link")
    return link


def check_invitable(application: Application) -> None:
    if application.state not in INVITABLE:
        raise RuleViolation(_("Only submitted applications without a decision can be invited to an interview."))
    if db.session.scalar(select(InterviewInvitation.id).where(InterviewInvitation.application_id == application.id)):
        raise RuleViolation(_("This applicant has already been invited to an interview."))


def create_interview(
    application: Application,
    *,
    panel: list[User],
    duration: int,
    meeting_link: str,
    first_day: dt.date,
    days: int,
    now: dt.datetime,
) -> Interview:
    """A new panel for the application's round with the slots the portal proposes on the given days."""
    allowed = {user.id for user in panel_candidates(application)}
    if not panel or any(user.id not in allowed for user in panel):
        raise RuleViolation(_("Choose the panel from the committee members and the supervisors."), field="panel")
    if not 1 <= days <= MAX_DAYS:
        raise RuleViolation(_("Choose between 1 and %(max)d days.", max=MAX_DAYS), field="days")
    hours = hours_for(application.intake_round)
    zones = zones_for(application.applicant.timezone)
    starts = [s for s in propose_slots(first_day, days, dt.timedelta(minutes=duration), zones, hours) if s > now]
    if not starts:
        raise RuleViolation(_("No time on these days lies within working hours in Berlin and Shanghai."), "first_day")
    interview = Interview(
        round_id=application.round_id,
        duration_minutes=duration,
        meeting_link=check_link(meeting_link),
        panel=[InterviewPanelMember(user=user) for user in panel],
        slots=[InterviewSlot(starts_at=start) for start in starts],
    )
    db.session.add(interview)
    db.session.flush()
    audit.record("interview.created", application, details={"interview": interview.id, "slots": len(starts)})
    return interview


def invite(application: Application, interview: Interview, *, now: dt.datetime) -> InterviewInvitation:
    """Invite the application to the interview and tell the applicant to choose a slot."""
    check_invitable(application)
    if interview.round_id != application.round_id:
        raise RuleViolation(_("This interview belongs to another intake round."), field="interview")
    invitation = InterviewInvitation(interview=interview, application=application, invited_at=now)
    db.session.add(invitation)
    db.session.flush()
    audit.record("interview.invited", application, details={"interview": interview.id})
    email_invited(invitation)
    return invitation


def add_slot(interview: Interview, starts_at: dt.datetime, *, now: dt.datetime) -> InterviewSlot:
    """Offer one more time; a time that has passed, or one already offered, changes nothing."""
    if starts_at <= now:
        raise RuleViolation(_("This time has already passed."), field="starts")
    if any(slot.starts_at == starts_at for slot in interview.slots):
        raise RuleViolation(_("This time is already offered."), field="starts")
    slot = InterviewSlot(interview=interview, starts_at=starts_at)
    db.session.add(slot)
    db.session.flush()
    audit.record("interview.slot_added", interview, details={"starts_at": starts_at.isoformat()})
    return slot


def remove_slot(slot: InterviewSlot) -> None:
    """Withdraw an offered time that nobody has booked."""
    if slot.booking is not None:
        raise RuleViolation(_("This time is booked: cancel the booking first."))
    audit.record("interview.slot_removed", slot.interview, details={"starts_at": slot.starts_at.isoformat()})
    slot.interview.slots.remove(slot)
    db.session.flush()


def set_link(interview: Interview, link: str) -> None:
    """The meeting link the participants see (the portal calls no outside service)."""
    interview.meeting_link = check_link(link)
    db.session.flush()
    audit.record("interview.link_set", interview)


def interviews_of_round(round_id: int) -> list[Interview]:
    return list(db.session.scalars(select(Interview).where(Interview.round_id == round_id).order_by(Interview.id)))


def invite_to(
    application: Application,
    *,
    interview_id: int,
    panel_ids: list[int],
    duration: int | None,
    meeting_link: str,
    first_day: dt.date | None,
    days: int | None,
    now: dt.datetime,
) -> InterviewInvitation:
    """Invite the application to an interview of its round, or to a new one with the given panel and proposals."""
    check_invitable(application)
    if interview_id:
        interview = db.session.get(Interview, interview_id)
        if interview is None:
            raise RuleViolation(_("This interview does not exist any more."), field="interview")
        return invite(application, interview, now=now)
    needed = {"first_day": first_day, "duration": duration, "days": days}
    missing = {name: _("This field is required for a new interview.") for name, value in needed.items() if not value}
    if missing:
        raise RuleViolation(fields=missing)
    panel = list(db.session.scalars(select(User).where(User.id.in_(panel_ids)))) if panel_ids else []
    interview = create_interview(
        application,
        panel=panel,
        duration=duration or 0,
        meeting_link=meeting_link,
        first_day=first_day,  # type: ignore[arg-type]
        days=days or 0,
        now=now,
    )
    return invite(application, interview, now=now)


def invitation_of(application: Application) -> InterviewInvitation | None:
    return db.session.scalars(
        select(InterviewInvitation).where(InterviewInvitation.application_id == application.id)
    ).first()
