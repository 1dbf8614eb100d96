"""Reading and maintaining the universities and the supervisor directory."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import Select, func, or_, select

from portal import db
from portal.accounts.models import User
from portal.core import audit
from portal.core.rules import RuleViolation
from portal.supervisors.models import Country, ResearchField, SupervisorField, SupervisorProfile, University
from portal.supervisors.universities import UNIVERSITIES


def list_universities() -> list[University]:
    """The nine universities, German ones first, in a stable order."""
    return list(db.session.scalars(select(University).order_by(University.country.desc(), University.id)))


def university_choices() -> list[tuple[str, str]]:
    """(code, name in the viewer's language) of the nine universities, German ones first, as list_universities orders
    them: from the portal's reference data (what sync_universities writes), so that a filter form reads nothing."""
    locale = get_locale()
    key = {"de": "name_de", "zh": "name_zh"}.get(locale.language if locale else "en", "name_en")
    return [(row["code"], row[key]) for row in sorted(UNIVERSITIES, key=lambda row: row["country"], reverse=True)]


def sync_universities() -> int:
    """Insert or update the nine universities from the portal's reference data; returns how many changed."""
    existing = {u.code: u for u in db.session.scalars(select(University))}
    changed = 0
    for row in UNIVERSITIES:
        university = existing.get(row["code"])
        if university is None:
            db.session.add(University(**{**row, "country": Country(row["country"])}))
            changed += 1
            continue
        for key, value in row.items():
            value = Country(value) if key == "country" else value
            if getattr(university, key) != value:
                setattr(university, key, value)
                changed += 1
    db.session.flush()
    return changed


def university_by_code(code: str) -> University | None:
    """The university with this code (e.g. TUC, TONGJI)."""
    return db.session.scalars(select(University).where(University.code == code.upper())).first()


def create_profile(
    user: User,
    university: University,
    *,
    title: str = "",
    department: str = "",
    research_areas: str = "",
    languages: str = "",
    capacity: int = 2,
    fields: list[ResearchField] | None = None,
) -> SupervisorProfile:
    """Give a supervisor their directory entry (no commit)."""
    profile = SupervisorProfile(
        user=user,
        university=university,
        title=title,
        department=department,
        research_areas=research_areas,
        languages=languages,
        capacity=capacity,
        fields=[SupervisorField(field=field) for field in (fields or [])],
    )
    db.session.add(profile)
    db.session.flush()
    return profile


def profile_of(user: User) -> SupervisorProfile | None:
    """The user's directory entry, if they have one."""
    return db.session.scalars(select(SupervisorProfile).where(SupervisorProfile.user_id == user.id)).first()


@dataclass(frozen=True)
class DirectoryFilter:
    """What the directory's search form asks for."""

    text: str = ""
    university: str = ""
    field: str = ""
    country: str = ""

    @classmethod
    def from_values(cls, values: Mapping[str, str]) -> DirectoryFilter:
        """The filter a search form sent: the text (q, at most 100 characters), a university code, a research field."""
        return cls(
            text=values.get("q", "")[:100], university=values.get("university", ""), field=values.get("field", "")
        )


def directory_query(filters: DirectoryFilter) -> Select:
    """Active supervisors matching the filters, ordered by university and name (users and universities joined)."""
    query = (
        select(SupervisorProfile)
        .join(SupervisorProfile.user)
        .join(SupervisorProfile.university)
        .where(User.active.is_(True))
        .order_by(University.country.desc(), University.id, User.name)
    )
    if filters.text.strip():
        pattern = "%" + filters.text.strip().lower().replace("%", "").replace("_", "") + "%"
        query = query.where(
            or_(
                func.lower(User.name).like(pattern),
                func.lower(SupervisorProfile.department).like(pattern),
                func.lower(SupervisorProfile.research_areas).like(pattern),
            )
        )
    if filters.university:
        query = query.where(University.code == filters.university)
    if filters.country in {c.value for c in Country}:
        query = query.where(University.country == Country(filters.country))
    if filters.field in {f.value for f in ResearchField}:
        query = query.where(SupervisorProfile.fields.any(SupervisorField.field == ResearchField(filters.field)))
    return query


def list_supervisors(filters: DirectoryFilter) -> list[SupervisorProfile]:
    """The directory's entries for the filters."""
    return list(db.session.scalars(directory_query(filters)))


# The most candidates a supervisor may take in one round (whoever sets the number: the supervisor or a coordinator).
MAX_CAPACITY = 20


class AvailabilityError(RuleViolation):
    """The availability asked for is not possible; the message is for the person who asked."""


def capacity_in_range(capacity: int | None) -> bool:
    """Whether a supervisor may take this many candidates per round: a whole number from 0 to MAX_CAPACITY."""
    return capacity is not None and 0 <= capacity <= MAX_CAPACITY


def check_capacity(capacity: int | None, *, field: str | None = "capacity") -> int:
    """The capacity, if it is a whole number of candidates per round from 0 to MAX_CAPACITY; refused otherwise."""
    if not capacity_in_range(capacity):
        raise AvailabilityError(
            _("Please give a number of candidates between 0 and %(max)d.", max=MAX_CAPACITY), field=field
        )
    return capacity


def set_availability(profile: SupervisorProfile, *, accepting: bool, capacity: int) -> None:
    """A supervisor says whether they take new candidates and how many per round."""
    check_capacity(capacity)
    before = {"accepting": profile.accepting_candidates, "capacity": profile.capacity}
    profile.accepting_candidates = accepting
    profile.capacity = capacity
    db.session.flush()
    audit.record(
        "supervisor.availability_changed",
        profile,
        details={"before": before, "after": {"accepting": accepting, "capacity": capacity}},
    )
