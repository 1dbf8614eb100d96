"""Intake rounds: create and edit them with times entered in Berlin or Shanghai time, open and close them early.

Every moment is stored in UTC. A form sends naive wall-clock times together with the zone they were typed in; this
module turns them into UTC, refuses times that do not exist in that zone (the hour skipped when clocks go forward),
checks the order of the deadlines, and refuses to reopen a round whose decisions have been released.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select

from portal import db
from portal.applications.models import Application, Decision, IntakeRound
from portal.core import audit
from portal.core.rules import RuleViolation

# The zones in which coordinators enter a round's times.
ROUND_ZONES: dict[str, object] = {
    "Europe/Berlin": _l("Berlin time"),
    "Asia/Shanghai": _l("Shanghai time"),
}
DEFAULT_ZONE = "Europe/Berlin"

# The dated fields of a round, in the order they must follow each other.
DATE_FIELDS = ("opens_at", "closes_at", "reviews_due", "decisions_on")
REQUIRED_DATES = ("opens_at", "closes_at")


class RoundError(RuleViolation):
    """A rule about rounds was broken; the message is shown to the coordinator."""


class RoundInvalid(RoundError):
    """The round's data is not acceptable; `errors` maps form fields to the reason shown next to them."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class RoundInput:
    """What the round form sends: the name and naive wall-clock times in `zone`."""

    name: str
    zone: str
    opens_at: dt.datetime | None
    closes_at: dt.datetime | None
    reviews_due: dt.datetime | None = None
    decisions_on: dt.datetime | None = None


def to_utc(local: dt.datetime, zone: str) -> dt.datetime | None:
    """The UTC moment of a wall-clock time in zone, or None when that time does not exist there (DST gap).

    A time that exists twice (when clocks go back) is read as the first of the two.
    """
    tz = ZoneInfo(zone)
    aware = local.replace(tzinfo=tz, fold=0)
    moment = aware.astimezone(dt.UTC)
    if moment.astimezone(tz).replace(tzinfo=None) != local.replace(tzinfo=None, fold=0):
        return None
    return moment


def to_local(moment: dt.datetime | None, zone: str) -> dt.datetime | None:
    """The naive wall-clock time of a stored moment in zone (to fill a form)."""
    if moment is None:
        return None
    return moment.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def list_rounds() -> list[IntakeRound]:
    """Every round, the newest first."""
    return list(db.session.scalars(select(IntakeRound).order_by(IntakeRound.opens_at.desc(), IntakeRound.id.desc())))


def has_released_decisions(intake: IntakeRound) -> bool:
    """Whether any decision of the round has been released to its applicant."""
    query = select(
        exists()
        .where(Decision.application_id == Application.id)
        .where(Application.round_id == intake.id, Decision.released_at.is_not(None))
    )
    return bool(db.session.scalar(query))


def round_status(intake: IntakeRound, now: dt.datetime) -> str:
    """`upcoming`, `open` or `closed` at now."""
    if now < intake.opens_at:
        return "upcoming"
    return "open" if intake.is_open(now) else "closed"


def _name_taken(name: str, except_id: int | None) -> bool:
    query = select(func.count(IntakeRound.id)).where(func.lower(IntakeRound.name) == name.lower())
    if except_id is not None:
        query = query.where(IntakeRound.id != except_id)
    return (db.session.scalar(query) or 0) > 0


Moments = dict[str, dt.datetime | None]


def _checked(data: RoundInput, intake: IntakeRound | None, now: dt.datetime) -> tuple[str, Moments]:
    """The stripped name and the UTC moments, or RoundInvalid with every problem found."""
    errors: dict[str, str] = {}
    name = " ".join((data.name or "").split())
    if not name:
        errors["name"] = _("Please give the round a name.")
    elif len(name) > 100:
        errors["name"] = _("Use at most %(count)d characters.", count=100)
    elif _name_taken(name, intake.id if intake else None):
        errors["name"] = _("Another round already has this name.")

    if data.zone not in ROUND_ZONES:
        errors["zone"] = _("Please choose Berlin or Shanghai time.")
        raise RoundInvalid(errors)

    moments: Moments = {}
    for field in DATE_FIELDS:
        local = getattr(data, field)
        if local is None:
            if field in REQUIRED_DATES:
                errors[field] = _("Please enter a date and time.")
            moments[field] = None
            continue
        moment = to_utc(local, data.zone)
        if moment is None:
            errors[field] = _(
                "This time does not exist in %(zone)s: the clocks go forward then. Please choose another time.",
                zone=str(ROUND_ZONES[data.zone]),
            )
        moments[field] = moment

    opens, closes = moments["opens_at"], moments["closes_at"]
    reviews, decisions = moments["reviews_due"], moments["decisions_on"]
    if opens and closes and closes <= opens and "closes_at" not in errors:
        errors["closes_at"] = _("The round must close after it opens.")
    if reviews and closes and reviews <= closes and "reviews_due" not in errors:
        errors["reviews_due"] = _("The review deadline must be after the application deadline.")
    previous = reviews or closes
    if decisions and previous and decisions <= previous and "decisions_on" not in errors:
        errors["decisions_on"] = (
            _("The decision date must be after the review deadline.")
            if reviews
            else _("The decision date must be after the application deadline.")
        )
    if (
        intake is not None
        and closes is not None
        and "closes_at" not in errors
        and intake.closes_at <= now < closes
        and has_released_decisions(intake)
    ):
        errors["closes_at"] = _(
            "Decisions of this round have been released: the round is closed for good and cannot be reopened."
        )
    if errors:
        raise RoundInvalid(errors)
    return name, moments


def _describe(intake: IntakeRound) -> dict[str, str | None]:
    values: dict[str, str | None] = {"name": intake.name}
    for field in DATE_FIELDS:
        moment = getattr(intake, field)
        values[field] = moment.isoformat() if moment else None
    return values


def create_round(data: RoundInput, *, now: dt.datetime) -> IntakeRound:
    """Create a round from the form's data (no commit); raises RoundInvalid and changes nothing when it is wrong."""
    name, moments = _checked(data, None, now)
    intake = IntakeRound(name=name, **moments)
    db.session.add(intake)
    db.session.flush()
    audit.record("round.created", intake, details={**_describe(intake), "entered_in": data.zone})
    return intake


def update_round(intake: IntakeRound, data: RoundInput, *, now: dt.datetime) -> dict[str, list[str | None]]:
    """Change a round's name and dates; returns the changes (old, new). Raises RoundInvalid and changes nothing."""
    name, moments = _checked(data, intake, now)
    before = _describe(intake)
    intake.name = name
    for field, moment in moments.items():
        stored = getattr(intake, field)
        # The form shows whole minutes: a time saved with seconds (opened or closed early) and sent back unchanged
        # keeps its seconds.
        if stored is not None and moment == stored.replace(second=0, microsecond=0):
            continue
        setattr(intake, field, moment)
    after = _describe(intake)
    changes = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
    if changes:
        db.session.flush()
        audit.record("round.updated", intake, details={"changes": changes, "entered_in": data.zone})
    return changes


def open_now(intake: IntakeRound, *, now: dt.datetime) -> None:
    """Open a round that has not opened yet at once (opens_at becomes now)."""
    if intake.opens_at <= now:
        if intake.is_open(now):
            raise RoundError(_("The round is already open."))
        raise RoundError(
            _("The round has closed. To reopen it, edit it and set a later application deadline.")
            if not has_released_decisions(intake)
            else _("Decisions of this round have been released: the round is closed for good and cannot be reopened.")
        )
    previous = intake.opens_at
    intake.opens_at = now
    db.session.flush()
    audit.record("round.opened_early", intake, details={"opens_at": [previous.isoformat(), now.isoformat()]})


def close_now(intake: IntakeRound, *, now: dt.datetime) -> None:
    """Close an open round at once (closes_at becomes now); later deadlines stay as they are."""
    if not intake.is_open(now):
        raise RoundError(
            _("The round has not opened yet: it cannot be closed early.")
            if now < intake.opens_at
            else _("The round is already closed.")
        )
    previous = intake.closes_at
    intake.closes_at = now
    db.session.flush()
    audit.record("round.closed_early", intake, details={"closes_at": [previous.isoformat(), now.isoformat()]})
