"""Language and time zone of the current viewer, for Flask-Babel."""

from __future__ import annotations

from flask import current_app, has_request_context, request, session
from flask_login import current_user

from portal.core.timeutil import is_valid_timezone

LANGUAGE_NAMES = {"de": "Deutsch", "en": "English", "zh": "中文"}


def select_locale() -> str:
    """The signed-in user's language, else the one chosen in this session, else the browser's best match."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.language in languages:
        if session.get("language") != current_user.language:
            # Kept in the session cookie too, so that a page made without the database (the 503 page) speaks it.
            session["language"] = current_user.language
        return current_user.language
    chosen = session.get("language")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    """The signed-in user's time zone, else the programme's default (Berlin)."""
    signed_in = has_request_context() and current_user and current_user.is_authenticated
    if signed_in and is_valid_timezone(current_user.timezone):
        return current_user.timezone
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]
