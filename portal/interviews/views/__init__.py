"""The pages of interviews: the coordinators' (invitation, slots, link, hours), the applicant's (book, move, cancel)
and the panel's (its interviews, notes and scores, the calendar feed)."""

from __future__ import annotations

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from portal.core.roles import Role
from portal.core.templating import register_nav_item
from portal.interviews.pages import applicant_interview, slot_range, zone_label

bp = Blueprint("interviews", __name__, url_prefix="/interviews")


@bp.app_context_processor
def interview_helpers() -> dict[str, object]:
    """For pages of other domains: the applicant's status page shows what interviews hold (the ranking reads its
    interview column with its rows: portal.interviews.notes.ranking_columns)."""
    return {"applicant_interview": applicant_interview}


# Globals (not context): the macros of interviews/_macros.html and the emails use them.
bp.add_app_template_global(slot_range)
bp.add_app_template_global(zone_label)


register_nav_item("interviews.panel", _l("Interviews"), roles=(Role.COMMITTEE, Role.SUPERVISOR), order=31)

# The pages of the blueprint, in modules by audience; imported once bp exists.
from portal.interviews.views import applicant, panel, staff  # noqa: E402, F401
