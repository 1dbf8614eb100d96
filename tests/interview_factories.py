"""Building interviews for the tests: a panel with slots at given instants, invitations and bookings."""

from __future__ import annotations

import datetime as dt

from portal import db
from portal.core.timeutil import utcnow
from portal.interviews.models import (
    Interview,
    InterviewBooking,
    InterviewInvitation,
    InterviewPanelMember,
    InterviewSlot,
)


def make_interview(application, panel, starts: list[dt.datetime], *, link: str = "https://meet.example.org/ipk-1"):
    """An interview of the application's round with the panel and slots, the application invited (no booking)."""
    interview = Interview(
        round_id=application.round_id,
        duration_minutes=45,
        meeting_link=link,
        panel=[InterviewPanelMember(user=user) for user in panel],
        slots=[InterviewSlot(starts_at=start) for start in starts],
    )
    db.session.add(interview)
    invitation = InterviewInvitation(interview=interview, application=application)
    db.session.add(invitation)
    db.session.flush()
    return interview, invitation


def invite_too(interview, application):
    invitation = InterviewInvitation(interview=interview, application=application)
    db.session.add(invitation)
    db.session.flush()
    return invitation


def booked(invitation, slot):
    """Book directly (no emails), for tests about what follows a booking."""
    db.session.add(InterviewBooking(invitation=invitation, slot=slot, booked_at=utcnow()))
    db.session.flush()
    db.session.refresh(invitation)
    return invitation


def future(days: float = 10, hour: int = 8) -> dt.datetime:
    """A weekday instant some days ahead at the given UTC hour."""
    moment = (utcnow() + dt.timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)
    while moment.weekday() >= 5:
        moment += dt.timedelta(days=1)
    return moment
