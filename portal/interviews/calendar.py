"""Calendar files (.ics) made by the icalendar library: a booked interview with its times in Europe/Berlin (TZID, with
the zone's definition), a stable UID per invitation, SEQUENCE counting the moves, METHOD:CANCEL when cancelled."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from email.utils import parseaddr
from urllib.parse import urlsplit

from flask import current_app
from icalendar import Calendar, Event, vCalAddress

from portal.core.outbox import Attachment
from portal.core.timeutil import BERLIN

PRODID = "-//Internationales Promotionskolleg//Interviews//EN"
FILENAME = "interview.ics"


@dataclass(frozen=True)
class CalendarEntry:
    """What one event says; texts already in the reader's language."""

    uid: str
    sequence: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    summary: str
    description: str
    location: str
    attendees: tuple[str, ...]
    cancelled: bool = False


def event_uid(invitation_id: int) -> str:
    """The one UID of an invitation's interview, whatever its slot: calendars replace the event on a move."""
    host = urlsplit(current_app.config["PORTAL_BASE_URL"]).hostname or "promotionskolleg.example"
    return f"interview-{invitation_id}@{host}"


def zoned(moment: dt.datetime) -> dt.datetime:
    """The moment in Berlin time (written with TZID), or in UTC where Berlin's clock reads the same twice (the hour
    after summer time ends): a calendar takes such a local time as its first occurrence."""
    local = moment.astimezone(BERLIN)
    twin = local.replace(fold=1 - local.fold)
    return moment.astimezone(dt.UTC) if twin.utcoffset() != local.utcoffset() else local


def _event(entry: CalendarEntry, now: dt.datetime) -> Event:
    event = Event()
    event.add("uid", entry.uid)
    event.add("sequence", entry.sequence)
    event.add("dtstamp", now.astimezone(dt.UTC))
    event.add("dtstart", zoned(entry.starts_at))
    event.add("dtend", zoned(entry.ends_at))
    event.add("summary", entry.summary)
    event.add("description", entry.description)
    if entry.location:
        event.add("location", entry.location)
    event.add("status", "CANCELLED" if entry.cancelled else "CONFIRMED")
    organizer = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1]
    if organizer:
        event.add("organizer", vCalAddress(f"mailto:{organizer}"))
    for address in entry.attendees:
        event.add("attendee", vCalAddress(f"mailto:{address}"))
    return event


def calendar_bytes(entries: list[CalendarEntry], *, method: str | None, now: dt.datetime) -> bytes:
    """A calendar holding the entries, with the definitions of the zones their times use."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    if method:
        calendar.add("method", method)
    for entry in entries:
        calendar.add_component(_event(entry, now))
    calendar.add_missing_timezones()
    return calendar.to_ical()


def attachment(entry: CalendarEntry, now: dt.datetime) -> Attachment:
    """The entry as an email attachment: a request, or a cancellation."""
    method = "CANCEL" if entry.cancelled else "REQUEST"
    content = calendar_bytes([entry], method=method, now=now)
    return (FILENAME, f"text/calendar; method={method}; charset=utf-8", content)
