"""Flask-Login wiring: loading the user from a revocable session token, signing in and out."""

from __future__ import annotations

import secrets

from flask import Flask, session
from flask_babel import lazy_gettext as _l
from flask_login import login_user, logout_user

from portal import db
from portal.accounts.models import User
from portal.extensions import login_manager


def load_user(user_id: str) -> User | None:
    """The user named by the session or remember cookie, if its session token is still current."""
    raw_id, _sep, token = user_id.partition(":")
    if not raw_id.isdigit() or not token:
        return None
    user = db.session.get(User, int(raw_id))
    if user is None or not user.active or not secrets.compare_digest(token, user.session_token):
        return None
    return user


def init_login(app: Flask) -> None:
    """Configure Flask-Login for the portal."""
    login_manager.user_loader(load_user)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please sign in to open this page.")
    login_manager.login_message_category = "info"
    login_manager.needs_refresh_message = _l("Please sign in again to continue.")
    login_manager.session_protection = "basic"


def start_session(user: User, *, remember: bool) -> None:
    """Sign the user in with a fresh session (the old one's contents are dropped, the language choice is kept)."""
    language = session.get("language")
    session.clear()
    if language:
        session["language"] = language
    login_user(user, remember=remember)


def end_session() -> None:
    """Sign the current browser out."""
    logout_user()
    language = session.get("language")
    session.clear()
    if language:
        session["language"] = language
