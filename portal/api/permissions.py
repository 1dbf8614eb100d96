"""Who may hold tokens and what a token's account may read: the same roles as the pages that show the same things,
and for one application the staff record's object check (portal/reporting/permissions.py)."""

from __future__ import annotations

from portal.accounts.models import User
from portal.api.models import ApiToken, Scope
from portal.applications.models import Application
from portal.core.roles import Role
from portal.reporting.permissions import may_open_record

# The roles of the pages showing the same: the applications list, the decision page and the rounds are the
# coordinators'; the people list is the coordinators' and the admins'.
SCOPE_ROLES: dict[Scope, frozenset[str]] = {
    Scope.APPLICATIONS: frozenset({Role.COORDINATOR.value}),
    Scope.DECISIONS: frozenset({Role.COORDINATOR.value}),
    Scope.ROUNDS: frozenset({Role.COORDINATOR.value}),
    Scope.PEOPLE: frozenset({Role.COORDINATOR.value, Role.ADMIN.value}),
}
TOKEN_ROLES = frozenset({Role.COORDINATOR.value, Role.ADMIN.value})


def may_hold_tokens(user: User) -> bool:
    """Personal access tokens are for the staff's integrations."""
    return any(user.has_role(role) for role in TOKEN_ROLES)


def may_read(user: User, scope: Scope) -> bool:
    """Whether the token's account still holds a role whose pages show what the scope reads."""
    return any(user.has_role(role) for role in SCOPE_ROLES[scope])


def may_read_application(user: User, application: Application) -> bool:
    """One application: as its staff record."""
    return may_open_record(user, application)


def may_revoke(user: User, token: ApiToken) -> bool:
    """Only the token's owner revokes it (and may always, whatever their roles now)."""
    return token.user_id == user.id
