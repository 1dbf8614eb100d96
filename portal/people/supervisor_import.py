"""Importing supervisors from a CSV file: decode, check every row, preview, then write all or nothing."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select

from portal import db
from portal.accounts import services as accounts
from portal.accounts.models import User
from portal.core import audit
from portal.core.roles import Role
from portal.people.import_checks import ImportProblem, ImportRow, check_rows, header_problems
from portal.people.profiles import PeopleError, ProfileData, save_profile
from portal.people.services import language_for, zone_for
from portal.supervisors.models import SupervisorProfile
from portal.supervisors.services import profile_of

MAX_IMPORT_BYTES = 256 * 1024  # the signed preview travels in a form field, which Flask limits to 500 kB
MAX_IMPORT_ROWS = 1000
IMPORT_MAX_AGE = 3600  # seconds a preview may be confirmed
_SIGNING_SALT = "portal.coordination.supervisor-import"  # unchanged, so that previews signed before stay valid


class ImportFileError(PeopleError):
    """The file cannot be read at all (encoding, size) or the preview cannot be trusted; shown next to the file."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="file")


def _preview_unreadable() -> ImportFileError:
    return ImportFileError(_("The preview has expired or cannot be read. Please upload the file again."))


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
    plan.columns = [cell.strip().lower() for cell in header]
    rows = records[1:]
    header = [ImportProblem(header_line, problem) for problem in header_problems(plan.columns)]
    plan.problems += header or _size_problems(header_line, rows)
    if not plan.problems:
        plan.rows, plan.problems = check_rows(plan.columns, rows)
        _match_existing(plan)
    return plan


def _size_problems(header_line: int, rows: list[tuple[int, list[str]]]) -> list[ImportProblem]:
    """A file needs at least one row and at most MAX_IMPORT_ROWS."""
    if not rows:
        return [ImportProblem(header_line, _("The file has a header but no rows."))]
    if len(rows) > MAX_IMPORT_ROWS:
        return [ImportProblem(rows[MAX_IMPORT_ROWS][0], _("At most %(count)d rows at once.", count=MAX_IMPORT_ROWS))]
    return []


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
        row.changes = _changes(row, user, profiles.get(user.id))
        row.action = "add_role" if "role" in row.changes else ("update" if row.changes else "unchanged")


def _changes(row: ImportRow, user: User, profile: SupervisorProfile | None) -> list[str]:
    """What the row would change about an existing account: role, name, profile (or the profile's values)."""
    changes: list[str] = []
    if not user.has_role(Role.SUPERVISOR):
        changes.append("role")
    if user.name != row.name:
        changes.append("name")
    if profile is None:
        return [*changes, "profile"]
    if profile.university_id != row.university.id:
        changes.append("university")
    for key, value in row.values.items():
        current = profile.research_fields if key == "fields" else getattr(profile, key)
        if current != value:
            changes.append(key)
    return changes


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
    base = ProfileData.of(profile) if profile is not None else ProfileData(university=row.university)
    values = dict(row.values)
    if "fields" in values:
        values["fields"] = tuple(values["fields"])
    return base.replaced(university=row.university, **values)


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
        raise _preview_unreadable() from error
    if not isinstance(payload, dict) or payload.get("user") != user.id or not isinstance(payload.get("text"), str):
        raise _preview_unreadable()
    return payload["text"], str(payload.get("plan", ""))


@dataclass(frozen=True)
class ImportCheck:
    """A checked file: its plan, the signed preview to confirm (only when the plan is valid), and once confirmed the
    counts of what was done."""

    plan: ImportPlan
    payload: str | None = None
    counts: dict[str, int] | None = None


def _checked(text: str, user: User) -> ImportCheck:
    plan = plan_import(text)
    return ImportCheck(plan, sign_import(text, plan, user=user) if plan.valid else None)


def check_file(data: bytes, *, user: User) -> ImportCheck:
    """Read an uploaded file and plan its import (nothing is written); ImportFileError when it cannot be read."""
    return _checked(decode_import(data), user)


def confirm(token: str, *, by: User) -> ImportCheck:
    """Import a confirmed preview, unless the file has errors or the accounts changed since the preview: then the
    new plan comes back (with a new preview to confirm when it is valid) and nothing is written."""
    text, fingerprint = unsign_import(token, user=by)
    check = _checked(text, by)
    if not check.plan.valid or check.plan.fingerprint() != fingerprint:
        return check
    return ImportCheck(check.plan, counts=apply_import(check.plan, by=by))
