"""The coordinators' dashboard: the numbers of a round, each as a chart (inline SVG) and as a table; and the data of the
general dashboard's applicant and supervisor cards (where things stand)."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal.applications.services import list_rounds
from portal.core.i18n import select_timezone
from portal.core.permissions import coordinator_only
from portal.core.roles import Role
from portal.core.templating import register_nav_item
from portal.core.timeutil import utcnow
from portal.dashboard import services
from portal.dashboard.applicant import applicant_progress
from portal.dashboard.sections import sections
from portal.dashboard.supervisor import supervisor_standings
from portal.review.disagreements import disagreements
from portal.review.ranking import DISAGREEMENT_SPREAD
from portal.rounds.services import round_asked_for

bp = Blueprint("dashboard", __name__, url_prefix="/coordination")


@bp.get("/")
@coordinator_only
def index():
    intake = round_asked_for(request.args.get("round"))
    data = services.round_stats(intake, select_timezone()) if intake else None
    return render_template(
        "dashboard/index.html",
        intake=intake,
        rounds=list_rounds(),
        data=data,
        sections=sections(data) if data else [],
        disagreements=disagreements(intake.id) if intake else [],
        disagreement=DISAGREEMENT_SPREAD,
    )


@bp.app_context_processor
def where_things_stand() -> dict[str, object]:
    """The applicant's and the supervisor's cards on the general dashboard; each is queried only when shown."""
    return {
        "applicant_progress": lambda: applicant_progress(current_user, utcnow()),
        "supervisor_standings": lambda: supervisor_standings(current_user),
    }


register_nav_item("dashboard.index", _l("Coordination"), roles=(Role.COORDINATOR,), order=40)
