"""The public supervisor directory."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l

from portal.core.permissions import PUBLIC, public
from portal.core.templating import register_nav_item
from portal.supervisors.models import RESEARCH_FIELD_LABELS
from portal.supervisors.services import DirectoryFilter, list_supervisors, list_universities

bp = Blueprint("supervisors", __name__, url_prefix="/supervisors")


@bp.get("/")
@public
def directory():
    filters = DirectoryFilter.from_values(request.args)
    return render_template(
        "supervisors/directory.html",
        profiles=list_supervisors(filters),
        filters=filters,
        universities=list_universities(),
        fields=RESEARCH_FIELD_LABELS,
    )


register_nav_item("supervisors.directory", _l("Supervisors"), roles=(PUBLIC,), order=5)
