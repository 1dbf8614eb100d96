"""The one gate of every API endpoint: a valid token (401 otherwise), the scope the endpoint reads (403), a role whose
pages show the same (403), the per-token throttle (429), and the audited use."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import g
from flask_babel import gettext as _

from portal.api import services
from portal.api.models import Scope
from portal.api.permissions import SCOPE_ROLES, may_read
from portal.api.problems import fail
from portal.extensions import limiter

F = TypeVar("F", bound=Callable[..., Any])
API_THROTTLE_SCOPE = "api-token"


def token_required(scope: Scope) -> Callable[[F], F]:
    """Admit requests whose bearer token holds scope and whose account may read it; the signed-in browser session
    plays no part (so no CSRF check is needed: nothing a browser sends by itself opens the API)."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            token = services.authenticate(services.presented_token())
            if token is None:
                fail(401, _("A valid personal access token is required (Authorization: Bearer …)."))
            g._login_user = token.user  # Flask-Login's per-request user: the token's account, never the cookie's
            if not token.has_scope(scope):
                fail(403, _("The token lacks the scope %(scope)s.", scope=scope.value), required_scope=scope.value)
            if not may_read(token.user, scope):
                fail(403, _("The token's account may not read this."))
            services.note_use(token)
            return view(*args, **kwargs)

        wrapped.portal_roles = SCOPE_ROLES[scope]  # type: ignore[attr-defined]
        limited = limiter.shared_limit(services.api_limit, API_THROTTLE_SCOPE, key_func=services.throttle_key)(wrapped)
        return limited  # type: ignore[return-value]

    return decorator
