"""The endpoints of the REST API v1 (read-only), documented in the OpenAPI document flask-smorest makes of them."""

from __future__ import annotations

from typing import Any

import flask
from flask import Flask, current_app, g, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Api, Blueprint
from werkzeug.exceptions import HTTPException, InternalServerError

from portal import db
from portal.api import queries
from portal.api.access import token_required
from portal.api.models import Scope
from portal.api.permissions import may_read_application
from portal.api.problems import fail, from_http_error
from portal.api.schemas import (
    ApplicationPage,
    ApplicationQuery,
    ApplicationSchema,
    DecisionPage,
    PageQuery,
    PeopleQuery,
    PersonPage,
    RoundPage,
    RoundSchema,
)
from portal.applications.models import Application, IntakeRound
from portal.core.permissions import public
from portal.extensions import csrf, login_manager
from portal.people.directory import PeopleFilter
from portal.reporting.lists import ListFilter, application_row

API_PREFIX = "/api/v1"
blp = Blueprint("api", __name__, url_prefix=API_PREFIX, description="Read-only REST API v1")


class PortalApi(Api):
    """flask-smorest's Api without its app-wide error handler (the portal's pages keep theirs; the API's blueprint
    answers problem documents) and without its own documentation routes (the portal serves the document and a
    documentation page without any script from another site)."""

    def _register_error_handlers(self) -> None:
        return None

    def _register_doc_blueprint(self) -> None:
        return None


def register(app: Flask) -> PortalApi:
    """Mount the API on the app and make its OpenAPI document (kept in app.extensions["portal_api"])."""
    api = PortalApi(
        app,
        spec_kwargs={
            "title": "Promotionskolleg portal API",
            "version": "1",
            "openapi_version": "3.0.3",
            "servers": [{"url": "/"}],
            "components": {"securitySchemes": {"token": {"type": "http", "scheme": "bearer"}}},
            "security": [{"token": []}],
        },
    )
    api.register_blueprint(blp)
    csrf.exempt(blp)  # its only way in is a bearer token (access.token_required), which no browser sends by itself
    app.extensions["portal_api"] = api
    return api


@blp.url_value_preprocessor
def no_browser_session(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """The API never looks at the browser's session (this runs before any before-request hook, so none of them sends
    an API request to a sign-in step): the token alone says who asks."""
    g._login_user = login_manager.anonymous_user()  # Flask-Login's per-request user


@blp.after_request
def not_cached(response):
    # The answers carry personal data: no shared cache may keep them, as for the pages.
    response.headers.setdefault("Cache-Control", "no-store")
    return response


@blp.errorhandler(HTTPException)
def problem(error: HTTPException):
    return from_http_error(error)


@blp.errorhandler(Exception)
def unexpected_problem(error: Exception):
    """Anything unexpected: logged, rolled back, and a problem document without any detail of the fault."""
    db.session.rollback()
    current_app.logger.exception("Unhandled error on %s %s", request.method, request.path)
    return from_http_error(InternalServerError())


PROBLEM = {"content_type": "application/problem+json", "description": "a problem document (RFC 9457)"}


def documented_problems(view):
    """The answers every endpoint may give besides its own: no or a bad token, too few scopes, too many requests."""
    for status in (401, 403, 404, 422, 429):
        view = blp.alt_response(status, **PROBLEM)(view)
    return view


def _round(round_id: int) -> IntakeRound:
    return db.session.get(IntakeRound, round_id) or fail(404, _("No such intake round."))


@blp.route("/rounds")
@documented_problems
@token_required(Scope.ROUNDS)
@blp.arguments(PageQuery, location="query", as_kwargs=True)
@blp.response(200, RoundPage)
def rounds(cursor: int, limit: int) -> dict[str, Any]:
    """The intake rounds, oldest first."""
    return queries.rounds_page(cursor, limit)


@blp.route("/rounds/<int:round_id>")
@documented_problems
@token_required(Scope.ROUNDS)
@blp.response(200, RoundSchema)
def intake_round(round_id: int) -> IntakeRound:
    """One intake round with its deadlines."""
    return _round(round_id)


@blp.route("/rounds/<int:round_id>/applications")
@documented_problems
@token_required(Scope.APPLICATIONS)
@blp.arguments(ApplicationQuery, location="query", as_kwargs=True)
@blp.response(200, ApplicationPage)
def applications(round_id: int, cursor: int, limit: int, **filters: str) -> dict[str, Any]:
    """The applications of a round, filtered as in the coordinators' list, by id."""
    list_filter = ListFilter.from_args(filters, _round(round_id).id)
    return queries.applications_page(list_filter, cursor, limit)


@blp.route("/applications/<int:application_id>")
@documented_problems
@token_required(Scope.APPLICATIONS)
@blp.response(200, ApplicationSchema)
def application(application_id: int):
    """One application, as its row in the list."""
    found = db.session.get(Application, application_id)
    if found is None or not may_read_application(current_user, found):
        fail(404)
    return application_row(application_id)


@blp.route("/rounds/<int:round_id>/decisions")
@documented_problems
@token_required(Scope.DECISIONS)
@blp.arguments(PageQuery, location="query", as_kwargs=True)
@blp.response(200, DecisionPage)
def decisions(round_id: int, cursor: int, limit: int) -> dict[str, Any]:
    """The decisions of a round (released or not), by id."""
    return queries.decisions_page(_round(round_id).id, cursor, limit)


@blp.route("/people")
@documented_problems
@token_required(Scope.PEOPLE)
@blp.arguments(PeopleQuery, location="query", as_kwargs=True)
@blp.response(200, PersonPage)
def people(cursor: int, limit: int, q: str = "", role: str = "", status: str = "") -> dict[str, Any]:
    """The accounts with their roles and university, filtered as in the people list, by id."""
    return queries.people_page(PeopleFilter.from_values(q, role, status), cursor, limit)


@public
def unknown(anything: str) -> None:
    """Unknown paths (and methods) of the API answer a problem document too, not the portal's page."""
    fail(404 if request.method in {"GET", "HEAD"} else 405)


# Not in the OpenAPI document: Flask's own add_url_rule, not flask-smorest's.
flask.Blueprint.add_url_rule(blp, "/<path:anything>", "unknown", unknown, methods=["GET", "POST", "PUT", "DELETE"])
