"""Optimistic locking, written once: a form carries the version of what it edits, a save checks it.

A record that can be edited from two places (two tabs, two coordinators) has an integer `version` column, mapped as
SQLAlchemy's `version_id_col`, so that every UPDATE checks and bumps it. Its forms carry that version in a hidden field
(`VersionedForm`); the service calls `check_version` before it changes anything, and `flush_or_stale` turns a race lost
at the database into the same refusal. A missing, empty or non-numeric version is stale: a crafted or truncated form
can never skip the check. A record that does not exist yet has version 0.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from wtforms import HiddenField

from portal import db
from portal.core.rules import RuleViolation

STALE_MESSAGE = _l(
    "This was changed in another tab or window, or by someone else, since you opened the page. Your entries are "
    "still in the form: please check them and send them again."
)


class StaleVersion(RuleViolation):
    """The record changed since the form was loaded; `current` tells the version it has now (read after rollback)."""

    category = "warning"

    def __init__(self, current: Callable[[], int] | None = None) -> None:
        super().__init__(str(STALE_MESSAGE))
        self.current = current


def version_of(record: Any) -> int:
    """The record's version; 0 for a record that does not exist yet."""
    return int(record.version) if record is not None else 0


def parse_version(raw: Any) -> int | None:
    """The version a form sent, or None when it sent none or something that is not a whole number."""
    text = str(raw if raw is not None else "").strip()
    return int(text) if text.isdigit() else None


def check_version(record: Any, expected: int | None, *, current: Callable[[], int] | None = None) -> None:
    """Refuse a change made from a form loaded at another version (or sent without one) with StaleVersion."""
    if expected is None or expected != version_of(record):
        raise StaleVersion(current or (lambda: version_of(record)))


def flush_or_stale(current: Callable[[], int] | None = None) -> None:
    """Flush; a row whose version moved in the meantime (another request won the race) becomes StaleVersion."""
    try:
        db.session.flush()
    except StaleDataError as error:
        raise StaleVersion(current) from error


def flush_new_or_stale(current: Callable[[], int] | None = None) -> None:
    """Flush; a lost race is stale: the row's version moved, or another tab created the same row at the same moment
    (a unique constraint refuses the second one)."""
    try:
        flush_or_stale(current)
    except IntegrityError as error:
        raise StaleVersion(current) from error


class VersionedForm(FlaskForm):
    """A form that edits a versioned record: the version at loading travels in a hidden field."""

    version = HiddenField()

    @property
    def expected_version(self) -> int | None:
        """The version the form was loaded at; None (stale) when missing or not a whole number."""
        return parse_version(self.version.data)

    def load_version(self, record: Any) -> None:
        """Put the record's current version into the form (when showing it, or after a refused stale save)."""
        self.version.data = str(version_of(record))
