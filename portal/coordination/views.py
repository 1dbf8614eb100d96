"""The coordinators' (and admins') pages. Each area lives in its own module on this blueprint."""

from __future__ import annotations

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from portal.core.roles import Role
from portal.core.templating import register_nav_item

bp = Blueprint("coordination", __name__, url_prefix="/coordination")

register_nav_item("coordination.job_list", _l("My exports"), roles=(Role.COORDINATOR,), order=45)

from portal.coordination import (  # noqa: E402, F401
    dossier_views,
    list_views,
    people_views,
)
