"""Importing supervisors from a CSV file: decode, check every row, preview, then write all or nothing."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select

from portal import db
from portal.accounts import services as accounts
from portal.accounts.models import User
from portal.coordination.people import (
    MAX_CAPACITY,
    PeopleError,
    ProfileData,
    language_for,
    save_profile,
    zone_for,
)
from portal.core import audit
from portal.core.roles import Role
from portal.supervisors.models import ResearchField, SupervisorProfile, University
from portal.supervisors.services import list_universities, profile_of

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
MAX_IMPORT_BYTES = 256 * 1024  # the signed preview travels in a form field, which Flask limits to 500 kB
MAX_IMPORT_ROWS = 1000
IMPORT_MAX_AGE = 3600  # seconds a preview may be confirmed
TEXT_LIMITS = {"name": 200, "title": 100, "department": 200, "languages": 200}
_SIGNING_SALT = "portal.coordination.supervisor-import"


class ImportFileError(PeopleError):
    """The file cannot be read at all (encoding, size) or the preview cannot be trusted."""


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


@dataclass
class ImportPlan:
    rows: list[ImportRow] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.problems and bool(self.rows)

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    def fingerprint(self) -> str:
        """A digest of what confirming would do, to notice when the database changed since the preview."""
        summary = [[row.line, row.email, row.action, row.changes] for row in self.rows]
        return hashlib.sha256(json.dumps(summary, sort_keys=True).encode()).hexdigest()


def decode_import(data: bytes) -> str:
    """The text of an uploaded CSV file: UTF-8, with or without a byte order mark; other encodings are refused."""
    if not data.strip():
        raise ImportFileError(_("The file is empty."))
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportFileError(
            _("The file is too large: at most %(size)d kB. Please split it.", size=MAX_IMPORT_BYTES // 1024)
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data:
        raise ImportFileError(
            _('The file is UTF-16 encoded. Please save it as "CSV UTF-8 (comma delimited)" and upload it again.')
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ImportFileError(
            _(
                "Line %(line)d: the file is not UTF-8 encoded (perhaps GBK/GB18030 or Windows-1252). "
                'Please save it as "CSV UTF-8 (comma delimited)" and upload it again.',
                line=line,
            )
        ) from error


class _CsvError(ValueError):
    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line


def _records(text: str) -> list[tuple[int, list[str]]]:
    """The CSV records with the line each starts on (a quoted value may span lines).

    Commas separate the values; a header with more semicolons than commas (Excel in German) switches to semicolons.
    """
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    records: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for record in reader:
            records.append((start, record))
            start = reader.line_num + 1
    except csv.Error as error:
        raise _CsvError(start, str(error)) from error
    return records


def _split_fields(raw: str) -> list[str]:
    return [part for part in re.split(r"[\s;,|]+", raw.strip()) if part]


def plan_import(text: str) -> ImportPlan:
    """Check every row of the file against the rules and the database; write nothing."""
    plan = ImportPlan()
    try:
        records = _records(text)
    except _CsvError as error:
        plan.problems.append(
            ImportProblem(error.line, _("This line is not valid CSV (%(reason)s).", reason=str(error)))
        )
        return plan
    records = [(line, record) for line, record in records if any(cell.strip() for cell in record)]
    if not records:
        plan.problems.append(ImportProblem(1, _("The file is empty.")))
        return plan

    header_line, header = records[0]
    columns = [cell.strip().lower() for cell in header]
    plan.columns = columns
    unknown = [name for name in columns if name not in IMPORT_COLUMNS]
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    repeated = sorted({name for name in columns if columns.count(name) > 1})
    for name in unknown:
        plan.problems.append(ImportProblem(header_line, _("Unknown column “%(column)s”.", column=name or "")))
    for name in missing:
        plan.problems.append(ImportProblem(header_line, _("The column “%(column)s” is missing.", column=name)))
    for name in repeated:
        plan.problems.append(ImportProblem(header_line, _("The column “%(column)s” appears twice.", column=name)))
    if plan.problems:
        return plan
    rows = records[1:]
    if not rows:
        plan.problems.append(ImportProblem(header_line, _("The file has a header but no rows.")))
        return plan
    if len(rows) > MAX_IMPORT_ROWS:
        plan.problems.append(
            ImportProblem(rows[MAX_IMPORT_ROWS][0], _("At most %(count)d rows at once.", count=MAX_IMPORT_ROWS))
        )
        return plan

    universities = {university.code: university for university in list_universities()}
    known_fields = {f.value: f for f in ResearchField}
    first_seen: dict[str, int] = {}
    for line, record in rows:
        problems: list[str] = []
        if len(record) != len(columns):
            plan.problems.append(
                ImportProblem(
                    line,
                    _(
                        "Expected %(expected)d values, found %(found)d (a value containing commas must be quoted).",
                        expected=len(columns),
                        found=len(record),
                    ),
                )
            )
            continue
        cells = {name: value.strip() for name, value in zip(columns, record, strict=True)}
        email = cells["email"]
        try:
            email = accounts.normalize_email(email)
        except accounts.AccountError:
            problems.append(_("“%(email)s” is not a valid email address.", email=email))
        else:
            if email in first_seen:
                problems.append(
                    _(
                        "The email address %(email)s appears twice (first on line %(line)d).",
                        email=email,
                        line=first_seen[email],
                    )
                )
            else:
                first_seen[email] = line
        name = " ".join(cells["name"].split())
        if not name:
            problems.append(_("The name is missing."))
        university = universities.get(cells["university_code"].upper())
        if university is None:
            problems.append(
                _(
                    "Unknown university code “%(code)s” (known: %(codes)s).",
                    code=cells["university_code"],
                    codes=", ".join(universities),
                )
            )
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
            raw = cells["capacity"]
            if not raw.isdigit() or not 0 <= int(raw) <= MAX_CAPACITY:
                problems.append(
                    _(
                        "The capacity must be a whole number from 0 to %(max)d (found “%(value)s”).",
                        max=MAX_CAPACITY,
                        value=raw,
                    )
                )
            else:
                values["capacity"] = int(raw)
        if cells.get("fields"):
            wanted = _split_fields(cells["fields"])
            bad = [value for value in wanted if value.lower() not in known_fields]
            if bad:
                problems.append(
                    _(
                        "Unknown research field “%(field)s” (known: %(known)s).",
                        field=", ".join(bad),
                        known=", ".join(known_fields),
                    )
                )
            else:
                values["fields"] = sorted({known_fields[value.lower()] for value in wanted}, key=lambda f: f.value)
        if problems:
            plan.problems.extend(ImportProblem(line, problem) for problem in problems)
            continue
        assert university is not None
        plan.rows.append(ImportRow(line=line, email=email, name=name, university=university, values=values))

    _match_existing(plan)
    return plan


def _match_existing(plan: ImportPlan) -> None:
    """Decide for each row whether it creates an account, adds the supervisor role, updates or changes nothing."""
    if not plan.rows:
        return
    emails = [row.email for row in plan.rows]
    users = {user.email: user for user in db.session.scalars(select(User).where(User.email.in_(emails)))}
    profiles = {
        profile.user_id: profile
        for profile in db.session.scalars(
            select(SupervisorProfile).where(SupervisorProfile.user_id.in_([user.id for user in users.values()]))
        )
    }
    for row in plan.rows:
        user = row.user = users.get(row.email)
        if user is None:
            row.action = "create"
            continue
        changes: list[str] = []
        if not user.has_role(Role.SUPERVISOR):
            changes.append("role")
        if user.name != row.name:
            changes.append("name")
        profile = profiles.get(user.id)
        if profile is None:
            changes.append("profile")
        else:
            if profile.university_id != row.university.id:
                changes.append("university")
            for key, value in row.values.items():
                current = profile.research_fields if key == "fields" else getattr(profile, key)
                if current != value:
                    changes.append(key)
        row.changes = changes
        row.action = "add_role" if "role" in changes else ("update" if changes else "unchanged")


def apply_import(plan: ImportPlan, *, by: User) -> dict[str, int]:
    """Write a valid plan: create the new supervisors (and invite them), update the others; one audit event counts."""
    if not plan.valid:
        raise ImportFileError(_("The file has errors: nothing has been imported."))
    for row in plan.rows:
        user = row.user
        if row.action == "unchanged":
            continue
        if user is None:
            user = accounts.create_user(
                email=row.email,
                name=row.name,
                password=None,
                roles=[Role.SUPERVISOR],
                language=language_for(row.university),
                timezone=zone_for(row.university),
            )
            save_profile(user, _profile_data(None, row))
            accounts.send_invitation(user, invited_by=by)
            continue
        if user.name != row.name:
            audit.record("account.renamed", user, details={"name": [user.name, row.name]})
            user.name = row.name
        if not user.has_role(Role.SUPERVISOR):
            accounts.grant_role(user, Role.SUPERVISOR)
        save_profile(user, _profile_data(profile_of(user), row))
    counts = {
        "created": plan.count("create"),
        "role_added": plan.count("add_role"),
        "updated": plan.count("update"),
        "unchanged": plan.count("unchanged"),
    }
    audit.record("supervisors.imported", details={**counts, "rows": len(plan.rows)})
    return counts


def _profile_data(profile: SupervisorProfile | None, row: ImportRow) -> ProfileData:
    """The row's values over the existing profile's (a column left empty keeps what is there)."""
    base = ProfileData(university=row.university)
    if profile is not None:
        base = ProfileData(
            university=row.university,
            title=profile.title,
            department=profile.department,
            research_areas=profile.research_areas,
            languages=profile.languages,
            capacity=profile.capacity,
            accepting_candidates=profile.accepting_candidates,
            fields=tuple(profile.research_fields),
        )
    values = dict(row.values)
    if "fields" in values:
        values["fields"] = tuple(values["fields"])
    return ProfileData(**{**base.__dict__, **values})


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SIGNING_SALT)


def sign_import(text: str, plan: ImportPlan, *, user: User) -> str:
    """The file's content and the preview's fingerprint, signed, to carry to the confirming request."""
    return _serializer().dumps({"user": user.id, "text": text, "plan": plan.fingerprint()})


def unsign_import(token: str, *, user: User) -> tuple[str, str]:
    """The text and fingerprint of a signed preview; ImportFileError when it was changed, expired or is another's."""
    try:
        payload = _serializer().loads(token or "", max_age=IMPORT_MAX_AGE)
    except BadSignature as error:
        raise ImportFileError(_("The preview has expired or cannot be read. Please upload the file again.")) from error
    if not isinstance(payload, dict) or payload.get("user") != user.id or not isinstance(payload.get("text"), str):
        raise ImportFileError(_("The preview has expired or cannot be read. Please upload the file again."))
    return payload["text"], str(payload.get("plan", ""))
