"""The review domain's pages: the committee member's (reviewer), the coordinator's (assignments, selection) under the
`review` blueprint, and the chosen supervisor's under the `supervise` blueprint (views/supervise.py)."""

from __future__ import annotations

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from portal.core.roles import Role
from portal.core.templating import register_nav_item

bp = Blueprint("review", __name__, url_prefix="/review")

register_nav_item("review.dashboard", _l("Reviews"), roles=(Role.COMMITTEE,), order=30)
register_nav_item("review.rounds", _l("Selection"), roles=(Role.COORDINATOR,), order=35)

# The pages of the blueprint, in modules by audience; imported once bp exists.
from portal.review.views import assignments, reviewer, selection  # noqa: E402, F401
