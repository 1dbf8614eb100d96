"""Starting and ending a view-as, and the rules of who may be viewed: never another administrator, never oneself."""

from __future__ import annotations

from flask import session
from flask_babel import lazy_gettext as _l

from portal import db
from portal.accounts.models import User
from portal.accounts.services import find_user_by_email
from portal.core import audit
from portal.core.roles import Role
from portal.core.rules import RuleViolation

VIEW_AS = "view_as"


def viewable(admin: User, target: User | None) -> str | None:
    """Why the admin may not view the portal as target, or None."""
    if target is None:
        return str(_l("No account uses this email address."))
    if target.id == admin.id:
        return str(_l("You cannot view the portal as yourself."))
    if target.has_role(Role.ADMIN):
        return str(_l("You cannot view the portal as another administrator."))
    if not target.active:
        return str(_l("This account is deactivated."))
    return None


def start(admin: User, email: str) -> User:
    """Begin viewing the portal as the person with this email address (in this browser only); audited."""
    target = find_user_by_email(email or "")
    reason = viewable(admin, target)
    if reason:
        raise RuleViolation(reason, field="email")
    session[VIEW_AS] = {"user": target.id, "admin": admin.id}
    audit.record("view_as.start", target, actor_id=admin.id)
    return target


def state() -> dict | None:
    """The view-as of this browser's session: {"user": id, "admin": id}, or None."""
    value = session.get(VIEW_AS)
    return value if isinstance(value, dict) and isinstance(value.get("user"), int) else None


def end(admin: User) -> User | None:
    """Stop viewing as; audited. The person who was viewed, if any."""
    current = state()
    session.pop(VIEW_AS, None)
    if current is None:
        return None
    target = db.session.get(User, current["user"])
    audit.record("view_as.end", target, actor_id=admin.id)
    return target
