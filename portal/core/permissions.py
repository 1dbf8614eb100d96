"""The role decorator that every view declares; object checks live in each domain's permissions.py."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, request
from flask_login import current_user

from portal.core.kept_posts import answer_refused_post
from portal.extensions import login_manager

from .roles import Role

F = TypeVar("F", bound=Callable[..., Any])

PUBLIC = "public"


def roles_required(*roles: Role | str) -> Callable[[F], F]:
    """Allow the view to users holding any of the given roles; anonymous visitors are sent to login, others get 403.

    `roles_required()` with no role admits any signed-in user; `roles_required(PUBLIC)` marks a view as open to all.
    """
    wanted = {str(role) for role in roles}

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if PUBLIC in wanted:
                return view(*args, **kwargs)
            if not current_user.is_authenticated:
                # A form sent after the session ended is kept for the page it came from (portal/core/kept_posts.py).
                kept = answer_refused_post(signed_in=False) if request.method == "POST" else None
                return kept if kept is not None else login_manager.unauthorized()
            if wanted and not any(current_user.has_role(role) for role in wanted):
                abort(403)
            return view(*args, **kwargs)

        wrapped.portal_roles = frozenset(wanted)  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


def public(view: F) -> F:
    """Mark a view as open to everyone, so that the route audit can tell it was declared on purpose."""
    return roles_required(PUBLIC)(view)


def login_required(view: F) -> F:
    """Allow any signed-in user."""
    return roles_required()(view)


# The one spelling of each role's decorator; views combine roles with roles_required(...) only where no name fits.
applicant_only = roles_required(Role.APPLICANT)
supervisor_only = roles_required(Role.SUPERVISOR)
committee_only = roles_required(Role.COMMITTEE)
coordinator_only = roles_required(Role.COORDINATOR)
admin_only = roles_required(Role.ADMIN)
staff_only = roles_required(Role.COORDINATOR, Role.ADMIN)
reviewer_or_coordinator = roles_required(Role.COMMITTEE, Role.COORDINATOR)
