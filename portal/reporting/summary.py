"""The applicant's PDF summary of a submitted application, in the viewer's language (Chinese, German, English).

It never contains a referee's letter (neither its text nor its file): the applicant only learns whether it arrived.
It shows a decision only once it is released, as the overview page does.
"""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _

from portal.applications.models import Application, ApplicationState
from portal.core.pdf import PortalPDF
from portal.core.templating import current_language, format_in_zone
from portal.core.timeutil import PROGRAMME_ZONES, utcnow
from portal.reporting.application_pdf import (
    application_sections,
    header_text,
    in_both_zones,
    ordered_documents,
    pdf_title,
    status_block,
    title_block,
)

SUMMARY_DOWNLOADED = "application.summary_downloaded"


def has_summary(application: Application) -> bool:
    """Whether the application was submitted at some time (a draft has no summary)."""
    return application.state != ApplicationState.DRAFT and application.reference is not None


def summary_filename(application: Application) -> str:
    return f"{application.reference or f'application-{application.id}'}-summary.pdf"


def summary_pdf(application: Application) -> bytes:
    """The submitted application as a PDF, labelled in the viewer's language."""
    pdf = PortalPDF(
        title=pdf_title(_("Application"), application),
        header_text=header_text(application),
        footer_text=_("Created on %(when)s", when=format_in_zone(utcnow(), PROGRAMME_ZONES[0])),
        language=current_language(),
    )
    title_block(pdf, _("Application"), application)
    status_block(pdf, application, staff=False, more=[])
    application_sections(pdf, application)
    _documents_and_referees(pdf, application)
    _consents(pdf, application)
    return pdf.to_bytes()


def _documents_and_referees(pdf: PortalPDF, a: Application) -> None:
    pdf.heading(_("Documents"))
    pdf.bullets(f"{d.kind.label}: {d.original_filename}" for d in ordered_documents(a))
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


def _consent(moment: dt.datetime | None, version: str | None) -> str:
    if moment is None:
        return _("not given")
    when = in_both_zones(moment)
    return f"{when}\n{_('version %(version)s', version=version)}" if version else when


def _consents(pdf: PortalPDF, a: Application) -> None:
    pdf.heading(_("Consents"))
    pdf.rows(
        [
            (_("Privacy notice"), _consent(a.privacy_consent_at, a.privacy_consent_version)),
            (_("Transfer to the partner universities"), _consent(a.transfer_consent_at, a.transfer_consent_version)),
            (_("Declaration"), _consent(a.declaration_at, None)),
        ]
    )
