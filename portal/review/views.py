"""The selection committee's pages: assigned applications, reviews, conflicts."""

from __future__ import annotations

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from portal.core.roles import Role
from portal.core.templating import register_nav_item

bp = Blueprint("review", __name__, url_prefix="/review")

register_nav_item("review.dashboard", _l("Reviews"), roles=(Role.COMMITTEE,), order=30)

# Coordinator pages for assignments, ranking and decisions share the blueprint, in modules of their own.
from portal.review import assignment_views, coordination_views, reviewer_views  # noqa: E402, F401
