"""The demo's coordinator and administrator sign in with two factors, as their roles require: their authenticator app
holds a key printed for everyone (`flask portal demo-code` shows the current code), so that a newcomer can sign in
without setting up a phone first. Refused in production with the rest of the demo."""

from __future__ import annotations

import pyotp

from portal import db
from portal.accounts import services as accounts
from portal.accounts.models import SecondFactor
from portal.accounts.two_factor import SECRET_PURPOSE
from portal.core import crypto
from portal.core.timeutil import utcnow

# Published in the README and printed by `make run`: for the demo only.
DEMO_TOTP_SECRET = "KOLLEGDEMOPORTALZWEIFAKTORSECRET"  # noqa: S105
DEMO_TWO_FACTOR_ACCOUNTS = ("coordinator@example.org", "admin@example.org")


def seed_second_factors() -> None:
    """Give the demo's coordinator and administrator the demo's authenticator key (those without one yet)."""
    for email in DEMO_TWO_FACTOR_ACCOUNTS:
        user = accounts.find_user_by_email(email)
        if user is None or user.second_factor is not None:
            continue
        secret = crypto.encrypt(DEMO_TOTP_SECRET, SECRET_PURPOSE)
        user.second_factor = SecondFactor(user_id=user.id, secret=secret, enabled_at=utcnow())
    db.session.flush()


def demo_code() -> str:
    """The code the demo's authenticator app shows now."""
    return pyotp.TOTP(DEMO_TOTP_SECRET).now()
