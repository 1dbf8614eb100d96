"""The common base of the errors a service raises when a rule refuses what the user asked."""

from __future__ import annotations

from flask import g, has_app_context

REFUSED_FLAG = "portal_request_refused"


class RuleViolation(ValueError):
    """A rule refused the action; the message is for the user.

    Raising one during a request marks the request as refused, and portal.db then rolls the request's transaction
    back even if the view answers with a page or a redirect: a refused action never half-saves a record.
    """

    def __init__(self, *args: object) -> None:
        super().__init__(*args)
        if has_app_context():
            setattr(g, REFUSED_FLAG, True)


def request_was_refused() -> bool:
    """Whether a RuleViolation was raised while handling the current request."""
    return bool(getattr(g, REFUSED_FLAG, False))


def forget_refusal() -> None:
    """Start a request with a clean slate (tests may share one app context across requests)."""
    if hasattr(g, REFUSED_FLAG):
        delattr(g, REFUSED_FLAG)
