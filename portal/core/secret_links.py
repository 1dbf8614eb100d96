"""Pages behind secret links (referee letters, email confirmation, password reset, invitations): one way to guard them.

Such a page is throttled per client address for every method (opening a link is a guess at a token as much as
sending its form is), is sent with `Referrer-Policy: no-referrer` (the token in its address must not leak to any
other page or site), and answers every link that does not work, whatever is wrong with it (an id that does not
exist or cannot exist, a wrong token, an expired or used link), with the same 404: the domains raise their "link
unusable" error for each case, and ids that cannot exist reach the view as 0 instead of failing the route.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app, request
from werkzeug.routing import BaseConverter

from portal.core.ids import parse_id
from portal.extensions import limiter

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_SECRET_LINK_LIMIT = "60 per hour"  # noqa: S105 - a rate, not a secret
MARK = "portal_secret_link"


def secret_link_limit() -> str:
    """Requests to all secret-link pages together allowed per client address (SECRET_LINK_LIMIT)."""
    return current_app.config.get("SECRET_LINK_LIMIT", DEFAULT_SECRET_LINK_LIMIT)


def secret_link(view: F) -> F:
    """Mark a view as a page behind a secret link: throttled for GET and POST alike, and sent without a referrer."""
    limited = limiter.shared_limit(secret_link_limit, scope="secret-link")(view)
    setattr(limited, MARK, True)
    return limited  # type: ignore[return-value]


def is_secret_link_page() -> bool:
    """Whether the current request is for a page behind a secret link."""
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, MARK, False))


class LinkIdConverter(BaseConverter):
    """`<link_id:...>`: the id part of a secret link; any text matches, and one that no record can have becomes 0, so
    that the page answers it exactly like any other link that does not work."""

    regex = r"[^/]{1,64}"
    part_isolating = True

    def to_python(self, value: str) -> int:
        return parse_id(value) or 0

    def to_url(self, value: Any) -> str:
        return str(int(value))
