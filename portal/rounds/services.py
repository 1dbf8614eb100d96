"""Intake rounds: create and edit them with times entered in Berlin or Shanghai time, open and close them early.

Every moment is stored in UTC. A form sends naive wall-clock times together with the zone they were typed in; this
module turns them into UTC, refuses times that do not exist in that zone (the hour skipped when clocks go forward),
checks the order of the deadlines, and refuses to reopen a round whose decisions have been released.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flask import abort
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select

from portal import db
from portal.applications.models import REVIEWS_REQUIRED_DEFAULT, Application, Decision, IntakeRound
from portal.applications.services import current_round
from portal.core import audit
from portal.core.ids import parse_id
from portal.core.rules import RuleViolation
from portal.core.timeutil import utcnow

# The zones in which coordinators enter a round's times.
ROUND_ZONES: dict[str, object] = {
    "Europe/Berlin": _l("Berlin time"),
    "Asia/Shanghai": _l("Shanghai time"),
}
DEFAULT_ZONE = "Europe/Berlin"

# The dated fields of a round, in the order they must follow each other.
DATE_FIELDS = ("opens_at", "closes_at", "referees_due", "reviews_due", "decisions_on")
REQUIRED_DATES = ("opens_at", "closes_at")
MAX_REVIEWS_REQUIRED = 10  # the database's check constraint says the same


def _closed_for_good() -> str:
    """Why a round whose decisions were released cannot be reopened."""
    return _("Decisions of this round have been released: the round is closed for good and cannot be reopened.")


class RoundError(RuleViolation):
    """A rule about rounds was broken; the message is shown to the coordinator."""


class RoundInvalid(RoundError):
    """The round's data is not acceptable; `fields` maps form fields to the reason shown next to them."""

    def __init__(self, errors: dict[str, str]) -> None:
        # No message of its own: every reason belongs to a field of the form.
        super().__init__("", fields=errors)


@dataclass(frozen=True)
class RoundInput:
    """What the round form sends: the name and naive wall-clock times in `zone`."""

    name: str
    zone: str
    opens_at: dt.datetime | None
    closes_at: dt.datetime | None
    reviews_due: dt.datetime | None = None
    decisions_on: dt.datetime | None = None
    same_university_conflict: bool = True
    referees_due: dt.datetime | None = None
    reviews_required: int | None = REVIEWS_REQUIRED_DEFAULT
    # The coordinator confirmed that the edit closes a round with released decisions for good.
    confirm_close: bool = False


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


def round_asked_for(value: str | None, rounds: list[IntakeRound] | None = None) -> IntakeRound | None:
    """The round a coordinator's page shows (`?round=`): the one asked for (404 when there is no such round), else the
    current one (None when there is no round at all); among `rounds` when the page has read them already."""
    if value in (None, ""):
        return current_round(utcnow(), rounds)
    round_id = parse_id(value)
    if rounds is not None:
        intake = next((each for each in rounds if each.id == round_id), None)
    else:
        intake = db.session.get(IntakeRound, round_id) if round_id is not None else None
    if intake is None:
        abort(404)
    return intake


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
    name = _checked_name(data.name, intake, errors)
    if data.zone not in ROUND_ZONES:
        errors["zone"] = _("Please choose Berlin or Shanghai time.")
        raise RoundInvalid(errors)
    moments = _checked_moments(data, errors)
    _check_order(moments, errors)
    _check_not_reopened(intake, moments["closes_at"], now, errors)
    _check_closing_for_good(intake, moments["closes_at"], now, data.confirm_close, errors)
    if data.reviews_required is None or not 0 <= data.reviews_required <= MAX_REVIEWS_REQUIRED:
        errors["reviews_required"] = _("Please give a number from 0 to %(max)d.", max=MAX_REVIEWS_REQUIRED)
    if errors:
        raise RoundInvalid(errors)
    return name, moments


def _checked_name(raw: str, intake: IntakeRound | None, errors: dict[str, str]) -> str:
    """The name with its white space tidied; a missing, long or taken name is noted in errors."""
    name = " ".join((raw or "").split())
    if not name:
        errors["name"] = _("Please give the round a name.")
    elif len(name) > 100:
        errors["name"] = _("Use at most %(count)d characters.", count=100)
    elif _name_taken(name, intake.id if intake else None):
        errors["name"] = _("Another round already has this name.")
    return name


def _checked_moments(data: RoundInput, errors: dict[str, str]) -> Moments:
    """The form's wall-clock times as UTC moments; a missing required time or one that does not exist is noted."""
    moments: Moments = {}
    for field in DATE_FIELDS:
        local = getattr(data, field)
        if local is None:
            if field in REQUIRED_DATES:
                errors[field] = _("Please enter a date and time.")
            moments[field] = None
            continue
        moments[field] = to_utc(local, data.zone)
        if moments[field] is None:
            errors[field] = _(
                "This time does not exist in %(zone)s: the clocks go forward then. Please choose another time.",
                zone=str(ROUND_ZONES[data.zone]),
            )
    return moments


def _check_order(moments: Moments, errors: dict[str, str]) -> None:
    """The deadlines follow each other: opening, application deadline, review deadline (if any), decision date."""
    reviews_given = moments["reviews_due"] is not None
    rules = (
        ("closes_at", "opens_at", _("The round must close after it opens.")),
        ("reviews_due", "closes_at", _("The review deadline must be after the application deadline.")),
        (
            "decisions_on",
            "reviews_due" if reviews_given else "closes_at",
            _("The decision date must be after the review deadline.")
            if reviews_given
            else _("The decision date must be after the application deadline."),
        ),
    )
    for later, earlier, message in rules:
        if later not in errors and _not_after(moments[later], moments[earlier]):
            errors[later] = message
    if "referees_due" not in errors and _not_after(moments["referees_due"], moments["opens_at"]):
        errors["referees_due"] = _("The referees' deadline must be after the round opens.")
    if "referees_due" not in errors and _not_after(moments["reviews_due"], moments["referees_due"]):
        errors["referees_due"] = _("The referees' deadline must be before the review deadline.")


def _not_after(later: dt.datetime | None, earlier: dt.datetime | None) -> bool:
    return later is not None and earlier is not None and later <= earlier


def _check_not_reopened(
    intake: IntakeRound | None, closes: dt.datetime | None, now: dt.datetime, errors: dict[str, str]
) -> None:
    """A closed round whose decisions were released stays closed: a later deadline would reopen it."""
    if intake is None or closes is None or "closes_at" in errors:
        return
    if intake.closes_at <= now < closes and has_released_decisions(intake):
        errors["closes_at"] = _closed_for_good()


def _check_closing_for_good(
    intake: IntakeRound | None, closes: dt.datetime | None, now: dt.datetime, confirmed: bool, errors: dict[str, str]
) -> None:
    """Moving the deadline of a round not yet closed into the past, once decisions are released, closes it for good:
    asked first."""
    if intake is None or closes is None or confirmed or "closes_at" in errors:
        return
    if closes <= now < intake.closes_at and has_released_decisions(intake):
        errors["confirm_close"] = _(
            "With this application deadline the round closes now, and since decisions of it have been released it "
            "can never be reopened. Please confirm that you want this."
        )


def _describe(intake: IntakeRound) -> dict[str, str | bool | int | None]:
    values: dict[str, str | bool | int | None] = {"name": intake.name}
    for field in DATE_FIELDS:
        moment = getattr(intake, field)
        values[field] = moment.isoformat() if moment else None
    values["same_university_conflict"] = intake.same_university_conflict
    values["reviews_required"] = intake.reviews_required
    return values


def create_round(data: RoundInput, *, now: dt.datetime) -> IntakeRound:
    """Create a round from the form's data (no commit); raises RoundInvalid and changes nothing when it is wrong."""
    name, moments = _checked(data, None, now)
    intake = IntakeRound(
        name=name,
        same_university_conflict=data.same_university_conflict,
        reviews_required=data.reviews_required,
        **moments,
    )
    db.session.add(intake)
    db.session.flush()
    audit.record("round.created", intake, details={**_describe(intake), "entered_in": data.zone})
    return intake


def update_round(intake: IntakeRound, data: RoundInput, *, now: dt.datetime) -> dict[str, list[str | bool | None]]:
    """Change a round's name, dates and settings; returns the changes (old, new). Raises RoundInvalid and changes
    nothing."""
    name, moments = _checked(data, intake, now)
    before = _describe(intake)
    intake.name = name
    intake.same_university_conflict = data.same_university_conflict
    intake.reviews_required = data.reviews_required
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
        details = {"changes": changes, "entered_in": data.zone}
        if data.confirm_close and "closes_at" in changes and intake.closes_at <= now:
            details["closed_for_good_confirmed"] = True
        audit.record("round.updated", intake, details=details)
    return changes


def open_now(intake: IntakeRound, *, now: dt.datetime) -> None:
    """Open a round that has not opened yet at once (opens_at becomes now)."""
    if intake.opens_at <= now:
        if intake.is_open(now):
            raise RoundError(_("The round is already open."))
        raise RoundError(
            _("The round has closed. To reopen it, edit it and set a later application deadline.")
            if not has_released_decisions(intake)
            else _closed_for_good()
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
