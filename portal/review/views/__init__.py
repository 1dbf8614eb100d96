"""The review domain's pages: the committee member's (reviewer), the coordinator's (assignments, selection) under the
`review` blueprint, and the chosen supervisor's under the `supervise` blueprint (views/supervise.py)."""

from __future__ import annotations

from flask import Blueprint
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal.core.roles import Role
from portal.core.templating import register_nav_item
from portal.core.timeutil import utcnow
from portal.review import todos
from portal.review.models import CRITERIA, CRITERIA_SHORT

bp = Blueprint("review", __name__, url_prefix="/review")


@bp.context_processor
def criterion_columns() -> dict[str, object]:
    """Every page of the blueprint can head a column per criterion: (field, full name, short name), translated once
    (the ranking heads every row's reviews with them)."""
    return {"criterion_columns": [(name, str(label), str(CRITERIA_SHORT[name])) for name, label in CRITERIA.items()]}


@bp.app_context_processor
def dashboard_todos() -> dict[str, object]:
    """The to-dos the general dashboard's cards start with; each is queried only when its card is shown."""
    return {
        "coordinator_todos": lambda: todos.coordinator_todos(utcnow()),
        "reviewer_todos": lambda: todos.reviewer_todos(current_user, utcnow()),
        "supervisor_todos": lambda: todos.supervisor_todos(current_user),
    }


register_nav_item("review.dashboard", _l("Reviews"), roles=(Role.COMMITTEE,), order=30)
register_nav_item("review.rounds", _l("Selection"), roles=(Role.COORDINATOR,), order=35)

# The pages of the blueprint, in modules by audience; imported once bp exists.
from portal.review.views import assignments, bulk, reminders, reviewer, rubric, selection  # noqa: E402, F401
