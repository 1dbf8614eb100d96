"""The coordinators' (and admins') pages. Each area lives in its own module on this blueprint."""

from __future__ import annotations

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from portal.core.roles import Role
from portal.core.templating import register_nav_item

bp = Blueprint("coordination", __name__, url_prefix="/coordination")

register_nav_item("coordination.dashboard", _l("Coordination"), roles=(Role.COORDINATOR,), order=40)
register_nav_item("coordination.job_list", _l("My exports"), roles=(Role.COORDINATOR,), order=45)

from portal.coordination import (  # noqa: E402, F401
    bulkmail_views,
    dashboard_views,
    dossier_views,
    list_views,
    outbox_views,
    people_views,
    round_views,
)
