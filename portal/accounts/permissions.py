"""Object checks of the accounts domain: each view declares its role with the decorators of portal.core.permissions,
an emailed link is checked by `services.usable_token`, and a signed-in session belongs to its person alone."""

from __future__ import annotations

from flask import abort

from portal import db
from portal.accounts.models import User, UserSession


def own_session(user: User, session_id: int) -> UserSession:
    """The user's own session with this id; 404 for anyone else's (a session id reveals nothing)."""
    record = db.session.get(UserSession, session_id)
    if record is None or record.user_id != user.id:
        abort(404)
    return record
