"""What the interview pages show: each slot in Berlin, Shanghai and the applicant's zone, marked outside working
hours where it is, with its booking."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_skeleton
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal import db
from portal.accounts.models import User
from portal.applications.models import Application
from portal.interviews.clock import LocalTime, local_times, zones_for
from portal.interviews.models import Interview, InterviewBooking, InterviewInvitation, InterviewSlot
from portal.interviews.services import hours_for


@dataclass(frozen=True)
class SlotRow:
    slot: InterviewSlot
    times: list[LocalTime]
    booked_by: InterviewInvitation | None

    @property
    def outside(self) -> list[str]:
        """The zones where the slot lies outside working hours."""
        return [time.zone for time in self.times if not time.inside]


def slot_rows(interview: Interview, zones: tuple[str, ...]) -> list[SlotRow]:
    hours = hours_for(interview.intake_round)
    bookings = {
        booking.slot_id: booking.invitation
        for booking in db.session.scalars(
            select(InterviewBooking).join(InterviewBooking.slot).where(InterviewSlot.interview_id == interview.id)
        )
    }
    return [
        SlotRow(slot, local_times(slot.starts_at, interview.duration, zones, hours), bookings.get(slot.id))
        for slot in interview.slots
    ]


def staff_zones(interview: Interview) -> tuple[str, ...]:
    """Berlin, Shanghai and the zones of every invited applicant."""
    zones: tuple[str, ...] = zones_for(None)
    for invitation in interview.invitations:
        zones = tuple(dict.fromkeys(zones + zones_for(invitation.application.applicant.timezone)))
    return zones


@dataclass(frozen=True)
class ApplicantInterview:
    invitation: InterviewInvitation
    zones: tuple[str, ...]
    rows: list[SlotRow]

    @property
    def booked(self) -> SlotRow | None:
        return next((row for row in self.rows if row.booked_by is self.invitation), None)


def applicant_interviews(user: User) -> list[ApplicantInterview]:
    """The user's invitations, each with its interview's slots in the three zones."""
    invitations = db.session.scalars(
        select(InterviewInvitation)
        .join(Application, Application.id == InterviewInvitation.application_id)
        .where(Application.applicant_id == user.id)
        .options(selectinload(InterviewInvitation.interview).selectinload(Interview.slots))
        .order_by(InterviewInvitation.id)
    )
    zones = zones_for(user.timezone)
    return [ApplicantInterview(i, zones, slot_rows(i.interview, zones)) for i in invitations]


def applicant_interview(application: Application) -> InterviewInvitation | None:
    """For the applicant's status page: the invitation of their own application, if any."""
    if not current_user.is_authenticated or application.applicant_id != current_user.id:
        return None
    return db.session.scalars(
        select(InterviewInvitation).where(InterviewInvitation.application_id == application.id)
    ).first()


def zone_label(zone: str) -> str:
    """A zone as people name it: the programme's two cities in the reader's language, any other by its name."""
    names = {"Europe/Berlin": _("Berlin"), "Asia/Shanghai": _("Shanghai")}
    return names.get(zone) or zone.rpartition("/")[2].replace("_", " ")


def slot_range(starts: dt.datetime, ends: dt.datetime, zone: str) -> str:
    """The slot as "Friday, 26 March 2027, 08:00-08:45 (CET)" in the zone and the reader's language."""
    tz = ZoneInfo(zone)
    local_start, local_end = starts.astimezone(tz), ends.astimezone(tz)
    end = f"{local_end:%H:%M}"
    if local_end.date() != local_start.date():
        end = f"{_day(local_end.date())} {end}"
    return f"{_day(local_start.date())}, {local_start:%H:%M}\u2013{end} ({local_start.tzname()})"


def _day(day: dt.date) -> str:
    """The weekday and date, short, in the reader's language ("Tue, Dec 15, 2026", "Di., 15. Dez. 2026")."""
    locale = get_locale() or Locale.parse("en")
    return format_skeleton("yMMMEd", day, locale=locale)
