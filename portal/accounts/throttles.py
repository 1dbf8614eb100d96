"""The sign-in throttles (Flask-Limiter): failed passwords and failed second steps, per account from any address and
per address for any account; and ending an account's password throttle when its password is reset."""

from __future__ import annotations

from flask import current_app, request
from limits import parse_many

from portal.accounts.session import pending_second_step_key
from portal.extensions import limiter

LOGIN_ACCOUNT_SCOPE = "login-account"
LOGIN_ADDRESS_SCOPE = "login-address"
SECOND_STEP_ACCOUNT_SCOPE = "second-step-account"
SECOND_STEP_ADDRESS_SCOPE = "second-step-address"


def failed(response) -> bool:
    """A sign-in step failed when it answers with its form again instead of moving on."""
    return response.status_code != 302


def _account_key(email: str) -> str:
    return "login-account:" + email.strip().lower()


def _submitted_email_key() -> str:
    return _account_key(request.form.get("email") or "")


def _per_account() -> str:
    return current_app.config["LOGIN_LIMIT_PER_ACCOUNT"]


def _per_address() -> str:
    return current_app.config["LOGIN_LIMIT_PER_ADDRESS"]


def password_step(view):
    """Throttle failed passwords per address and per account (the submitted address, whatever its case)."""
    view = limiter.shared_limit(_per_address, LOGIN_ADDRESS_SCOPE, methods=["POST"], deduct_when=failed)(view)
    return limiter.shared_limit(
        _per_account, LOGIN_ACCOUNT_SCOPE, key_func=_submitted_email_key, methods=["POST"], deduct_when=failed
    )(view)


def second_step(view):
    """Throttle failed second steps as passwords are: per address, and per account waiting in the browser's session."""
    view = limiter.shared_limit(_per_address, SECOND_STEP_ADDRESS_SCOPE, methods=["POST"], deduct_when=failed)(view)
    return limiter.shared_limit(
        _per_account, SECOND_STEP_ACCOUNT_SCOPE, key_func=pending_second_step_key, methods=["POST"], deduct_when=failed
    )(view)


def end_password_throttle(email: str) -> None:
    """Forget the failed passwords counted against this account (its password was just reset through its mailbox).
    The second step's throttle stays: a reset proves the mailbox, not the authenticator app."""
    for item in parse_many(_per_account()):
        limiter.limiter.clear(item, _account_key(email), LOGIN_ACCOUNT_SCOPE)
