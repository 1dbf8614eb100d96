"""The emails of interviews, each in its recipient's language: the invitation to choose a slot; a booking, a move, a
cancellation and the reminder to the applicant and every panel member, with the calendar entry attached."""

from __future__ import annotations

import datetime as dt

from flask_babel import force_locale
from flask_babel import gettext as _

from portal.accounts.models import User
from portal.core.outbox import notify
from portal.core.urls import absolute_url
from portal.interviews.calendar import CalendarEntry, attachment, event_uid
from portal.interviews.clock import zones_for
from portal.interviews.models import InterviewInvitation, InterviewSlot


def participants(invitation: InterviewInvitation) -> list[User]:
    """The applicant first, then the panel."""
    return [invitation.application.applicant, *invitation.interview.panel_users]


def calendar_entry(
    invitation: InterviewInvitation, slot: InterviewSlot, reader: User, *, cancelled: bool = False
) -> CalendarEntry:
    """The calendar event of a booked interview, its texts in the reader's language."""
    application = invitation.application
    with force_locale(reader.language):
        summary = _(
            "Interview: %(name)s (%(reference)s)", name=application.display_name, reference=application.reference or ""
        )
        description = _("Panel: %(names)s", names=", ".join(u.name for u in invitation.interview.panel_users))
    return CalendarEntry(
        uid=event_uid(invitation.id),
        sequence=invitation.sequence,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        summary=summary,
        description=description,
        location=invitation.interview.meeting_link,
        attendees=tuple(user.email for user in participants(invitation)),
        cancelled=cancelled,
    )


def email_invited(invitation: InterviewInvitation) -> None:
    """Ask the applicant to choose a slot."""
    applicant = invitation.application.applicant
    notify(
        applicant,
        "interview_invited",
        application=invitation.application,
        invitation=invitation,
        zones=zones_for(applicant.timezone),
        link=absolute_url("interviews.mine"),
    )


def email_change(
    invitation: InterviewInvitation,
    slot: InterviewSlot,
    kind: str,
    *,
    now: dt.datetime,
    previous: InterviewSlot | None = None,
) -> None:
    """Tell the applicant and the panel of a booking, move, cancellation or the coming interview (kind), with the
    calendar entry attached."""
    cancelled = kind == "cancelled"
    applicant_id = invitation.application.applicant_id
    for person in participants(invitation):
        entry = calendar_entry(invitation, slot, person, cancelled=cancelled)
        for_panel = person.id != applicant_id
        notify(
            person,
            f"interview_{kind}",
            attachments=[attachment(entry, now)],
            application=invitation.application,
            invitation=invitation,
            slot=slot,
            previous=previous,
            for_panel=for_panel,
            zones=zones_for(invitation.application.applicant.timezone if for_panel else person.timezone),
            link=absolute_url("interviews.panel" if for_panel else "interviews.mine"),
        )
