"""Supervisor profiles and committee seats as the coordinators keep them: create or change a directory entry (the
audit log keeps what changed), give a committee member their seat or move it."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from portal import db
from portal.accounts.models import User
from portal.core import audit
from portal.core.roles import Role
from portal.core.rules import RuleViolation
from portal.review.models import CommitteeMember
from portal.supervisors.models import ResearchField, SupervisorField, SupervisorProfile, University
from portal.supervisors.services import check_capacity, create_profile, profile_of


class PeopleError(RuleViolation):
    """A rule about accounts was broken; the message is shown to the user, next to `field` when given."""


class RoleMissing(PeopleError):
    """The person lacks the role this needs: a coordinator can grant it first."""

    category = "warning"


@dataclass(frozen=True)
class ProfileData:
    """A supervisor's directory entry as a form or an import row gives it."""

    university: University
    title: str = ""
    department: str = ""
    research_areas: str = ""
    languages: str = ""
    capacity: int = 2
    accepting_candidates: bool = True
    fields: tuple[ResearchField, ...] = ()

    @classmethod
    def of(cls, profile: SupervisorProfile) -> ProfileData:
        """What the profile holds now."""
        return cls(
            university=profile.university,
            title=profile.title,
            department=profile.department,
            research_areas=profile.research_areas,
            languages=profile.languages,
            capacity=profile.capacity,
            accepting_candidates=profile.accepting_candidates,
            fields=tuple(profile.research_fields),
        )

    def replaced(self, **values: Any) -> ProfileData:
        return dataclasses.replace(self, **values)

    def form_data(self) -> dict[str, Any]:
        """The values as the profile form shows them (codes for the university and the fields)."""
        data = {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}
        return {**data, "university": self.university.code, "fields": [field.value for field in self.fields]}


def _audit_values(profile: SupervisorProfile) -> dict[str, Any]:
    return {
        "university": profile.university.code,
        "title": profile.title,
        "department": profile.department,
        "research_areas": profile.research_areas,
        "languages": profile.languages,
        "capacity": profile.capacity,
        "accepting_candidates": profile.accepting_candidates,
        "fields": sorted(str(entry.field) for entry in profile.fields),
    }


def save_profile(user: User, data: ProfileData) -> SupervisorProfile:
    """Create or update the supervisor's directory entry; the audit log keeps what changed."""
    check_capacity(data.capacity)
    profile = profile_of(user)
    if profile is None:
        return _create(user, data)
    before = _audit_values(profile)
    profile.university = data.university
    profile.title = data.title.strip()
    profile.department = data.department.strip()
    profile.research_areas = data.research_areas.strip()
    profile.languages = data.languages.strip()
    profile.capacity = data.capacity
    profile.accepting_candidates = data.accepting_candidates
    _set_fields(profile, data.fields)
    db.session.flush()
    after = _audit_values(profile)
    changes = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
    if changes:
        audit.record("supervisor.profile_updated", profile, details={"user_id": user.id, "changes": changes})
    return profile


def _create(user: User, data: ProfileData) -> SupervisorProfile:
    profile = create_profile(
        user,
        data.university,
        title=data.title.strip(),
        department=data.department.strip(),
        research_areas=data.research_areas.strip(),
        languages=data.languages.strip(),
        capacity=data.capacity,
        fields=list(dict.fromkeys(data.fields)),
    )
    profile.accepting_candidates = data.accepting_candidates
    db.session.flush()
    audit.record("supervisor.profile_created", profile, details=_audit_values(profile))
    return profile


def _set_fields(profile: SupervisorProfile, fields: tuple[ResearchField, ...] | list[ResearchField]) -> None:
    wanted = list(dict.fromkeys(fields))
    profile.fields = [entry for entry in profile.fields if entry.field in wanted]
    held = {entry.field for entry in profile.fields}
    profile.fields.extend(SupervisorField(field=f) for f in wanted if f not in held)


def seat_of(user: User) -> CommitteeMember | None:
    """The committee member's seat, if they have one."""
    return db.session.scalars(select(CommitteeMember).where(CommitteeMember.user_id == user.id)).first()


def save_seat(user: User, university: University) -> CommitteeMember:
    """Give a committee member their seat at a university, or move it."""
    if not user.has_role(Role.COMMITTEE):
        raise RoleMissing(_("%(name)s is not a committee member: grant the role first.", name=user.name))
    seat = seat_of(user)
    if seat is None:
        seat = CommitteeMember(user=user, university=university)
        db.session.add(seat)
        db.session.flush()
        audit.record("committee.seat_created", seat, details={"user_id": user.id, "university": university.code})
    elif seat.university_id != university.id:
        previous = seat.university.code
        seat.university = university
        db.session.flush()
        audit.record(
            "committee.seat_moved", seat, details={"user_id": user.id, "university": [previous, university.code]}
        )
    return seat
