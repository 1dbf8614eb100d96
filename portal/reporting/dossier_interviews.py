"""The dossier's interview section: the time in Berlin and Shanghai, the panel, and the submitted notes and scores
the viewer may read (interviews/permissions.py, like reviews)."""

from __future__ import annotations

from flask_babel import gettext as _

from portal.accounts.models import User
from portal.applications.models import Application
from portal.core.pdf import PortalPDF
from portal.interviews.notes import interviews_for_record
from portal.reporting.application_pdf import in_both_zones


def interviews_section(pdf: PortalPDF, viewer: User, application: Application) -> None:
    """Nothing when the viewer may see no interview of the application."""
    for item in interviews_for_record(viewer, application):
        pdf.heading(_("Interview"))
        slot = item.slot
        mean = "" if item.mean is None else f"{item.mean:.2f}"
        pdf.rows(
            [
                (_("Time"), in_both_zones(slot.starts_at) if slot is not None else _("no time chosen yet")),
                (_("Panel"), ", ".join(user.name for user in item.invitation.interview.panel_users)),
                (_("Mean interview score"), mean),
            ]
        )
        for note in (note for note in item.notes if note.submitted):
            pdf.heading(note.author.name, level=2)
            pdf.rows([(_("Score"), str(note.score))])
            pdf.paragraph(note.notes or _("No notes."), muted=not note.notes)
