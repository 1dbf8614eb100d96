"""The applicant's downloads: a PDF summary of a submitted application, and all their personal data as a ZIP.

Neither ever contains a referee's letter (neither its text nor its file): the applicant only learns whether it arrived.
Both show a decision only once it is released, as the overview page does.
"""

from __future__ import annotations

import datetime as dt
import enum
import io
import json
import logging
import shutil
import zipfile
from typing import IO, Any

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.accounts.models import User
from portal.applications.models import Application, ApplicationState, Document, DocumentKind, LanguageLevel
from portal.applications.services import applications_of
from portal.core import storage
from portal.core.countries import country_name
from portal.core.pdf import PortalPDF
from portal.core.templating import current_language, format_in_zone
from portal.core.timeutil import PROGRAMME_ZONES, in_zone, is_valid_timezone, utcnow
from portal.supervisors.models import SupervisorProfile

log = logging.getLogger(__name__)

SUMMARY_DOWNLOADED = "application.summary_downloaded"
PERSONAL_DATA_EXPORTED = "account.personal_data_exported"
EXPORT_FORMAT = "promotionskolleg-personal-data/1"

LEVEL_LABELS = {LanguageLevel.NONE: _l("No knowledge"), LanguageLevel.NATIVE: _l("Native speaker")}


def owner_state(application: Application) -> ApplicationState:
    """The state as the applicant may see it: a decision stays "under review" until it is released."""
    if application.state == ApplicationState.DECIDED and not application.decision_released:
        return ApplicationState.UNDER_REVIEW
    return application.state


def has_summary(application: Application) -> bool:
    """Whether the application was submitted at some time (a draft has no summary)."""
    return application.state != ApplicationState.DRAFT and application.reference is not None


def applicant_documents(application: Application) -> list[Document]:
    """The documents the applicant uploaded: never a referee's letter, whatever its kind says."""
    letters = {referee.letter_document_id for referee in application.referees} - {None}
    return [d for d in application.documents if d.kind != DocumentKind.REFEREE_LETTER and d.id not in letters]


# --- The PDF summary ---------------------------------------------------------------------------------------------


def _in_both_zones(moment: dt.datetime | None) -> str:
    if moment is None:
        return ""
    return "\n".join(format_in_zone(moment, zone) for zone in PROGRAMME_ZONES)


def _level(level: LanguageLevel | None, certificate: str, extra: str = "") -> str:
    if level is None:
        return ""
    text = str(LEVEL_LABELS.get(level, level.value)) + extra
    return f"{text} – {certificate}" if certificate else text


def _supervisor(profile: SupervisorProfile | None) -> str:
    return f"{profile.display_name}, {profile.university.name}" if profile is not None else ""


def _consent(moment: dt.datetime | None, version: str | None) -> str:
    if moment is None:
        return _("not given")
    when = _in_both_zones(moment)
    return f"{when}\n{_('version %(version)s', version=version)}" if version else when


def summary_filename(application: Application) -> str:
    return f"{application.reference or f'application-{application.id}'}-summary.pdf"


def summary_pdf(application: Application) -> bytes:
    """The submitted application as a PDF, labelled in the viewer's language (Chinese, German, English all render)."""
    title = f"{_('Application')} {application.reference or ''}".strip()
    pdf = PortalPDF(
        title=title,
        header_text=f"{_('International Doctoral College')} · {application.intake_round.name}",
        footer_text=_("Created on %(when)s", when=format_in_zone(utcnow(), PROGRAMME_ZONES[0])),
        language=current_language(),
    )
    pdf.title_block(title, application.display_name)
    status = owner_state(application).label
    if application.decision_released and application.decision is not None:
        status = f"{status}: {application.decision.outcome.label}"
    pdf.rows(
        [
            (_("Reference number"), application.reference or ""),
            (_("Intake round"), application.intake_round.name),
            (_("Status"), status),
            (_("Submitted on"), _in_both_zones(application.submitted_at)),
        ]
    )
    _personal_section(pdf, application)
    _education_section(pdf, application)
    _languages_section(pdf, application)
    _proposal_section(pdf, application)
    _documents_and_referees(pdf, application)
    pdf.heading(_("Consents"))
    pdf.rows(
        [
            (
                _("Privacy notice"),
                _consent(application.privacy_consent_at, application.privacy_consent_version),
            ),
            (
                _("Transfer to the partner universities"),
                _consent(application.transfer_consent_at, application.transfer_consent_version),
            ),
            (_("Declaration"), _consent(application.declaration_at, None)),
        ]
    )
    return pdf.to_bytes()


def _personal_section(pdf: PortalPDF, a: Application) -> None:
    pdf.heading(_("Personal data"))
    pdf.rows(
        [
            (_("Family name"), a.family_name),
            (_("Given names"), a.given_names),
            (_("Name in native script"), a.native_name),
            (_("Date of birth"), format_date(a.date_of_birth, "long") if a.date_of_birth else ""),
            (_("Nationality"), country_name(a.nationality)),
            (_("Contact address"), a.address),
            (_("Phone number"), a.phone),
            (_("Email address"), a.applicant.email),
        ]
    )


def _education_section(pdf: PortalPDF, a: Application) -> None:
    pdf.heading(_("Education"))
    if not a.education:
        pdf.paragraph("", muted=True)
    for entry in a.education:
        pdf.heading(f"{entry.degree} ({entry.level.label})", level=2)
        pdf.rows(
            [
                (_("Subject"), entry.subject),
                (_("University"), entry.institution),
                (_("Country"), country_name(entry.country)),
                (_("Year of the degree"), str(entry.year)),
                (_("Grade"), f"{entry.grade} ({entry.grading_scale})" if entry.grading_scale else entry.grade),
            ]
        )


def _languages_section(pdf: PortalPDF, a: Application) -> None:
    pdf.heading(_("Languages"))
    hsk = f", HSK {a.chinese_hsk}" if a.chinese_hsk else ""
    pdf.rows(
        [
            (_("English"), _level(a.english_level, a.english_certificate)),
            (_("German"), _level(a.german_level, a.german_certificate)),
            (_("Chinese"), _level(a.chinese_level, a.chinese_certificate, hsk)),
        ]
    )


def _proposal_section(pdf: PortalPDF, a: Application) -> None:
    pdf.heading(_("Research proposal"))
    pdf.rows(
        [
            (_("Title of the research project"), a.proposal_title),
            (_("Research field"), a.research_field.label if a.research_field else ""),
            (_("Keywords"), a.keywords),
        ]
    )
    pdf.heading(_("Abstract"), level=2)
    pdf.paragraph(a.abstract)
    pdf.heading(_("Co-supervisors"))
    pdf.rows(
        [
            (_("German supervisor"), _supervisor(a.german_supervisor)),
            (_("Chinese supervisor"), _supervisor(a.chinese_supervisor)),
        ]
    )
    pdf.heading(_("Why these two supervisors?"), level=2)
    pdf.paragraph(a.supervisor_motivation)


def _documents_and_referees(pdf: PortalPDF, a: Application) -> None:
    pdf.heading(_("Documents"))
    pdf.bullets(f"{d.kind.label}: {d.original_filename}" for d in applicant_documents(a))
    pdf.heading(_("Referees"))
    received, missing = _("Letter received"), _("Letter not yet received")
    pdf.rows(
        (
            f"{referee.name}\n{referee.institution}",
            f"{referee.relation_label}\n{received if referee.letter_received else missing}",
        )
        for referee in a.referees
    )
    if not a.referees:
        pdf.paragraph("", muted=True)


# --- All personal data ---------------------------------------------------------------------------------------------

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
})
EDUCATION_FIELDS = ("id", "level", "degree", "subject", "institution", "country", "year", "grade", "grading_scale")
# Never the secret link (token_hash), never the letter (letter_text, letter_document_id): only whether it arrived.
REFEREE_FIELDS = (
    "position", "name", "email", "institution", "relation",
    "created_at", "invited_at", "invitations_sent", "letter_received_at",
)
# fmt: on
DOCUMENT_FIELDS = ("id", "kind", "original_filename", "size_bytes", "sha256", "page_count", "uploaded_at")


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value.value if isinstance(value, enum.Enum) else value


def _fields(obj: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: _plain(getattr(obj, name)) for name in names}


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


def _application_data(application: Application, files: dict[int, str | None]) -> dict[str, Any]:
    data = _fields(application, APPLICATION_FIELDS)
    data["state"] = owner_state(application).value
    data["intake_round"] = {"id": application.intake_round.id, "name": application.intake_round.name}
    data["german_supervisor"] = _supervisor_data(application.german_supervisor)
    data["chinese_supervisor"] = _supervisor_data(application.chinese_supervisor)
    data["consents"] = [
        {
            "consent": "privacy_notice",
            "given_at": _plain(application.privacy_consent_at),
            "version": application.privacy_consent_version,
        },
        {
            "consent": "transfer_to_partner_universities",
            "given_at": _plain(application.transfer_consent_at),
            "version": application.transfer_consent_version,
        },
        {"consent": "declaration", "given_at": _plain(application.declaration_at), "version": None},
    ]
    data["education"] = [_fields(entry, EDUCATION_FIELDS) for entry in application.education]
    data["referees"] = [
        {**_fields(referee, REFEREE_FIELDS), "letter_received": referee.letter_received}
        for referee in application.referees
    ]
    data["documents"] = [
        {**_fields(document, DOCUMENT_FIELDS), "file": files.get(document.id)}
        for document in applicant_documents(application)
    ]
    decision = application.decision if application.decision_released else None
    data["decision"] = (
        {"outcome": decision.outcome.value, "released_at": _plain(decision.released_at)} if decision else None
    )
    return data


def personal_data(user: User, files: dict[int, str | None] | None = None, *, now: dt.datetime | None = None) -> dict:
    """Everything the portal keeps about the user as an applicant (files maps document ids to their place in a ZIP)."""
    account = _fields(user, ACCOUNT_FIELDS)
    account["roles"] = [{"role": role.role.value, "granted_at": _plain(role.granted_at)} for role in user.roles]
    return {
        "format": EXPORT_FORMAT,
        "exported_at": _plain(now or utcnow()),
        "account": account,
        "applications": [_application_data(a, files or {}) for a in applications_of(user)],
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


def _zip_info(name: str, moment: dt.datetime, zone: str) -> zipfile.ZipInfo:
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
            for document in applicant_documents(application):
                name = names.claim(folder, storage.safe_filename(document.original_filename))
                try:
                    source = storage.open_file(document.storage_key)
                except FileNotFoundError:
                    log.error("Document %s is missing from storage (%s)", document.id, document.storage_key)
                    files[document.id] = None
                    continue
                with source, archive.open(_zip_info(name, document.uploaded_at, user.timezone), "w") as sink:
                    shutil.copyfileobj(source, sink)
                files[document.id] = name
        content = json.dumps(personal_data(user, files, now=now), ensure_ascii=False, indent=2) + "\n"
        archive.writestr(_zip_info("data.json", now, user.timezone), content.encode("utf-8"))


def personal_data_zip(user: User, *, now: dt.datetime | None = None) -> bytes:
    """The ZIP of write_personal_data_zip as bytes."""
    buffer = io.BytesIO()
    write_personal_data_zip(user, buffer, now=now)
    return buffer.getvalue()
