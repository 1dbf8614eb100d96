"""The review domain's pages: the committee member's (reviewer), the coordinator's (assignments, selection) under the
`review` blueprint, and the chosen supervisor's under the `supervise` blueprint (views/supervise.py)."""

from __future__ import annotations

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from portal.core.roles import Role
from portal.core.templating import register_nav_item
from portal.review.models import CRITERIA, CRITERIA_SHORT

bp = Blueprint("review", __name__, url_prefix="/review")


@bp.context_processor
def criterion_columns() -> dict[str, object]:
    """Every page of the blueprint can head a column per criterion: (field, full name, short name)."""
    return {"criterion_columns": [(name, label, CRITERIA_SHORT[name]) for name, label in CRITERIA.items()]}


register_nav_item("review.dashboard", _l("Reviews"), roles=(Role.COMMITTEE,), order=30)
register_nav_item("review.rounds", _l("Selection"), roles=(Role.COORDINATOR,), order=35)

# The pages of the blueprint, in modules by audience; imported once bp exists.
from portal.review.views import assignments, bulk, reviewer, rubric, selection  # noqa: E402, F401
