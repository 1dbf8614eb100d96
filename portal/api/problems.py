"""Errors of the API as problem documents (RFC 9457, `application/problem+json`), never an HTML page."""

from __future__ import annotations

import json
from typing import Any, NoReturn

from flask import Response, abort
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

PROBLEM_TYPE = "application/problem+json"
# Sent with 401 and 403 so that clients learn how to authenticate (RFC 6750).
CHALLENGE = 'Bearer realm="portal-api"'


def problem_response(status: int, detail: str | None = None, **extra: Any) -> Response:
    """A problem document: the status, its standard title, what went wrong, any further members."""
    body: dict[str, Any] = {"type": "about:blank", "title": HTTP_STATUS_CODES.get(status, "Error"), "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_TYPE)
    if status == 401:
        response.headers["WWW-Authenticate"] = CHALLENGE
    return response


def fail(status: int, detail: str | None = None, **extra: Any) -> NoReturn:
    """Stop the request with a problem document."""
    abort(problem_response(status, detail, **extra))


def from_http_error(error: HTTPException) -> Response:
    """An HTTP error raised in the API as a problem document (kept as it is when it already is one)."""
    if error.response is not None and error.response.mimetype == PROBLEM_TYPE:
        return error.response
    code = error.code or 500
    extra: dict[str, Any] = {}
    messages = getattr(error, "data", {}).get("messages") if isinstance(getattr(error, "data", None), dict) else None
    if messages:  # webargs' validation errors, field by field
        extra["errors"] = messages
    detail = _DETAILS.get(code)
    response = problem_response(code, str(detail) if detail else None, **extra)
    for header, value in error.get_headers():
        if header in {"Retry-After", "Allow"}:
            response.headers[header] = value
    return response


_DETAILS = {
    404: _l("No such resource, or it is not available to this token."),
    405: _l("The API is read-only: only GET is accepted."),
    422: _l("The query parameters are not valid; see errors."),
    429: _l("Too many requests with this token; wait and try again."),
    500: _l("An unexpected error occurred. It has been logged."),
}
