"""The staff record of one application: one page with everything its viewer may see of it."""

from __future__ import annotations

from flask import abort, render_template
from flask_babel import format_date
from flask_login import current_user

from portal.applications.permissions import application_for, can_view
from portal.core.pdfcheck import human_size
from portal.core.permissions import roles_required
from portal.core.roles import Role
from portal.reporting.permissions import may_open_record
from portal.reporting.record import RECORD_LOADS, record_for
from portal.reporting.views import bp
from portal.review.models import CRITERIA
from portal.review.permissions import read_with_standing, standings_read_once


@bp.get("/staff/applications/<int:application_id>", endpoint="record")
@roles_required(Role.COORDINATOR, Role.COMMITTEE, Role.SUPERVISOR)
def record_page(application_id: int):
    # DESIGN ("who may see what"): 404 for whoever must not know the application exists; 403 for its own applicant,
    # who knows it but has no staff record of it.
    with standings_read_once():  # the checks here and the record's ask the same
        read = read_with_standing(current_user, RECORD_LOADS)  # a member's standing is read with the application
        application = application_for(current_user, application_id, can_view, read=read)
        if not may_open_record(current_user, application):
            abort(403)
        record = record_for(current_user._get_current_object(), application)
    return render_template(
        "reporting/record.html",
        record=record,
        application=application,
        criteria=CRITERIA,
        human_size=human_size,
        format_date=format_date,
    )
