"""Optimistic locking of the review domain's records (reviews, statements, decisions), on top of `core.versions`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from sqlalchemy.exc import IntegrityError

from portal.core.versions import StaleVersion, flush_or_stale, version_of


class _LoadedNow:
    def __repr__(self) -> str:
        return "LOADED_NOW"


# TEMPORARY (issue 9): the demo data (portal/demo_applications.py, not this domain's file) calls record_decision and
# record_statement without a version. An omitted version means "the version just read" until the demo passes
# `expected_version=` itself; then this default goes. Forms always pass theirs (None when missing: stale).
LOADED_NOW: Final = _LoadedNow()
ExpectedVersion = int | _LoadedNow | None


def expected_or_loaded(expected: ExpectedVersion, record: Any) -> int | None:
    """The version a caller expects; LOADED_NOW (an internal caller that did not say) is the record's own."""
    return version_of(record) if isinstance(expected, _LoadedNow) else expected


def flush_new_or_stale(current: Callable[[], int]) -> None:
    """Flush; a lost race is stale: the row's version moved, or another tab created the same row at the same moment
    (a unique constraint refuses the second one)."""
    try:
        flush_or_stale(current)
    except IntegrityError as error:
        raise StaleVersion(current) from error
