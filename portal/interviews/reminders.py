"""The reminder of a booked interview to the applicant and the panel, 24 hours before.

The daily job (portal/daily.py) sends every reminder that falls due before its next run: those of interviews starting
within the next two days; `reminded_at` keeps a second run from sending one twice (a move clears it).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from portal import db
from portal.core import audit
from portal.interviews.mails import email_change
from portal.interviews.models import InterviewBooking, InterviewInvitation, InterviewSlot

REMINDER_LEAD = dt.timedelta(hours=24)


def due_invitations(now: dt.datetime, *, until_next_run: dt.timedelta) -> list[InterviewInvitation]:
    """Booked, not yet reminded invitations whose reminder (24 h before) falls due before the next run."""
    query = (
        select(InterviewInvitation)
        .join(InterviewBooking, InterviewBooking.invitation_id == InterviewInvitation.id)
        .join(InterviewSlot, InterviewSlot.id == InterviewBooking.slot_id)
        .where(
            InterviewInvitation.reminded_at.is_(None),
            InterviewSlot.starts_at > now,
            InterviewSlot.starts_at <= now + REMINDER_LEAD + until_next_run,
        )
        .order_by(InterviewSlot.starts_at)
        .with_for_update(of=InterviewInvitation, skip_locked=True)
    )
    return list(db.session.scalars(query))


def send_interview_reminders(now: dt.datetime, *, until_next_run: dt.timedelta = dt.timedelta(days=1)) -> int:
    """Remind the applicant and the panel of each interview due; how many interviews."""
    due = due_invitations(now, until_next_run=until_next_run)
    for invitation in due:
        email_change(invitation, invitation.booking.slot, "reminder", now=now)  # type: ignore[union-attr]
        invitation.reminded_at = now
        audit.record("interview.reminded", invitation.application)
    db.session.flush()
    return len(due)
