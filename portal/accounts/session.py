"""Flask-Login wiring: loading the user from a server-side session record, signing in and out, and the rule that a
holder of a role requiring two-factor sign-in does nothing before their session has passed the second step."""

from __future__ import annotations

import datetime as dt

from flask import Flask, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user

from portal import db
from portal.accounts import sessions
from portal.accounts.models import User, UserSession
from portal.core.kept_posts import SESSION_KEY as KEPT_SESSION_KEY
from portal.core.timeutil import utcnow
from portal.extensions import login_manager

# What a signed-in person whose second step is missing may still open: the enrolment, signing out, the language and
# the legal pages.
SECOND_FACTOR_OPEN_ENDPOINTS = frozenset(
    {
        "accounts.two_factor",
        "accounts.two_factor_start",
        "accounts.two_factor_setup",
        "accounts.logout",
        "main.set_language",
        "main.imprint",
        "main.privacy",
        "main.healthz",
        "static",
    }
)
SESSION_RECORD = "portal_user_session"


def load_user(key: str) -> User | None:
    """The user of the live session the cookie names; a session that has ended leaves the browser signed out."""
    record = sessions.live_session(key)
    if record is None:
        session.pop("_user_id", None)
        session["_remember"] = "clear"
        return None
    sessions.note_activity(record)
    setattr(g, SESSION_RECORD, record)
    user = record.user
    user.session_key = key
    return user


def current_session() -> UserSession | None:
    """The session record of the signed-in person of this request."""
    if not current_user.is_authenticated:
        return None
    return g.get(SESSION_RECORD)


def init_login(app: Flask) -> None:
    """Configure Flask-Login for the portal."""
    login_manager.user_loader(load_user)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please sign in to open this page.")
    login_manager.login_message_category = "info"
    login_manager.needs_refresh_message = _l("Please sign in again to continue.")
    login_manager.session_protection = "basic"

    @app.before_request
    def forget_the_previous_session() -> None:
        # Tests may share one application context (and so `g`) across requests; the record goes with Flask-Login's user.
        if "_login_user" not in g:
            g.pop(SESSION_RECORD, None)


def require_second_factor():
    """Send a holder of a role that requires a second factor to the second step before anything else (a before-request
    hook of the accounts blueprint for the whole app, so that it runs after the database's own hooks)."""
    if request.endpoint in SECOND_FACTOR_OPEN_ENDPOINTS or not current_user.is_authenticated:
        return None
    if not second_step_missing():
        return None
    if current_user.has_second_factor:
        # Enrolled, yet this session never gave a code (the role came later): sign in again, with the code.
        end_session("second_factor_missing")
        flash(_("Please sign in again with your second factor."), "info")
        return redirect(url_for("accounts.login", next=request.full_path if request.method == "GET" else None))
    return redirect(url_for("accounts.two_factor"))


def second_step_missing() -> bool:
    """Whether the signed-in person must still set up or give their second factor (the menu then waits too)."""
    record = current_session()
    return record is not None and record.second_factor_at is None and current_user.requires_second_factor


def start_session(user: User, *, remember: bool, second_factor: bool = False) -> None:
    """Sign the user in with a fresh session (the old one's contents are dropped, the language choice is kept)."""
    _clear_keeping_language()
    record, user.session_key = sessions.open_session(user, remember=remember, second_factor=second_factor)
    login_user(user, remember=remember)
    setattr(g, SESSION_RECORD, record)


def end_session(reason: str = "logout") -> None:
    """Sign the current browser out: its session record ends, its cookies are dropped."""
    record = current_session()
    if record is not None:
        sessions.end_session(record, reason)
    logout_user()
    _clear_keeping_language()


def _clear_keeping_language() -> None:
    # What a refused form kept (portal/core/kept_posts.py) waits for the person signing in again.
    kept = {key: session[key] for key in ("language", KEPT_SESSION_KEY) if key in session}
    session.clear()
    session.update(kept)


# --- Between the password and the second factor ----------------------------------------------------------------------
# The browser is not signed in yet: the signed session cookie remembers who gave the right password, for a few minutes.

SECOND_STEP = "second_step"
SECOND_STEP_MINUTES = 10


def begin_second_step(user: User, *, remember: bool, next_path: str | None) -> None:
    """Remember, for SECOND_STEP_MINUTES, that this browser gave the user's password and waits for the code."""
    _clear_keeping_language()
    session[SECOND_STEP] = {
        "user": user.id,
        "since": utcnow().timestamp(),
        "remember": bool(remember),
        "next": next_path or "",
    }


def pending_second_step() -> tuple[User, bool, str] | None:
    """The user waiting for their second step in this browser, the remember-me choice and where to go after."""
    pending = session.get(SECOND_STEP)
    if not isinstance(pending, dict) or not isinstance(pending.get("user"), int):
        return None
    since = dt.datetime.fromtimestamp(float(pending.get("since", 0)), dt.UTC)
    if utcnow() - since > dt.timedelta(minutes=SECOND_STEP_MINUTES):
        session.pop(SECOND_STEP, None)
        return None
    user = db.session.get(User, pending["user"])
    if user is None or not user.active or not user.has_second_factor:
        return None
    return user, bool(pending.get("remember")), str(pending.get("next") or "")


def pending_second_step_key() -> str:
    """The throttling key of the account waiting for its second step in this browser (any address)."""
    pending = session.get(SECOND_STEP)
    user_id = pending.get("user") if isinstance(pending, dict) else None
    return f"second-step-account:{user_id}"
