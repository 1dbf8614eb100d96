"""Interview times across zones: a slot shown in Berlin, in Shanghai and in the applicant's zone, whether it falls
inside working hours there, and the slots the portal proposes (inside working hours everywhere it can).

All arithmetic is on UTC instants; a zone only says how an instant reads locally, so Berlin's change to and from
summer time (the last Sundays of March and October; Shanghai has none) moves the local reading, never the instant.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from portal.core.timeutil import PROGRAMME_ZONES, is_valid_timezone

# Proposals start on this grid (UTC minutes past the hour: both programme zones are whole hours from UTC).
GRID_MINUTES = 30
MAX_PROPOSALS = 60


@dataclass(frozen=True)
class Hours:
    """Working hours, local time, Monday to Friday; a slot must start and end inside them."""

    start_hour: int
    end_hour: int


@dataclass(frozen=True)
class LocalTime:
    """One slot as it reads in one zone."""

    zone: str
    starts: dt.datetime
    ends: dt.datetime
    inside: bool


def zones_for(applicant_zone: str | None) -> tuple[str, ...]:
    """Berlin, Shanghai and the applicant's zone (when it is neither)."""
    extra = (applicant_zone,) if applicant_zone and is_valid_timezone(applicant_zone) else ()
    return tuple(dict.fromkeys(PROGRAMME_ZONES + extra))


def inside_hours(starts: dt.datetime, ends: dt.datetime, zone: str, hours: Hours) -> bool:
    """Whether [starts, ends] lies within one working day's hours in zone."""
    tz = ZoneInfo(zone)
    local_start, local_end = starts.astimezone(tz), ends.astimezone(tz)
    if local_start.weekday() >= 5 or local_start.date() != (local_end - dt.timedelta(microseconds=1)).date():
        return False
    day = local_start.replace(hour=0, minute=0, second=0, microsecond=0)
    opens = day + dt.timedelta(hours=hours.start_hour)
    closes = day + dt.timedelta(hours=hours.end_hour)
    return opens <= local_start and local_end <= closes


def local_times(starts: dt.datetime, duration: dt.timedelta, zones: tuple[str, ...], hours: Hours) -> list[LocalTime]:
    """The slot in each zone, marked inside or outside working hours there."""
    ends = starts + duration
    return [
        LocalTime(
            zone,
            starts.astimezone(ZoneInfo(zone)),
            ends.astimezone(ZoneInfo(zone)),
            inside_hours(starts, ends, zone, hours),
        )
        for zone in zones
    ]


def _candidates(first_day: dt.date, days: int) -> list[dt.datetime]:
    """Every grid instant from first_day's Berlin midnight through the given number of Berlin days."""
    berlin = ZoneInfo(PROGRAMME_ZONES[0])
    start = dt.datetime.combine(first_day, dt.time(), berlin).astimezone(dt.UTC)
    end = dt.datetime.combine(first_day + dt.timedelta(days=days), dt.time(), berlin).astimezone(dt.UTC)
    step = dt.timedelta(minutes=GRID_MINUTES)
    count = int((end - start) / step)
    return [start + i * step for i in range(count)]


def propose_slots(
    first_day: dt.date, days: int, duration: dt.timedelta, zones: tuple[str, ...], hours: Hours
) -> list[dt.datetime]:
    """Back-to-back starts inside working hours in every zone; where the zones share no hours, those inside Berlin's
    and Shanghai's (the applicant's zone then marks them outside)."""
    for wanted in (zones, PROGRAMME_ZONES):
        chosen: list[dt.datetime] = []
        for start in _candidates(first_day, days):
            if chosen and start < chosen[-1] + duration:
                continue
            if all(inside_hours(start, start + duration, zone, hours) for zone in wanted):
                chosen.append(start)
        if chosen:
            return chosen[:MAX_PROPOSALS]
    return []
