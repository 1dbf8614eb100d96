"""Absolute links for emails, built the same inside and outside a request."""

from __future__ import annotations

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
