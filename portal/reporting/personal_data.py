"""The applicant's personal data as a ZIP: data.json with everything the portal keeps about them as an applicant, and
their own uploads under documents/ (never a referee's letter: only whether it arrived). A decision appears only once
it is released, as on the overview page.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import shutil
import zipfile
from typing import IO, Any

from portal.accounts.models import User
from portal.applications.models import Application
from portal.applications.services import applications_of
from portal.core import storage
from portal.core.timeutil import PROGRAMME_ZONES, in_zone, is_valid_timezone, utcnow
from portal.reporting.application_pdf import ordered_documents
from portal.reporting.personal_data_more import interview_data, offer_data, plain, plan_data
from portal.supervisors.models import SupervisorProfile

log = logging.getLogger(__name__)

PERSONAL_DATA_EXPORTED = "account.personal_data_exported"
EXPORT_FORMAT = "promotionskolleg-personal-data/1"

# Explicit lists, so that a column added later is exported only once someone decided it belongs to the applicant.
# fmt: off
ACCOUNT_FIELDS = (
    "id", "email", "name", "language", "timezone", "active", "email_confirmed_at", "created_at", "last_login_at",
)
# Every column of an application is either exported as it is, or shown in another form (a test keeps the two lists
# complete): the state as the applicant may see it, round and supervisors by name, consents as a list.
APPLICATION_FIELDS = (
    "id", "reference", "created_at", "updated_at", "submitted_at", "withdrawn_at",
    "family_name", "given_names", "native_name", "date_of_birth", "nationality", "address", "phone",
    "english_level", "english_certificate", "german_level", "german_certificate",
    "chinese_level", "chinese_hsk", "chinese_certificate",
    "proposal_title", "research_field", "abstract", "keywords", "supervisor_motivation",
)
APPLICATION_COLUMNS_SHOWN_OTHERWISE = frozenset({
    "state", "round_id", "applicant_id", "german_supervisor_id", "chinese_supervisor_id", "declaration_at",
    "privacy_consent_at", "privacy_consent_version", "transfer_consent_at", "transfer_consent_version",
    "version",  # the optimistic-locking counter: nothing about the person
    "name_key", "search_key",  # derived from the names, the reference and the account (exported as they are)
})
EDUCATION_FIELDS = ("id", "level", "degree", "subject", "institution", "country", "year", "grade", "grading_scale")
# Never the secret link (token_hash), never the letter (letter_text, letter_document_id): only whether it arrived.
REFEREE_FIELDS = (
    "position", "name", "email", "institution", "relation",
    "created_at", "invited_at", "invitations_sent", "letter_received_at",
)
# fmt: on
DOCUMENT_FIELDS = ("id", "kind", "original_filename", "size_bytes", "sha256", "page_count", "uploaded_at")


def _fields(obj: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: plain(getattr(obj, name)) for name in names}


def _supervisor_data(profile: SupervisorProfile | None) -> dict[str, Any] | None:
    if profile is None:
        return None
    university = profile.university
    return {
        "name": profile.display_name,
        "university": {
            "code": university.code,
            "de": university.name_de,
            "en": university.name_en,
            "zh": university.name_zh,
        },
    }


def _application_data(application: Application, files: dict[int, str | None], now: dt.datetime) -> dict[str, Any]:
    data = _fields(application, APPLICATION_FIELDS)
    data["state"] = application.public_state.value
    data["intake_round"] = {"id": application.intake_round.id, "name": application.intake_round.name}
    data["german_supervisor"] = _supervisor_data(application.german_supervisor)
    data["chinese_supervisor"] = _supervisor_data(application.chinese_supervisor)
    data["consents"] = [
        {
            "consent": "privacy_notice",
            "given_at": plain(application.privacy_consent_at),
            "version": application.privacy_consent_version,
        },
        {
            "consent": "transfer_to_partner_universities",
            "given_at": plain(application.transfer_consent_at),
            "version": application.transfer_consent_version,
        },
        {"consent": "declaration", "given_at": plain(application.declaration_at), "version": None},
    ]
    data["education"] = [_fields(entry, EDUCATION_FIELDS) for entry in application.education]
    data["referees"] = [
        {**_fields(referee, REFEREE_FIELDS), "letter_received": referee.letter_received}
        for referee in application.referees
    ]
    data["documents"] = [
        {**_fields(document, DOCUMENT_FIELDS), "file": files.get(document.id)}
        for document in ordered_documents(application)
    ]
    decision = application.decision if application.decision_released else None
    data["decision"] = (
        {"outcome": decision.outcome.value, "released_at": plain(decision.released_at)} if decision else None
    )
    data["offer"] = offer_data(application, now)
    data["interview"] = interview_data(application)
    data["joint_research_plan"] = plan_data(application)
    return data


def personal_data(user: User, files: dict[int, str | None] | None = None, *, now: dt.datetime | None = None) -> dict:
    """Everything the portal keeps about the user as an applicant (files maps document ids to their place in a ZIP)."""
    now = now or utcnow()
    account = _fields(user, ACCOUNT_FIELDS)
    account["roles"] = [{"role": role.role.value, "granted_at": plain(role.granted_at)} for role in user.roles]
    return {
        "format": EXPORT_FORMAT,
        "exported_at": plain(now),
        "account": account,
        "applications": [_application_data(a, files or {}, now) for a in applications_of(user)],
    }


class _UniqueNames:
    """Names inside the ZIP, each used once (compared case-insensitively, as Windows and macOS do)."""

    def __init__(self) -> None:
        self.taken: set[str] = set()

    def claim(self, folder: str, filename: str) -> str:
        stem, dot, suffix = filename.rpartition(".")
        stem, suffix = (stem, dot + suffix) if dot else (filename, "")
        candidate, number = f"{folder}/{filename}", 1
        while candidate.casefold() in self.taken:
            number += 1
            candidate = f"{folder}/{stem} ({number}){suffix}"
        self.taken.add(candidate.casefold())
        return candidate


def zip_info(name: str, moment: dt.datetime, zone: str) -> zipfile.ZipInfo:
    """A ZIP entry dated in the owner's time zone, compressed, readable by everyone who has the file."""
    local = in_zone(moment, zone if is_valid_timezone(zone) else PROGRAMME_ZONES[0])
    info = zipfile.ZipInfo(name, date_time=local.timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def personal_data_filename(now: dt.datetime) -> str:
    return f"my-data-{now.date().isoformat()}.zip"


def write_personal_data_zip(user: User, target: IO[bytes], *, now: dt.datetime | None = None) -> None:
    """Write the ZIP to target: data.json, and the user's own uploads under documents/ (never referees' letters)."""
    now = now or utcnow()
    names = _UniqueNames()
    files: dict[int, str | None] = {}
    with zipfile.ZipFile(target, "w") as archive:
        for application in applications_of(user):
            folder = f"documents/{application.reference or f'application-{application.id}'}"
            for document in ordered_documents(application):
                name = names.claim(folder, storage.safe_filename(document.original_filename))
                try:
                    source = storage.open_file(document.storage_key)
                except FileNotFoundError:
                    log.error("Document %s is missing from storage (%s)", document.id, document.storage_key)
                    files[document.id] = None
                    continue
                with source, archive.open(zip_info(name, document.uploaded_at, user.timezone), "w") as sink:
                    shutil.copyfileobj(source, sink)
                files[document.id] = name
        content = json.dumps(personal_data(user, files, now=now), ensure_ascii=False, indent=2) + "\n"
        archive.writestr(zip_info("data.json", now, user.timezone), content.encode("utf-8"))


def personal_data_zip(user: User, *, now: dt.datetime | None = None) -> bytes:
    """The ZIP of write_personal_data_zip as bytes."""
    buffer = io.BytesIO()
    write_personal_data_zip(user, buffer, now=now)
    return buffer.getvalue()
