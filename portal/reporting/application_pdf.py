"""What every PDF of an application shares, written once: the running header, the title and status block, the order
of the documents, and the sections of the application itself (personal data, education, languages, proposal).

The applicant's summary and the coordinators' dossier both build on these; the dossier shows the decision as staff
know it, the summary only once it is released (`Application.public_state`).
"""

from __future__ import annotations

import datetime as dt

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.applications.documents import UPLOAD_KINDS, applicant_documents
from portal.applications.models import Application, Document, LanguageLevel
from portal.core.countries import country_name
from portal.core.pdf import PortalPDF
from portal.core.templating import format_in_zone
from portal.core.timeutil import PROGRAMME_ZONES
from portal.supervisors.models import SupervisorProfile

LEVEL_LABELS = {LanguageLevel.NONE: _l("No knowledge"), LanguageLevel.NATIVE: _l("Native speaker")}


def in_both_zones(moment: dt.datetime | None) -> str:
    """A moment in Berlin and in Shanghai time, one per line (empty when there is none)."""
    if moment is None:
        return ""
    return "\n".join(format_in_zone(moment, zone) for zone in PROGRAMME_ZONES)


def ordered_documents(application: Application) -> list[Document]:
    """The applicant's own uploads in the order of the upload step, never a referee's letter (whatever its kind)."""
    letters = {referee.letter_document_id for referee in application.referees} - {None}
    own = [document for document in applicant_documents(application) if document.id not in letters]
    return sorted(own, key=lambda document: UPLOAD_KINDS.index(document.kind))


def pdf_title(kind: str, application: Application) -> str:
    """The title of a PDF of the application: its kind ("Application", "Dossier") and the reference number."""
    return f"{kind} {application.reference or ''}".strip()


def header_text(application: Application) -> str:
    """The running header of every page: the programme, the round and the reference number."""
    parts = (_("International Doctoral College"), application.intake_round.name, application.reference or "")
    return " · ".join(part for part in parts if part)


def title_block(pdf: PortalPDF, kind: str, application: Application) -> None:
    """The first lines: the title, then the applicant's name (and the name in native script)."""
    name = application.display_name
    pdf.title_block(
        pdf_title(kind, application), f"{name} · {application.native_name}" if application.native_name else name
    )


def status_block(pdf: PortalPDF, application: Application, *, staff: bool, more: list[tuple[str, str]]) -> None:
    """Reference number, round, status and submission time, then more rows. The status names the decision as staff
    know it (staff), else only once it is released, as the applicant's pages do."""
    state = application.state if staff else application.public_state
    decision = application.decision if staff or application.decision_released else None
    status = f"{state.label}: {decision.outcome.label}" if decision is not None else state.label
    rows = [
        (_("Reference number"), application.reference or ""),
        (_("Intake round"), application.intake_round.name),
        (_("Status"), status),
        (_("Submitted on"), in_both_zones(application.submitted_at)),
    ]
    pdf.rows([*rows, *more])


def application_sections(pdf: PortalPDF, application: Application) -> None:
    """The application as the applicant entered it: personal data, education, languages, proposal, supervisors."""
    _personal_section(pdf, application)
    _education_section(pdf, application)
    _languages_section(pdf, application)
    _proposal_section(pdf, application)


def _level(level: LanguageLevel | None, certificate: str, extra: str = "") -> str:
    if level is None:
        return ""
    text = str(LEVEL_LABELS.get(level, level.value)) + extra
    return f"{text} – {certificate}" if certificate else text


def supervisor_line(profile: SupervisorProfile | None) -> str:
    """A chosen supervisor with their university (empty when none is chosen)."""
    return f"{profile.display_name}, {profile.university.name}" if profile is not None else ""


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
            (_("German supervisor"), supervisor_line(a.german_supervisor)),
            (_("Chinese supervisor"), supervisor_line(a.chinese_supervisor)),
        ]
    )
    pdf.heading(_("Why these two supervisors?"), level=2)
    pdf.paragraph(a.supervisor_motivation)
