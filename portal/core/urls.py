"""Absolute links for emails, built the same inside and outside a request; links of many rows built once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, has_request_context, url_for


def absolute_url(endpoint: str, **values: Any) -> str:
    """The public address of endpoint, based on PORTAL_BASE_URL (never on the request's Host header)."""
    base = current_app.config["PORTAL_BASE_URL"].rstrip("/")
    if has_request_context():
        path = url_for(endpoint, **values)
    else:
        with current_app.test_request_context("/"):
            path = url_for(endpoint, **values)
    return base + path


# An id no row reaches (PostgreSQL's largest integer): where it stands in a link built once, each row's id goes.
_PLACEHOLDER = "2147483647"


def link_by_id(endpoint: str, key: str = "application_id", **values: Any) -> Callable[[int], str]:
    """endpoint's link for any id, with url_for asked once (a page of fifty rows would ask fifty times)."""
    head, marker, tail = url_for(endpoint, **{key: int(_PLACEHOLDER)}, **values).partition(_PLACEHOLDER)
    if not marker or _PLACEHOLDER in tail:
        raise ValueError(f"{endpoint}: its link does not hold {key} once")
    return lambda id_: f"{head}{int(id_)}{tail}"
