"""The stored sort and search keys of an application (issue 13): what the lists order and search by, computed in
Python once on write so that no query folds case row by row (SQLite's Unicode lower() is a Python function).

Kept up to date by the mapper events below (every ORM write of an application or of its applicant's account: the one
place); bulk inserts that bypass the ORM (the benchmark's seed, the migration that added the keys) call the functions.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.engine import Connection

from portal.accounts.models import User
from portal.applications.models import Application

# Between the family and the given names of the name key: below every printable character, so that ordering by the one
# key orders by the family name first and then by the given names, as two keys would ("Li Wei" before "Lin An").
NAME_SEPARATOR = "\x1f"


def fold(text: str | None) -> str:
    """Text as the keys hold it and as a search word is compared with them: Unicode case folding (Straße ~ STRASSE)."""
    return (text or "").casefold()


def name_key(family_name: str, given_names: str, account_name: str) -> str:
    """The order by name: the family name (the account's name while none is entered), then the given names."""
    return fold(family_name or account_name) + NAME_SEPARATOR + fold(given_names)


def search_key(
    reference: str | None, family_name: str, given_names: str, native_name: str, account_name: str, email: str
) -> str:
    """What a search word is looked for in: the reference, the names as entered, the account's name and email. Words
    are separated by spaces, and a search word has none, so a word never matches across two fields."""
    parts = (reference, family_name, given_names, native_name, account_name, email)
    return " ".join(fold(part) for part in parts if part)


# --- The events that keep them (the model module imports this one) --------------------------------------------------


def _keys(a: Any, account: User) -> dict[str, str]:
    """The keys of an application (or of a row with its columns) whose applicant has this account."""
    family, given, native = a.family_name or "", a.given_names or "", a.native_name or ""
    return {
        "name_key": name_key(family, given, account.name),
        "search_key": search_key(a.reference, family, given, native, account.name, account.email),
    }


@event.listens_for(Application, "before_insert")
@event.listens_for(Application, "before_update")
def _application_keys(_mapper: object, _connection: object, application: Application) -> None:
    for name, value in _keys(application, application.applicant).items():
        setattr(application, name, value)


@event.listens_for(User, "after_update")
def _account_keys(_mapper: object, connection: Connection, user: User) -> None:
    # The account's name and email are part of its applications' keys: renamed, they are written again (rare: a few
    # rows), by the table so that the applications' version (optimistic locking) is not bumped by a derived value.
    state = inspect(user)
    if not (state.attrs.name.history.has_changes() or state.attrs.email.history.has_changes()):
        return
    table = Application.__table__
    columns = (table.c.id, table.c.reference, table.c.family_name, table.c.given_names, table.c.native_name)
    for row in connection.execute(select(*columns).where(table.c.applicant_id == user.id)).all():
        connection.execute(table.update().where(table.c.id == row.id).values(**_keys(row, user)))
