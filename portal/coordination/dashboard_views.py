"""The coordinators' dashboard: numbers and charts of a round."""

from __future__ import annotations

from flask import abort

from portal.coordination.views import bp
from portal.core.permissions import roles_required
from portal.core.roles import Role


@bp.get("/")
@roles_required(Role.COORDINATOR)
def dashboard():
    abort(404)  # work in progress
