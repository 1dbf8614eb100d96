"""The demo's two rounds: an open one (created if no round is open) and last year's, closed, decided and released; and
when things happen in each (the windows the simulated clock picks times from)."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from sqlalchemy import select

from portal import db
from portal.applications.models import IntakeRound
from portal.core.timeutil import BERLIN, utcnow
from portal.demo.context import DAY


def _berlin_evening(now: dt.datetime, days: int) -> dt.datetime:
    """23:59 Berlin time, days after now (before it, when negative): when a real round's deadlines fall."""
    day = (now + dt.timedelta(days=days)).astimezone(BERLIN).date()
    return dt.datetime.combine(day, dt.time(23, 59), tzinfo=BERLIN).astimezone(dt.UTC)


def ensure_open_round() -> IntakeRound:
    """The round open now (or to open), else a new one that opened a month ago and closes in three months."""
    now = utcnow()
    existing = db.session.scalars(select(IntakeRound).where(IntakeRound.closes_at > now)).first()
    if existing is not None:
        return existing
    intake = IntakeRound(
        name=f"Intake {(now + dt.timedelta(days=120)).year}",
        opens_at=_berlin_evening(now, -30),
        closes_at=_berlin_evening(now, 90),
        referees_due=_berlin_evening(now, 104),
        reviews_due=_berlin_evening(now, 130),
        decisions_on=_berlin_evening(now, 150),
    )
    db.session.add(intake)
    db.session.flush()
    return intake


def ensure_closed_round(open_round: IntakeRound, now: dt.datetime) -> IntakeRound:
    """Last year's round: closed, reviewed and decided; its decisions were released about seven months ago."""
    year = (open_round.closes_at + 30 * DAY).year - 1
    name = f"Intake {year}"
    existing = db.session.scalars(select(IntakeRound).where(IntakeRound.name == name)).first()
    if existing is not None:
        return existing
    intake = IntakeRound(
        name=name,
        opens_at=_berlin_evening(now, -400),
        closes_at=_berlin_evening(now, -290),
        referees_due=_berlin_evening(now, -276),
        reviews_due=_berlin_evening(now, -260),
        decisions_on=_berlin_evening(now, -228),
        created_at=_berlin_evening(now, -420),
    )
    db.session.add(intake)
    db.session.flush()
    return intake


@dataclass(frozen=True)
class Timeline:
    """When things happen in a round: windows for starting and submitting, then the judging."""

    start: tuple[dt.datetime, dt.datetime]
    submit: tuple[dt.datetime, dt.datetime]
    letters_within: dt.timedelta
    assign: dt.datetime
    judge: tuple[dt.datetime, dt.datetime]  # statements and reviews
    decide: dt.datetime
    release: dt.datetime | None
    withdraw: dt.datetime  # withdrawals after submission


def within(rng: random.Random, window: tuple[dt.datetime, dt.datetime]) -> dt.datetime:
    first, last = window
    return first + (last - first) * rng.random()


def open_timeline(intake: IntakeRound, now: dt.datetime) -> Timeline:
    start, span = intake.opens_at, now - intake.opens_at
    return Timeline(
        start=(start + span * 0.02, start + span * 0.3),
        submit=(start + span * 0.45, start + span * 0.65),
        letters_within=span * 0.08,
        assign=start + span * 0.75,
        judge=(start + span * 0.78, start + span * 0.94),
        decide=start + span * 0.97,
        release=None,
        withdraw=start + span * 0.9,
    )


def closed_timeline(intake: IntakeRound) -> Timeline:
    opens, closes = intake.opens_at, intake.closes_at
    span = closes - opens
    reviews_due = intake.reviews_due or closes + 30 * DAY
    decisions_on = intake.decisions_on or reviews_due + 30 * DAY
    return Timeline(
        start=(opens + span * 0.05, opens + span * 0.4),
        submit=(opens + span * 0.5, opens + span * 0.9),
        letters_within=10 * DAY,
        assign=closes + DAY,
        judge=(closes + 2 * DAY, reviews_due - 2 * DAY),
        decide=decisions_on - 3 * DAY,
        release=decisions_on,
        withdraw=closes + 6 * DAY,
    )
