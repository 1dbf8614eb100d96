"""A booked interview for applicant@example.org (the open round, under review): the committee member and the German
supervisor on the panel, times proposed inside working hours in Berlin and Shanghai next week, the first one booked,
so that the status page links its .ics, the panel's list shows it and the ranking's interview column has a time."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from portal import db
from portal.accounts.models import User
from portal.applications.models import Application
from portal.core.timeutil import utcnow
from portal.demo.context import Clock, simulated
from portal.demo.plans import BECKER
from portal.interviews import booking, services
from portal.interviews.models import InterviewInvitation

APPLICANT = "applicant@example.org"
PANEL = ("committee@example.org", BECKER)
MEETING_LINK = "https://meet.example.org/ipk-interview-li-wei"


def ensure_booked_interview() -> None:
    """Invite and book once; nothing happens when the interview exists or the application cannot be invited."""
    application = db.session.scalars(
        select(Application)
        .join(User, User.id == Application.applicant_id)
        .where(User.email == APPLICANT, Application.state.in_(services.INVITABLE))
    ).first()
    if application is None or db.session.scalar(
        select(InterviewInvitation.id).where(InterviewInvitation.application_id == application.id)
    ):
        return
    with simulated(Clock()):  # the emails count as sent, like the rest of the demo's
        _invite_and_book(application)


def _invite_and_book(application: Application) -> None:
    now = utcnow()
    panel = list(db.session.scalars(select(User).where(User.email.in_(PANEL))))
    invitation = services.invite_to(
        application,
        interview_id=0,
        panel_ids=[user.id for user in panel],
        duration=45,
        meeting_link=MEETING_LINK,
        first_day=(now + dt.timedelta(days=7)).date(),
        days=5,
        now=now,
    )
    booking.book(invitation, invitation.interview.slots[0], now=now)
