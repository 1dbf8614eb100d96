"""Who may change whom: the one answer to "may this person deactivate or reactivate that account"."""

from __future__ import annotations

from portal.accounts.models import User
from portal.core.roles import Role


def may_change_activation(actor: User, user: User) -> bool:
    """Whether actor may deactivate or reactivate user: coordinators and admins may, but an administrator's account
    only an administrator (the service then still refuses one's own account and the last active administrator)."""
    if user.has_role(Role.ADMIN):
        return actor.has_role(Role.ADMIN)
    return actor.has_role(Role.COORDINATOR) or actor.has_role(Role.ADMIN)
