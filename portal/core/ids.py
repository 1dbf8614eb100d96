"""Record ids as they arrive in URLs, query strings and forms: only numbers every database can hold.

Primary keys are 32-bit INTEGER columns on PostgreSQL and 64-bit on SQLite; a larger number cannot name a record, and
handed to the database it fails with an overflow (a 500) instead of "not found". Such numbers are refused before any
query: in a URL the route does not match (404), elsewhere the value counts as no id at all.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from werkzeug.routing import IntegerConverter, Map

# The largest value of PostgreSQL's INTEGER, the narrowest key column of the supported databases.
LARGEST_ID = 2**31 - 1
_DIGITS = re.compile(r"[0-9]{1,10}")


class IdConverter(IntegerConverter):
    """`<int:...>` in every route: a whole number from 0 to LARGEST_ID, anything larger does not match (404)."""

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = None, max: int | None = None) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=LARGEST_ID if max is None else max)


def parse_id(value: Any) -> int | None:
    """The id written in value (a query-string or form value), or None when it is not one a record can have."""
    text = str(value).strip() if value is not None else ""
    if not _DIGITS.fullmatch(text):
        return None
    number = int(text)
    return number if 0 < number <= LARGEST_ID else None


def coerce_id(value: Any) -> int:
    """parse_id for a form field's `coerce`: a value that is no id is a field error (ValueError), not a query."""
    number = parse_id(value)
    if number is None:
        raise ValueError("not an id")
    return number


def init_app(app: Flask) -> None:
    """Make `<int:...>` the bounded converter and add `<link_id:...>`; called before any blueprint adds its routes."""
    from portal.core.secret_links import LinkIdConverter

    app.url_map.converters["int"] = IdConverter
    app.url_map.converters["link_id"] = LinkIdConverter
