"""The base of the errors a service raises when a rule refuses what the user asked, and the request's refusal mark.

Raising or catching a RuleViolation changes nothing by itself: a service may use one as a yes/no answer. The request is
marked as refused only where a violation is *handled* for the user (`portal.core.operations.refuse`, the view helper
and the error handler), and `portal.db` then rolls the request's transaction back even if the answer is a page or a
redirect: a refused action never half-saves a record.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import g, has_app_context

REFUSED_FLAG = "portal_request_refused"


class RuleViolation(ValueError):
    """A rule refused the action; the message is for the user, shown next to `field` (or per field in `fields`)."""

    # How the message is flashed when it belongs to no field of the page ("warning" for a stale form, say).
    category = "danger"

    def __init__(self, message: object = "", field: str | None = None, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.fields: dict[str, str] = dict(fields or {})

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


def mark_refused() -> None:
    """Note that a rule refused this request: its transaction is rolled back at the end, whatever the answer."""
    if has_app_context():
        setattr(g, REFUSED_FLAG, True)


def request_was_refused() -> bool:
    """Whether a refused rule was handled while answering the current request."""
    return bool(getattr(g, REFUSED_FLAG, False))


def forget_refusal() -> None:
    """Start a request with a clean slate (tests may share one app context across requests)."""
    if hasattr(g, REFUSED_FLAG):
        delattr(g, REFUSED_FLAG)
