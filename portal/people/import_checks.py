"""The checks of a supervisor import file: its header, and each row's values (nothing is read from the accounts)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _

from portal.accounts import services as accounts
from portal.accounts.models import User
from portal.supervisors.models import ResearchField, University
from portal.supervisors.services import MAX_CAPACITY, capacity_in_range, list_universities

IMPORT_COLUMNS = (
    "email",
    "name",
    "university_code",
    "title",
    "department",
    "research_areas",
    "languages",
    "capacity",
    "fields",
)
REQUIRED_COLUMNS = ("email", "name", "university_code")
TEXT_LIMITS = {"name": 200, "title": 100, "department": 200, "languages": 200}


@dataclass(frozen=True)
class ImportProblem:
    line: int
    message: str


@dataclass
class ImportRow:
    line: int
    email: str
    name: str
    university: University
    values: dict[str, Any]  # only the optional columns given in this row
    action: str = "create"  # create | add_role | update | unchanged
    user: User | None = None
    changes: list[str] = field(default_factory=list)


def _split_fields(raw: str) -> list[str]:
    return [part for part in re.split(r"[\s;,|]+", raw.strip()) if part]


def header_problems(columns: list[str]) -> list[str]:
    """What is wrong with the header: unknown, missing and repeated columns."""
    unknown = [name for name in columns if name not in IMPORT_COLUMNS]
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    repeated = sorted({name for name in columns if columns.count(name) > 1})
    return [
        *(_("Unknown column “%(column)s”.", column=name or "") for name in unknown),
        *(_("The column “%(column)s” is missing.", column=name) for name in missing),
        *(_("The column “%(column)s” appears twice.", column=name) for name in repeated),
    ]


def check_rows(columns: list[str], records: list[tuple[int, list[str]]]) -> tuple[list[ImportRow], list[ImportProblem]]:
    """The rows that pass every check, and the problems of the others."""
    checker = _RowChecker(columns)
    rows: list[ImportRow] = []
    problems: list[ImportProblem] = []
    for line, record in records:
        if len(record) != len(columns):
            message = _(
                "Expected %(expected)d values, found %(found)d (a value containing commas must be quoted).",
                expected=len(columns),
                found=len(record),
            )
            problems.append(ImportProblem(line, message))
            continue
        row, found = checker.check(line, {name: value.strip() for name, value in zip(columns, record, strict=True)})
        problems.extend(ImportProblem(line, problem) for problem in found)
        if row is not None:
            rows.append(row)
    return rows, problems


class _RowChecker:
    """Checks the rows of one file: the values of each, and addresses given twice across them."""

    def __init__(self, columns: list[str]) -> None:
        self.columns = columns
        self.universities = {university.code: university for university in list_universities()}
        self.known_fields = {f.value: f for f in ResearchField}
        self.first_seen: dict[str, int] = {}

    def check(self, line: int, cells: dict[str, str]) -> tuple[ImportRow | None, list[str]]:
        """The row, or None with the problems found (every one of them)."""
        problems: list[str] = []
        email = self._email(line, cells["email"], problems)
        name = " ".join(cells["name"].split())
        if not name:
            problems.append(_("The name is missing."))
        university = self.universities.get(cells["university_code"].upper())
        if university is None:
            problems.append(
                _(
                    "Unknown university code “%(code)s” (known: %(codes)s).",
                    code=cells["university_code"],
                    codes=", ".join(self.universities),
                )
            )
        values = self._values(cells, name, problems)
        if problems or university is None:
            return None, problems
        return ImportRow(line=line, email=email, name=name, university=university, values=values), []

    def _email(self, line: int, raw: str, problems: list[str]) -> str:
        try:
            email = accounts.normalize_email(raw)
        except accounts.AccountError:
            problems.append(_("“%(email)s” is not a valid email address.", email=raw))
            return raw
        if email in self.first_seen:
            problems.append(
                _(
                    "The email address %(email)s appears twice (first on line %(line)d).",
                    email=email,
                    line=self.first_seen[email],
                )
            )
        else:
            self.first_seen[email] = line
        return email

    def _values(self, cells: dict[str, str], name: str, problems: list[str]) -> dict[str, Any]:
        """The optional columns given in the row, checked."""
        values: dict[str, Any] = {}
        for column, limit in TEXT_LIMITS.items():
            value = name if column == "name" else cells.get(column, "")
            if len(value) > limit:
                problems.append(_("%(column)s: at most %(count)d characters.", column=column, count=limit))
            elif column != "name" and value:
                values[column] = value
        if cells.get("research_areas"):
            values["research_areas"] = cells["research_areas"]
        if cells.get("capacity"):
            self._capacity(cells["capacity"], values, problems)
        if cells.get("fields"):
            self._fields(cells["fields"], values, problems)
        return values

    def _capacity(self, raw: str, values: dict[str, Any], problems: list[str]) -> None:
        if raw.isdigit() and capacity_in_range(int(raw)):
            values["capacity"] = int(raw)
            return
        problems.append(
            _("The capacity must be a whole number from 0 to %(max)d (found “%(value)s”).", max=MAX_CAPACITY, value=raw)
        )

    def _fields(self, raw: str, values: dict[str, Any], problems: list[str]) -> None:
        wanted = _split_fields(raw)
        bad = [value for value in wanted if value.lower() not in self.known_fields]
        if bad:
            problems.append(
                _(
                    "Unknown research field “%(field)s” (known: %(known)s).",
                    field=", ".join(bad),
                    known=", ".join(self.known_fields),
                )
            )
            return
        values["fields"] = sorted({self.known_fields[value.lower()] for value in wanted}, key=lambda f: f.value)
