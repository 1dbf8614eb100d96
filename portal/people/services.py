"""People: invite supervisors and committee members, deactivate and reactivate accounts, grant and remove roles (never
losing the last active administrator). Profiles and seats are in profiles.py, the list in directory.py, the import
of supervisors from a CSV file in supervisor_import.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from portal import db
from portal.accounts import services as accounts
from portal.accounts.models import User, UserRole
from portal.core import audit
from portal.core.roles import Role
from portal.people.profiles import PeopleError, ProfileData, save_profile, save_seat, seat_of
from portal.supervisors.models import Country, University
from portal.supervisors.services import check_capacity, profile_of

INVITABLE_ROLES = (Role.SUPERVISOR, Role.COMMITTEE)


def zone_for(university: University) -> str:
    """The time zone a new account at this university starts with."""
    return "Asia/Shanghai" if university.country == Country.CN else "Europe/Berlin"


def language_for(university: University) -> str:
    """The language a new account at this university starts with (when none was chosen)."""
    return "zh" if university.country == Country.CN else "de"


# --- Invitations ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Invitation:
    """Who is invited, as what, in which language; a supervisor's profile (None for a committee member)."""

    email: str
    name: str
    role: Role
    language: str
    university: University
    profile: ProfileData | None = None


@dataclass(frozen=True)
class InvitationResult:
    """What an invitation did, for the message shown afterwards."""

    user: User
    role: Role
    created: bool
    role_added: bool
    invitation_sent: bool


def invite(invitation: Invitation, *, invited_by: User) -> InvitationResult:
    """Invite a supervisor or committee member by email.

    A new address gets an account without a password, the role, the profile or seat, and an emailed link to set
    the password. A known address gets the role added instead (and the profile or seat it lacks); it is emailed a
    new link only while it has never set a password.
    """
    email = _checked(invitation)
    user, created, role_added = _account_for(invitation, email)
    if invitation.role == Role.SUPERVISOR and profile_of(user) is None:
        save_profile(user, invitation.profile or ProfileData(university=invitation.university))
    if invitation.role == Role.COMMITTEE and seat_of(user) is None:
        save_seat(user, invitation.university)
    invitation_sent = user.password_hash is None and user.active
    if invitation_sent:
        accounts.send_invitation(user, invited_by=invited_by)
    details = {"role": str(invitation.role), "created": created, "role_added": role_added}
    audit.record("account.invited", user, details={**details, "invitation_sent": invitation_sent})
    return InvitationResult(user, invitation.role, created, role_added, invitation_sent)


def _checked(invitation: Invitation) -> str:
    """The invitation's address in canonical form; PeopleError next to the field that is not acceptable."""
    if invitation.role not in INVITABLE_ROLES:
        raise PeopleError(_("Only supervisors and committee members can be invited."), field="role")
    if invitation.language not in current_app.config["LANGUAGES"]:
        raise PeopleError(_("Please choose a language from the list."), field="language")
    if invitation.profile is not None:
        check_capacity(invitation.profile.capacity)
    try:
        return accounts.normalize_email(invitation.email)
    except accounts.AccountError as error:
        raise PeopleError(str(error), field="email") from error


def _account_for(invitation: Invitation, email: str) -> tuple[User, bool, bool]:
    """The invited account (created when the address is new) holding the role; (user, created, role added)."""
    user = accounts.find_user_by_email(email)
    if user is None:
        name = " ".join((invitation.name or "").split())
        if not name:
            raise PeopleError(_("Please enter the name."), field="name")
        user = accounts.create_user(
            email=email,
            name=name,
            password=None,
            roles=[invitation.role],
            language=invitation.language,
            timezone=zone_for(invitation.university),
        )
        return user, True, True
    if user.has_role(invitation.role):
        return user, False, False
    accounts.grant_role(user, invitation.role)
    return user, False, True


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
