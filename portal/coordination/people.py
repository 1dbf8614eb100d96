"""People: invite supervisors and committee members, edit supervisor profiles and committee seats, deactivate and
reactivate accounts, grant and remove roles (never losing the last active administrator), the people list, and the
import of supervisors from a CSV file (checked completely before anything is written).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased

from portal import db
from portal.accounts import services as accounts
from portal.accounts.models import User, UserRole
from portal.core import audit
from portal.core.roles import Role
from portal.core.rules import RuleViolation
from portal.review.models import CommitteeMember
from portal.supervisors.models import Country, ResearchField, SupervisorField, SupervisorProfile, University
from portal.supervisors.services import MAX_CAPACITY, create_profile, profile_of

INVITABLE_ROLES = (Role.SUPERVISOR, Role.COMMITTEE)
PER_PAGE = 50


class PeopleError(RuleViolation):
    """A rule about accounts was broken; the message is shown to the user, next to `field` when given."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def zone_for(university: University) -> str:
    """The time zone a new account at this university starts with."""
    return "Asia/Shanghai" if university.country == Country.CN else "Europe/Berlin"


def language_for(university: University) -> str:
    """The language a new account at this university starts with (when none was chosen)."""
    return "zh" if university.country == Country.CN else "de"


# --- Supervisor profiles and committee seats -----------------------------------------------------------------------


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


def _check_capacity(capacity: int) -> None:
    if not 0 <= capacity <= MAX_CAPACITY:
        raise PeopleError(
            _("The capacity must be a whole number from 0 to %(max)d.", max=MAX_CAPACITY), field="capacity"
        )


def _profile_values(profile: SupervisorProfile) -> dict[str, Any]:
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
    _check_capacity(data.capacity)
    profile = profile_of(user)
    if profile is None:
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
        audit.record("supervisor.profile_created", profile, details=_profile_values(profile))
        return profile
    before = _profile_values(profile)
    profile.university = data.university
    profile.title = data.title.strip()
    profile.department = data.department.strip()
    profile.research_areas = data.research_areas.strip()
    profile.languages = data.languages.strip()
    profile.capacity = data.capacity
    profile.accepting_candidates = data.accepting_candidates
    _set_fields(profile, data.fields)
    db.session.flush()
    after = _profile_values(profile)
    changes = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
    if changes:
        audit.record("supervisor.profile_updated", profile, details={"user_id": user.id, "changes": changes})
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


# --- Invitations ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InvitationResult:
    """What an invitation did, for the message shown afterwards."""

    user: User
    created: bool
    role_added: bool
    invitation_sent: bool


def invite(
    *,
    email: str,
    name: str,
    role: Role,
    language: str,
    university: University,
    profile: ProfileData | None,
    invited_by: User,
) -> InvitationResult:
    """Invite a supervisor or committee member by email.

    A new address gets an account without a password, the role, the profile or seat, and an emailed link to set
    the password. A known address gets the role added instead (and the profile or seat it lacks); it is emailed a
    new link only while it has never set a password.
    """
    if role not in INVITABLE_ROLES:
        raise PeopleError(_("Only supervisors and committee members can be invited."), field="role")
    if language not in current_app.config["LANGUAGES"]:
        raise PeopleError(_("Please choose a language from the list."), field="language")
    if profile is not None:
        _check_capacity(profile.capacity)
    try:
        email = accounts.normalize_email(email)
    except accounts.AccountError as error:
        raise PeopleError(str(error), field="email") from error
    name = " ".join((name or "").split())
    user = accounts.find_user_by_email(email)
    created = role_added = False
    if user is None:
        if not name:
            raise PeopleError(_("Please enter the name."), field="name")
        user = accounts.create_user(
            email=email, name=name, password=None, roles=[role], language=language, timezone=zone_for(university)
        )
        created = role_added = True
    elif not user.has_role(role):
        accounts.grant_role(user, role)
        role_added = True
    if role == Role.SUPERVISOR and profile_of(user) is None:
        save_profile(user, profile or ProfileData(university=university))
    if role == Role.COMMITTEE and seat_of(user) is None:
        save_seat(user, university)
    invitation_sent = user.password_hash is None and user.active
    if invitation_sent:
        accounts.send_invitation(user, invited_by=invited_by)
    audit.record(
        "account.invited",
        user,
        details={"role": str(role), "created": created, "role_added": role_added, "invitation_sent": invitation_sent},
    )
    return InvitationResult(user=user, created=created, role_added=role_added, invitation_sent=invitation_sent)


# --- Activation and roles ------------------------------------------------------------------------------------------


def _active_admin_ids() -> list[int]:
    """The active administrators, their rows locked until the transaction ends (PostgreSQL), so that two
    administrators removing each other at the same moment cannot both succeed."""
    query = (
        select(User.id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.ADMIN, User.active.is_(True))
        .with_for_update()
    )
    return list(db.session.scalars(query))


def _is_last_active_admin(user: User) -> bool:
    return user.active and user.has_role(Role.ADMIN) and _active_admin_ids() == [user.id]


def may_change_activation(actor: User, user: User) -> bool:
    """Whether actor may deactivate or reactivate user: coordinators and admins may, but an administrator's account
    only an administrator (the service then still refuses one's own account and the last active administrator)."""
    if user.has_role(Role.ADMIN):
        return actor.has_role(Role.ADMIN)
    return actor.has_role(Role.COORDINATOR) or actor.has_role(Role.ADMIN)


def set_account_active(user: User, active: bool, *, by: User) -> None:
    """Deactivate (ending every session) or reactivate an account; nothing it refers to is deleted."""
    if user.active == active:
        raise PeopleError(_("The account is already active.") if active else _("The account is already deactivated."))
    if not active and _is_last_active_admin(user):
        raise PeopleError(_("This is the last active administrator: the account cannot be deactivated."))
    if by.id == user.id:
        raise PeopleError(_("You cannot deactivate your own account."))
    accounts.set_active(user, active)
    db.session.flush()


def grant(user: User, role: Role, *, by: User) -> None:
    """An administrator gives a user a role."""
    if user.has_role(role):
        raise PeopleError(_("%(name)s already holds this role.", name=user.name), field="role")
    accounts.grant_role(user, role)


def remove(user: User, role: Role, *, by: User) -> None:
    """An administrator takes a role away; the last active administrator keeps theirs.

    A supervisor's directory entry stays (applications refer to it) but stops accepting candidates.
    """
    held = next((entry for entry in user.roles if entry.role == role), None)
    if held is None:
        raise PeopleError(_("%(name)s does not hold this role.", name=user.name))
    if role == Role.ADMIN and _is_last_active_admin(user):
        raise PeopleError(_("This is the last active administrator: the role cannot be removed."))
    user.roles.remove(held)
    if role == Role.SUPERVISOR:
        profile = profile_of(user)
        if profile is not None and profile.accepting_candidates:
            profile.accepting_candidates = False
    db.session.flush()
    audit.record("account.role_removed", user, details={"role": str(role)})


# --- The people list -----------------------------------------------------------------------------------------------

STATUSES = ("active", "invited", "inactive")


@dataclass(frozen=True)
class PeopleFilter:
    """What the people list's search form asks for."""

    text: str = ""
    role: str = ""
    status: str = ""

    @classmethod
    def from_values(cls, text: str | None, role: str | None, status: str | None) -> PeopleFilter:
        return cls(
            text=(text or "").strip()[:100],
            role=role if role in {r.value for r in Role} else "",
            status=status if status in STATUSES else "",
        )


@dataclass(frozen=True)
class PersonRow:
    id: int
    name: str
    email: str
    active: bool
    invited: bool  # has never set a password
    last_login_at: dt.datetime | None
    roles: list[Role]
    university: str | None


@dataclass(frozen=True)
class PeoplePage:
    rows: list[PersonRow]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def people_page(filters: PeopleFilter, page: int, per_page: int = PER_PAGE) -> PeoplePage:
    """One page of accounts matching the filters, ordered by name, in a single query (the total rides along)."""
    page = max(1, page)
    role_list = (
        select(func.aggregate_strings(UserRole.role, ","))
        .where(UserRole.user_id == User.id)
        .correlate(User)
        .scalar_subquery()
    )
    profile_university = aliased(University)
    seat_university = aliased(University)
    query = (
        select(
            User.id,
            User.name,
            User.email,
            User.active,
            User.password_hash.is_(None).label("invited"),
            User.last_login_at,
            role_list.label("roles"),
            func.coalesce(profile_university.code, seat_university.code).label("university"),
            func.count().over().label("total"),
        )
        .outerjoin(SupervisorProfile, SupervisorProfile.user_id == User.id)
        .outerjoin(profile_university, profile_university.id == SupervisorProfile.university_id)
        .outerjoin(CommitteeMember, CommitteeMember.user_id == User.id)
        .outerjoin(seat_university, seat_university.id == CommitteeMember.university_id)
        .order_by(func.lower(User.name), User.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    if filters.text:
        text = filters.text.lower()
        query = query.where(
            or_(
                func.lower(User.name).contains(text, autoescape=True),
                func.lower(User.email).contains(text, autoescape=True),
            )
        )
    if filters.role:
        query = query.where(User.roles.any(UserRole.role == Role(filters.role)))
    if filters.status == "active":
        query = query.where(User.active.is_(True))
    elif filters.status == "inactive":
        query = query.where(User.active.is_(False))
    elif filters.status == "invited":
        query = query.where(User.password_hash.is_(None), User.active.is_(True))
    rows = db.session.execute(query).all()
    total = rows[0].total if rows else 0
    return PeoplePage(
        rows=[
            PersonRow(
                id=row.id,
                name=row.name,
                email=row.email,
                active=row.active,
                invited=bool(row.invited),
                last_login_at=row.last_login_at,
                roles=sorted(Role(value) for value in (row.roles or "").split(",") if value),
                university=row.university,
            )
            for row in rows
        ],
        page=page,
        per_page=per_page,
        total=total,
    )
