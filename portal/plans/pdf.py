"""The approved joint research plan as a PDF: headings in German or English and in Chinese, both approvals printed."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.applications.models import Application
from portal.core.bilingual import both, primary_language
from portal.core.pdf import PortalPDF
from portal.core.templating import format_in_zone
from portal.core.timeutil import PROGRAMME_ZONES
from portal.plans.models import JointPlan, PlanApproval
from portal.plans.services import FIELD_LABELS
from portal.supervisors.models import SupervisorProfile

PROGRAMME = _l("International Doctoral College")
PLAN_TITLE = _l("Joint research plan")
SIDE_LABELS = {"DE": _l("German supervisor"), "CN": _l("Chinese supervisor")}


def plan_filename(plan: JointPlan) -> str:
    reference = plan.application.reference or f"application-{plan.application_id}"
    return f"{reference}-joint-plan-v{plan.current.number}.pdf"


def supervisor_line(profile: SupervisorProfile | None, language: str) -> str:
    """The supervisor's name and university, the university in the primary language and in Chinese."""
    if profile is None:
        return ""
    university = profile.university
    name = university.name_de if language == "de" else university.name_en
    return f"{profile.display_name}, {name} ({university.name_zh})"


def _approval_row(approval: PlanApproval, application: Application, language: str) -> tuple[str, str]:
    when = "\n".join(format_in_zone(approval.approved_at, zone) for zone in PROGRAMME_ZONES)
    return (
        both(SIDE_LABELS[approval.side], language),
        f"{approval.supervisor.name}\n{when}\nsha256 {approval.sha256}",
    )


def add_plan(pdf: PortalPDF, plan: JointPlan, language: str) -> None:
    """The plan's sections and its approvals, on the current page of pdf (the CSC package adds it after the letters)."""
    application, current = plan.application, plan.current
    pdf.title_block(both(PLAN_TITLE, language), current.title)
    pdf.rows(
        [
            (both(_l("Applicant"), language), application.display_name),
            (both(_l("Reference number"), language), application.reference or ""),
            (both(SIDE_LABELS["DE"], language), supervisor_line(application.german_supervisor, language)),
            (both(SIDE_LABELS["CN"], language), supervisor_line(application.chinese_supervisor, language)),
            (both(_l("Version"), language), str(current.number)),
        ]
    )
    for name in ("summary", "work_packages"):
        pdf.heading(both(FIELD_LABELS[name], language))
        pdf.paragraph(getattr(current, name))
    pdf.heading(both(_l("Planned stays"), language))
    pdf.rows(
        [
            (both(FIELD_LABELS["months_germany"], language), str(current.months_germany)),
            (both(FIELD_LABELS["months_china"], language), str(current.months_china)),
            (both(_l("Duration (months)"), language), str(current.months_total)),
        ]
    )
    pdf.heading(both(FIELD_LABELS["milestones"], language))
    pdf.paragraph(current.milestones)
    if pdf.will_page_break(60):  # the approvals stay together with their heading
        pdf.add_page()
    pdf.heading(both(_l("Approvals"), language))
    pdf.rows(_approval_row(a, application, language) for a in plan.active_approvals)


def new_document(title: object, application: Application, language: str) -> PortalPDF:
    """An empty bilingual document about application: running header with the programme and the reference."""
    header = " · ".join(p for p in (both(PROGRAMME, language), application.reference or "") if p)
    return PortalPDF(title=both(title, language), header_text=header, language=language)


def plan_pdf(plan: JointPlan, language: str | None = None) -> bytes:
    """The approved plan as a PDF (the caller checks that it is approved)."""
    language = primary_language(language)
    pdf = new_document(PLAN_TITLE, plan.application, language)
    add_plan(pdf, plan, language)
    return pdf.to_bytes()
