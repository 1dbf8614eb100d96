"""The CSC documents as PDFs: the bilingual admission letter, the German supervisor's invitation letter and the
package of both with the approved joint research plan.

Each letter is set in German or English (the reader's language; English for Chinese readers) and then in Chinese:
the facts as label/value rows with both labels, the text in both languages, a signature block.
"""

from __future__ import annotations

import datetime as dt
import io

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pypdf import PdfWriter

from portal.applications.models import Application, DecisionOutcome
from portal.core.bilingual import CHINESE, both, in_language, primary_language
from portal.core.pdf import PortalPDF
from portal.core.templating import format_date_in_zone
from portal.core.timeutil import PROGRAMME_ZONES, utcnow
from portal.letters.models import LETTER_LABELS, LetterKind
from portal.letters.texts import LetterError, LetterFacts, fill
from portal.plans import pdf as plan_pdf
from portal.plans.models import JointPlan
from portal.plans.services import is_approved, plan_of

SIGNATURE = _l("Signature")
PLACE_AND_DATE = _l("Place and date")


def _facts_rows(pdf: PortalPDF, application: Application, language: str, today: dt.datetime) -> None:
    german, chinese = application.german_supervisor, application.chinese_supervisor
    pdf.rows(
        [
            (both(_l("Programme"), language), both(plan_pdf.PROGRAMME, language)),
            (both(_l("Applicant"), language), application.display_name),
            (both(_l("Reference number"), language), application.reference or ""),
            (both(plan_pdf.SIDE_LABELS["DE"], language), plan_pdf.supervisor_line(german, language)),
            (both(plan_pdf.SIDE_LABELS["CN"], language), plan_pdf.supervisor_line(chinese, language)),
            (both(_l("Date"), language), format_date_in_zone(today, PROGRAMME_ZONES[0])),
        ]
    )


def _texts(pdf: PortalPDF, kind: LetterKind, application: Application, facts: LetterFacts, language: str) -> None:
    for text_language in (language, CHINESE):
        pdf.heading(in_language(_l("Letter"), text_language), level=2)
        pdf.paragraph(fill(kind, text_language, application, facts))


def _signature(pdf: PortalPDF, name: str, detail: str, language: str) -> None:
    if pdf.will_page_break(35):  # a signature block is never split across two pages
        pdf.add_page()
    pdf.ln(8)
    pdf.paragraph("_" * 40 + "\n" + f"{name}\n{detail}")
    pdf.paragraph(f"{both(PLACE_AND_DATE, language)} · {both(SIGNATURE, language)}", muted=True)


def _require_admitted(application: Application) -> None:
    decision = application.decision
    if decision is None or decision.outcome != DecisionOutcome.ADMIT:
        raise LetterError(_("Letters are written for admitted candidates only."))


def _add_admission(pdf: PortalPDF, application: Application, language: str, facts: LetterFacts) -> None:
    pdf.title_block(both(LETTER_LABELS[LetterKind.ADMISSION], language))
    _facts_rows(pdf, application, language, facts.today or utcnow())
    _texts(pdf, LetterKind.ADMISSION, application, facts, language)
    _signature(pdf, in_language(_l("The coordination office"), language), both(plan_pdf.PROGRAMME, language), language)


def _add_invitation(pdf: PortalPDF, application: Application, language: str, facts: LetterFacts) -> None:
    german = application.german_supervisor
    pdf.title_block(both(LETTER_LABELS[LetterKind.INVITATION], language), facts.plan.title if facts.plan else "")
    _facts_rows(pdf, application, language, facts.today or utcnow())
    if facts.plan is not None:
        pdf.rows(
            [
                (both(_l("Duration (months)"), language), str(facts.plan.months_total)),
                (both(plan_pdf.FIELD_LABELS["months_germany"], language), str(facts.plan.months_germany)),
                (both(plan_pdf.FIELD_LABELS["months_china"], language), str(facts.plan.months_china)),
            ]
        )
    _texts(pdf, LetterKind.INVITATION, application, facts, language)
    detail = plan_pdf.supervisor_line(german, language).partition(", ")[2] if german else ""
    _signature(pdf, german.display_name if german else "", detail, language)


def _approved_plan(application: Application) -> JointPlan:
    plan = plan_of(application)
    if not is_approved(plan):
        raise LetterError(_("The joint research plan has not been approved by both supervisors yet."))
    return plan


def admission_letter_pdf(application: Application, acceptance_deadline: dt.datetime | None = None) -> bytes:
    """The bilingual admission letter of an admitted candidate."""
    _require_admitted(application)
    language = primary_language()
    pdf = plan_pdf.new_document(LETTER_LABELS[LetterKind.ADMISSION], application, language)
    _add_admission(pdf, application, language, LetterFacts(acceptance_deadline=acceptance_deadline, today=utcnow()))
    return pdf.to_bytes()


def invitation_letter_pdf(application: Application) -> bytes:
    """The German supervisor's invitation letter, naming the approved plan's title, duration and stays."""
    _require_admitted(application)
    plan = _approved_plan(application)
    language = primary_language()
    pdf = plan_pdf.new_document(LETTER_LABELS[LetterKind.INVITATION], application, language)
    _add_invitation(pdf, application, language, LetterFacts(plan=plan.current, today=utcnow()))
    return pdf.to_bytes()


def package_pdf(application: Application, acceptance_deadline: dt.datetime | None = None) -> bytes:
    """One PDF for the CSC: the admission letter, the invitation letter and the approved joint research plan."""
    _require_admitted(application)
    plan = _approved_plan(application)
    parts = [
        admission_letter_pdf(application, acceptance_deadline),
        invitation_letter_pdf(application),
        plan_pdf.plan_pdf(plan),
    ]
    writer = PdfWriter()
    for part in parts:
        writer.append(io.BytesIO(part))
    writer.add_metadata({"/Title": f"CSC {application.reference or ''}".strip()})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
