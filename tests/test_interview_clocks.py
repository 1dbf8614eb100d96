"""Interview times around Berlin's change to and from summer time (the last Sundays of March and October 2027;
Shanghai keeps UTC+8 all year): proposals, the three zones' readings, and the calendar entries."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from portal.interviews.calendar import CalendarEntry, calendar_bytes
from portal.interviews.clock import Hours, inside_hours, local_times, propose_slots, zones_for
from portal.interviews.pages import slot_range

BERLIN, SHANGHAI = ZoneInfo("Europe/Berlin"), ZoneInfo("Asia/Shanghai")
HOURS = Hours(8, 18)
DURATION = dt.timedelta(minutes=45)
UTC = dt.UTC


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("instant", "berlin", "shanghai"),
    [
        (utc(2027, 3, 27, 9), "10:00 CET", "17:00 CST"),  # the Saturday before: UTC+1
        (utc(2027, 3, 28, 0, 30), "01:30 CET", "08:30 CST"),  # the Sunday, before 02:00 local
        (utc(2027, 3, 28, 1, 30), "03:30 CEST", "09:30 CST"),  # the hour from 02:00 to 03:00 does not exist
        (utc(2027, 3, 28, 9), "11:00 CEST", "17:00 CST"),
        (utc(2027, 10, 31, 0, 30), "02:30 CEST", "08:30 CST"),  # 02:30 happens twice in Berlin ...
        (utc(2027, 10, 31, 1, 30), "02:30 CET", "09:30 CST"),  # ... an hour apart, told apart by the zone
        (utc(2027, 10, 31, 9), "10:00 CET", "17:00 CST"),
    ],
)
def test_a_slot_reads_correctly_in_every_zone_on_the_days_berlin_changes(app, instant, berlin, shanghai):
    times = {t.zone: t for t in local_times(instant, DURATION, zones_for("Asia/Shanghai"), HOURS)}
    assert f"{times['Europe/Berlin'].starts:%H:%M %Z}" == berlin
    assert f"{times['Asia/Shanghai'].starts:%H:%M %Z}" == shanghai
    with app.test_request_context("/"):
        assert f"{berlin[:5]}" in slot_range(instant, instant + DURATION, "Europe/Berlin")
        assert f"({berlin[6:]})" in slot_range(instant, instant + DURATION, "Europe/Berlin")


def _berlin_hours(starts: list[dt.datetime], day: dt.date) -> list[str]:
    return [f"{s.astimezone(BERLIN):%H:%M}" for s in starts if s.astimezone(BERLIN).date() == day]


def test_proposals_follow_berlins_clock_across_the_change_in_march():
    starts = propose_slots(dt.date(2027, 3, 26), 4, DURATION, zones_for("Asia/Shanghai"), HOURS)
    # Friday (UTC+1): Shanghai is 7 hours ahead, the shared working hours are Berlin's 08:00 to 11:00.
    assert _berlin_hours(starts, dt.date(2027, 3, 26)) == ["08:00", "09:00", "10:00"]
    # Monday (UTC+2): only 6 hours apart, an hour more is shared.
    assert _berlin_hours(starts, dt.date(2027, 3, 29)) == ["08:00", "09:00", "10:00", "11:00"]
    assert not _berlin_hours(starts, dt.date(2027, 3, 28))  # nobody works on the Sunday
    for start in starts:
        for zone in ("Europe/Berlin", "Asia/Shanghai"):
            assert inside_hours(start, start + DURATION, zone, HOURS)


def test_proposals_follow_berlins_clock_across_the_change_in_october():
    starts = propose_slots(dt.date(2027, 10, 29), 4, DURATION, zones_for("Asia/Shanghai"), HOURS)
    assert _berlin_hours(starts, dt.date(2027, 10, 29)) == ["08:00", "09:00", "10:00", "11:00"]  # still UTC+2
    assert _berlin_hours(starts, dt.date(2027, 11, 1)) == ["08:00", "09:00", "10:00"]  # UTC+1 again


def test_a_third_zone_without_shared_hours_marks_the_slots_outside():
    zones = zones_for("America/New_York")
    starts = propose_slots(dt.date(2027, 3, 26), 1, DURATION, zones, HOURS)
    assert starts, "Berlin and Shanghai still get their shared hours"
    times = local_times(starts[0], DURATION, zones, HOURS)
    assert [t.inside for t in times] == [True, True, False]


@pytest.mark.parametrize(
    "instant",
    [utc(2027, 3, 26, 8), utc(2027, 3, 29, 8), utc(2027, 10, 31, 0, 30), utc(2027, 10, 31, 1, 30), utc(2027, 11, 1, 8)],
)
def test_the_calendar_entry_means_the_same_instant(app, instant):
    entry = CalendarEntry("uid-1@test", 0, instant, instant + DURATION, "Interview", "", "", ())
    with app.test_request_context("/"):
        calendar = Calendar.from_ical(calendar_bytes([entry], method="REQUEST", now=instant))
    (event,) = calendar.walk("VEVENT")
    assert event.decoded("DTSTART") == instant
    assert event.decoded("DTEND") == instant + DURATION
    if instant.astimezone(BERLIN).hour != 2:  # an unambiguous local time is written with its zone
        assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
