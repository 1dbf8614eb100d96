"""Error pages in the site's layout; never a stack trace. While the database cannot be reached, a 503 page that
needs nothing from it."""

from __future__ import annotations

from contextlib import suppress

from flask import Flask, current_app, g, jsonify, make_response, redirect, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException, InternalServerError

from portal import db
from portal.core.kept_posts import answer_refused_post
from portal.core.navigation import is_safe_local_path
from portal.core.operations import refuse
from portal.core.rules import RuleViolation
from portal.extensions import login_manager

ERROR_TEXTS = {
    400: (
        _l("Bad request"),
        _l("The request could not be understood. If you sent a form, please reload it and try again."),
    ),
    403: (_l("Access denied"), _l("You do not have permission to open this page.")),
    404: (_l("Page not found"), _l("The page you asked for does not exist or is not available to you.")),
    405: (_l("Method not allowed"), _l("This page does not accept this kind of request.")),
    409: (_l("This cannot be done"), _l("A rule of the portal does not allow this.")),
    413: (_l("File too large"), _l("The file is larger than the portal allows. Please send a smaller file.")),
    429: (_l("Too many attempts"), _l("You tried this too often. Please wait a few minutes and try again.")),
    500: (_l("Something went wrong"), _l("An unexpected error occurred. It has been logged; please try again later.")),
    503: (
        _l("The portal is briefly unavailable"),
        _l(
            "The portal cannot reach its database at the moment. Nothing has been half-saved: if you were sending "
            "a form, go back and send it again in a minute."
        ),
    ),
}
# How long a client is asked to wait before trying again while the database cannot be reached.
RETRY_AFTER_SECONDS = 30


def _render_error(code: int, description: str | None = None):
    title, text = ERROR_TEXTS.get(code, ERROR_TEXTS[500])
    if request.accept_mimetypes.best == "application/json":
        return jsonify(error=str(title)), code
    return render_template("errors/error.html", code=code, title=title, text=description or text), code


def database_unreachable(error: BaseException | None) -> bool:
    """Whether error means the database cannot be reached now (down, cut off, locked, out of connections), as opposed
    to a fault of the portal's own: such a request may well succeed when tried again."""
    if isinstance(error, InternalServerError):  # an error raised after the view (the commit) arrives wrapped
        error = error.original_exception
    if isinstance(error, OperationalError | PoolTimeoutError):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


def render_unavailable(error: BaseException):
    """The 503 page, made without the database: no signed-in user is looked up (the page shows no account, and the
    language comes from the session or the browser), nothing is queried."""
    current_app.logger.warning("Database unreachable on %s %s: %s", request.method, request.path, error)
    g._login_user = login_manager.anonymous_user()  # Flask-Login's per-request cache: current_user asks no database
    with suppress(SQLAlchemyError):
        db.session.rollback()
    title, text = ERROR_TEXTS[503]
    if request.accept_mimetypes.best == "application/json":
        response = make_response(jsonify(error=str(title)), 503)
    else:
        response = make_response(render_template("errors/unavailable.html", title=title, text=text), 503)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _same_site_referrer() -> str | None:
    """The path of the page that sent this request, if it is a page of this site."""
    referrer, host = request.referrer or "", request.host_url.rstrip("/")
    path = referrer.removeprefix(host) if referrer.startswith(host + "/") else None
    return path if is_safe_local_path(path) else None


def init_app(app: Flask) -> None:
    """Register handlers for HTTP errors and for anything unexpected."""

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException):
        if database_unreachable(error):
            return render_unavailable(error)
        db.session.rollback()
        code = error.code or 500
        if code == 400 and getattr(error, "description", "") and "CSRF" in str(error.description):
            kept = answer_refused_post(signed_in=current_user.is_authenticated)
            if kept is not None:
                return kept
            return _render_error(
                400, _l("Your form expired or was sent from another page. Please reload the page and send it again.")
            )
        return _render_error(code if code in ERROR_TEXTS else 500)

    @app.errorhandler(RuleViolation)
    def handle_refusal(error: RuleViolation):
        # A refusal a view did not show itself: say why on the page the form was sent from, else on an error page.
        back = _same_site_referrer() if request.method == "POST" else None
        refuse(error, announce=back is not None)
        return redirect(back) if back else _render_error(409, error.message or None)

    @app.errorhandler(SQLAlchemyError)
    def handle_database_error(error: SQLAlchemyError):
        if database_unreachable(error):
            return render_unavailable(error)
        return handle_unexpected_error(error)

    @app.errorhandler(Exception)
    def handle_unexpected_error(error: Exception):
        db.session.rollback()
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        return _render_error(InternalServerError.code)
