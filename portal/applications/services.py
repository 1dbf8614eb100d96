"""Application rules: the rounds and the one open now, drafts and whether they may still change, the steps' saves,
the choice of the two supervisors."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import abort
from flask_babel import gettext as _
from sqlalchemy import func, select

from portal import db
from portal.accounts.models import User
from portal.applications.capacity import CapacityLoad, admitted_counts, capacity_message
from portal.applications.consent import record_consents
from portal.applications.models import (
    Application,
    ApplicationState,
    DegreeLevel,
    Education,
    IntakeRound,
    LanguageLevel,
)
from portal.core import audit
from portal.core.countries import is_country
from portal.core.rules import RuleViolation
from portal.core.versions import check_version, flush_or_stale, version_of
from portal.supervisors.models import Country, ResearchField, SupervisorProfile
from portal.supervisors.services import DirectoryFilter, directory_query


class ApplicationError(RuleViolation):
    """A rule of the application refused the change; the message is for the user, shown next to `field` when given."""


# Until review/decisions.py imports portal.core.versions itself (the review team's part of issue 9): delete at merge.
flush_or_conflict = flush_or_stale

# Fields each simple step may write; anything else in the data is ignored.
STEP_FIELDS: dict[str, tuple[str, ...]] = {
    "personal": ("family_name", "given_names", "native_name", "date_of_birth", "nationality", "address", "phone"),
    "languages": (
        "english_level",
        "english_certificate",
        "german_level",
        "german_certificate",
        "chinese_level",
        "chinese_hsk",
        "chinese_certificate",
    ),
    "proposal": ("proposal_title", "research_field", "abstract", "keywords"),
}


ENUM_FIELDS = {
    "english_level": LanguageLevel,
    "german_level": LanguageLevel,
    "chinese_level": LanguageLevel,
    "research_field": ResearchField,
}


# --- Rounds --------------------------------------------------------------------------------------------------------


def current_round(now: dt.datetime, rounds: list[IntakeRound] | None = None) -> IntakeRound | None:
    """The round open at now, else the next one to open, else the most recently closed one; chosen among `rounds` (as
    list_rounds gives them) when the caller has read them already, so that a page reads the rounds once."""
    rounds = list_rounds() if rounds is None else rounds
    open_rounds = [intake for intake in rounds if intake.opens_at <= now < intake.closes_at]
    if open_rounds:
        return min(open_rounds, key=lambda intake: intake.closes_at)
    upcoming = [intake for intake in rounds if intake.opens_at > now]
    if upcoming:
        return min(upcoming, key=lambda intake: intake.opens_at)
    return max(rounds, key=lambda intake: intake.closes_at, default=None)


def list_rounds() -> list[IntakeRound]:
    """Every round, newest first (for the round choosers)."""
    return list(db.session.scalars(select(IntakeRound).order_by(IntakeRound.closes_at.desc())))


def round_or_404(round_id: int) -> IntakeRound:
    """The round with this id; 404 when there is none (the one loader of a round named in an address)."""
    intake = db.session.get(IntakeRound, round_id)
    if intake is None:
        abort(404)
    return intake


# --- Drafts and whether they may still change ----------------------------------------------------------------------


def applications_of(user: User) -> list[Application]:
    """The user's applications, newest round first."""
    query = select(Application).join(IntakeRound).where(Application.applicant_id == user.id)
    return list(db.session.scalars(query.order_by(IntakeRound.closes_at.desc())))


def application_in_round(user: User, intake: IntakeRound) -> Application | None:
    """The user's application in the round, if they have started one."""
    return db.session.scalars(
        select(Application).where(Application.applicant_id == user.id, Application.round_id == intake.id)
    ).first()


def start_application(user: User, intake: IntakeRound | None, now: dt.datetime) -> Application:
    """The user's draft in the round, created if needed; only in an open round and with a confirmed email."""
    existing = application_in_round(user, intake) if intake is not None else None
    if existing is not None:
        return existing
    if intake is None or not intake.is_open(now):
        raise ApplicationError(_("Applications for this round are not accepted at this time."))
    if not user.email_confirmed:
        raise ApplicationError(_("Please confirm your email address before you start your application."))
    application = Application(intake_round=intake, applicant=user, family_name="", given_names="")
    db.session.add(application)
    db.session.flush()
    audit.record("application.created", application)
    return application


def edit_refusal(application: Application, now: dt.datetime) -> str | None:
    """Why the application can no longer change at now, or None while it can: a draft, in its open round.

    The one rule: `ensure_editable` refuses with this reason, pages ask it to show or hide their forms."""
    if application.state != ApplicationState.DRAFT:
        return _("This application has been submitted and can no longer be changed.")
    if not application.intake_round.is_open(now):
        return _("The application deadline has passed: the application can no longer be changed.")
    return None


def ensure_editable(application: Application, expected_version: int | None, now: dt.datetime) -> None:
    """Refuse changes to a submitted application, after the deadline, or from a form loaded before another save."""
    reason = edit_refusal(application, now)
    if reason is not None:
        raise ApplicationError(reason)
    check_version(application, expected_version)


def touch(application: Application, now: dt.datetime) -> None:
    """Write the application row, so that its version moves on even when only its parts changed (other open forms
    notice); a save that lost the race to another one is refused as stale."""
    application.updated_at = now
    flush_or_stale(lambda: version_of(application))


# --- The simple steps and the degrees ------------------------------------------------------------------------------


def save_step(
    application: Application, step: str, data: dict[str, Any], *, expected_version: int | None, now: dt.datetime
) -> None:
    """Save a simple step's fields as a draft (incomplete values are allowed until submission)."""
    ensure_editable(application, expected_version, now)
    _check_step_values(step, data)  # before any change, so that a refused save leaves the application untouched
    for name in STEP_FIELDS[step]:
        if name in data:
            setattr(application, name, _column_value(name, data[name]))
    if step == "personal":
        record_consents(application, data, now)
    touch(application, now)


def _check_step_values(step: str, data: dict[str, Any]) -> None:
    if step == "personal" and data.get("nationality") and not is_country(data["nationality"]):
        raise ApplicationError(_("Please choose a country from the list."), field="nationality")
    hsk = data.get("chinese_hsk")
    if step == "languages" and hsk is not None and not 1 <= int(hsk) <= 9:
        raise ApplicationError(_("HSK levels go from 1 to 9."), field="chinese_hsk")


def _column_value(name: str, value: Any) -> Any:
    """A sent value as its column keeps it: an enum member, stripped text, "" for a text the browser did not send."""
    if name in ENUM_FIELDS:
        return ENUM_FIELDS[name](value) if value else None
    if isinstance(value, str):
        return value.strip()
    if value is None and not Application.__table__.c[name].nullable:
        return ""
    return value


def add_education(
    application: Application, data: dict[str, Any], *, expected_version: int | None, now: dt.datetime
) -> Education:
    """Add a degree to the draft."""
    ensure_editable(application, expected_version, now)
    if not is_country(data["country"]):
        raise ApplicationError(_("Please choose a country from the list."), field="country")
    if not 1950 <= int(data["year"]) <= now.year + 2:
        raise ApplicationError(_("Please enter the year the degree was (or will be) awarded."), field="year")
    entry = Education(
        level=DegreeLevel(data["level"]),
        **{
            key: str(data[key]).strip()
            for key in ("degree", "subject", "institution", "country", "grade", "grading_scale")
        },
        year=int(data["year"]),
    )
    application.education.append(entry)
    touch(application, now)
    return entry


def remove_education(
    application: Application, education_id: int, *, expected_version: int | None, now: dt.datetime
) -> None:
    """Remove one of the draft's degrees."""
    ensure_editable(application, expected_version, now)
    entry = next((e for e in application.education if e.id == education_id), None)
    if entry is None:
        raise ApplicationError(_("This degree is not part of your application."))
    application.education.remove(entry)
    touch(application, now)


# --- Supervisors -------------------------------------------------------------------------------------------------


def supervisor_directory(filters: DirectoryFilter, round_id: int | None = None) -> list[CapacityLoad]:
    """Supervisors matching the filters with their admitted count in the round: one query for the whole list."""
    counts = admitted_counts(round_id)
    query = (
        directory_query(filters)
        .add_columns(func.coalesce(counts.c.admitted, 0))
        .outerjoin(counts, counts.c.profile_id == SupervisorProfile.id)
    )
    return [CapacityLoad(profile, admitted) for profile, admitted in db.session.execute(query)]


def _check_supervisor(profile_id: int | None, country: Country, round_id: int, field: str) -> SupervisorProfile:
    entry = next(
        (
            e
            for e in supervisor_directory(DirectoryFilter(country=country.value), round_id)
            if e.profile.id == profile_id
        ),
        None,
    )
    if entry is None:
        message = (
            _("Please choose a supervisor at one of the five German universities.")
            if country == Country.DE
            else _("Please choose a supervisor at one of the four Chinese universities.")
        )
        raise ApplicationError(message, field=field)
    if not entry.available:
        raise ApplicationError(capacity_message(entry.profile), field=field)
    return entry.profile


def choose_supervisors(
    application: Application,
    *,
    german_id: int | None,
    chinese_id: int | None,
    motivation: str,
    expected_version: int | None,
    now: dt.datetime,
) -> None:
    """Record the German and the Chinese co-supervisor; each must be available in the application's round."""
    ensure_editable(application, expected_version, now)
    german = _check_supervisor(german_id, Country.DE, application.round_id, "german_supervisor") if german_id else None
    chinese = (
        _check_supervisor(chinese_id, Country.CN, application.round_id, "chinese_supervisor") if chinese_id else None
    )
    application.german_supervisor = german
    application.chinese_supervisor = chinese
    application.supervisor_motivation = (motivation or "").strip()
    touch(application, now)


@dataclass(frozen=True)
class SupervisorChoices:
    """Step 5's options on each side, and the directory entries shown beside them."""

    german: list[tuple[str, str]]
    chinese: list[tuple[str, str]]
    entries: list[CapacityLoad]


def supervisor_choices(application: Application, filters: DirectoryFilter) -> SupervisorChoices:
    """Step 5: every available supervisor (and the ones already chosen) as options on each side; the filters only
    narrow the directory table shown beside them, so a search never drops a choice."""
    everyone = supervisor_directory(DirectoryFilter(), application.round_id)
    chosen = {application.german_supervisor_id, application.chinese_supervisor_id} - {None}
    searched = filters != DirectoryFilter()
    entries = supervisor_directory(filters, application.round_id) if searched else everyone

    def options(country: Country) -> list[tuple[str, str]]:
        return [
            (str(e.profile.id), f"{e.profile.display_name} ({e.profile.university.name})")
            for e in everyone
            if e.profile.university.country == country and (e.available or e.profile.id in chosen)
        ]

    return SupervisorChoices(options(Country.DE), options(Country.CN), entries)
