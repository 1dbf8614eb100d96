"""The applicant's booking: one slot, moved or cancelled until 48 hours before; a slot holds one applicant.

The database has the last word on "one applicant per slot" (the bookings' unique slot_id): two applicants taking the
same slot at the same instant both pass the checks here, and the second flush fails on the constraint; that failure
becomes the same clear refusal as a slot seen taken, and the request's transaction is rolled back (core.operations).
"""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from portal import db
from portal.accounts.models import User
from portal.core import audit
from portal.core.rules import RuleViolation
from portal.interviews.mails import email_change
from portal.interviews.models import InterviewBooking, InterviewInvitation, InterviewSlot
from portal.interviews.permissions import may_manage

# Until this long before the interview the applicant may move or cancel it.
CHANGE_DEADLINE = dt.timedelta(hours=48)


def slot_taken() -> RuleViolation:
    return RuleViolation(_("Someone else has just booked this time. Nothing was changed: please choose another one."))


def _check_slot(invitation: InterviewInvitation, slot: InterviewSlot, now: dt.datetime) -> None:
    if slot.interview_id != invitation.interview_id:
        raise RuleViolation(_("This time is not offered for your interview."))
    if slot.starts_at <= now:
        raise RuleViolation(_("This time has already passed. Please choose a later one."))
    if slot.booking is not None and slot.booking.invitation_id != invitation.id:
        raise slot_taken()


def _check_changeable(booking: InterviewBooking, now: dt.datetime) -> None:
    if booking.slot.starts_at - now < CHANGE_DEADLINE:
        raise RuleViolation(_("An interview can be moved or cancelled only until 48 hours before it begins."))


def _flush_or_taken() -> None:
    try:
        db.session.flush()
    except IntegrityError as error:  # the slot was taken between our check and our write
        raise slot_taken() from error


def book(invitation: InterviewInvitation, slot: InterviewSlot, *, now: dt.datetime) -> InterviewBooking:
    """Book the slot for the invited applicant; a second booking, a past or taken slot changes nothing."""
    if invitation.booking is not None:
        raise RuleViolation(_("You have already booked a time. You can move it or cancel it."))
    _check_slot(invitation, slot, now)
    booking = InterviewBooking(invitation=invitation, slot=slot, booked_at=now)
    db.session.add(booking)
    _flush_or_taken()
    audit.record("interview.booked", invitation.application, details={"starts_at": slot.starts_at.isoformat()})
    email_change(invitation, slot, "booked", now=now)
    return booking


def move(invitation: InterviewInvitation, slot: InterviewSlot, *, now: dt.datetime) -> InterviewBooking:
    """Move the booking to another free slot, until 48 hours before the booked one."""
    booking = invitation.booking
    if booking is None:
        raise RuleViolation(_("You have not booked a time yet."))
    if booking.slot_id == slot.id:
        raise RuleViolation(_("This is already the time you booked."))
    _check_changeable(booking, now)
    _check_slot(invitation, slot, now)
    previous = booking.slot
    booking.slot, booking.booked_at = slot, now
    invitation.sequence += 1
    invitation.reminded_at = None
    _flush_or_taken()
    audit.record(
        "interview.moved",
        invitation.application,
        details={"from": previous.starts_at.isoformat(), "to": slot.starts_at.isoformat()},
    )
    email_change(invitation, slot, "moved", now=now, previous=previous)
    return booking


def cancel(invitation: InterviewInvitation, *, by: User, now: dt.datetime) -> None:
    """Cancel the booking (the applicant until 48 hours before; a coordinator at any time); the slot is free again."""
    booking = invitation.booking
    if booking is None:
        raise RuleViolation(_("There is no booking to cancel."))
    if not may_manage(by):
        _check_changeable(booking, now)
    slot = booking.slot
    invitation.booking = None
    invitation.sequence += 1
    db.session.flush()
    db.session.expire(slot, ["booking"])  # the slot is free again for whatever this session does next
    audit.record("interview.cancelled", invitation.application, details={"starts_at": slot.starts_at.isoformat()})
    email_change(invitation, slot, "cancelled", now=now)


def offered_slot(invitation: InterviewInvitation, slot_id: int) -> InterviewSlot:
    """The slot of the invitation's interview with that id; anything else is refused, nothing changes."""
    slot = db.session.get(InterviewSlot, slot_id)
    if slot is None or slot.interview_id != invitation.interview_id:
        raise RuleViolation(_("This time is not offered for your interview."))
    return slot


def book_slot(invitation: InterviewInvitation, slot_id: int, *, now: dt.datetime) -> InterviewBooking:
    return book(invitation, offered_slot(invitation, slot_id), now=now)


def move_to_slot(invitation: InterviewInvitation, slot_id: int, *, now: dt.datetime) -> InterviewBooking:
    return move(invitation, offered_slot(invitation, slot_id), now=now)
