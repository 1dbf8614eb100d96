"""The administrators' audit log page."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal.auditlog import services
from portal.auditlog.forms import AuditSearchForm
from portal.auditlog.labels import readable_details
from portal.core.permissions import admin_only
from portal.core.roles import Role
from portal.core.templating import register_nav_item

bp = Blueprint("auditlog", __name__, url_prefix="/admin")


@bp.app_context_processor
def audit_detail_reader() -> dict:
    # Every page showing audit events (an application's history too) reads their details the same way.
    return {"audit_details": readable_details}


@bp.get("/audit")
@admin_only
def audit_log():
    form = AuditSearchForm(request.args)
    form.validate()
    criteria = form.criteria()
    listing = services.search(criteria, request.args.get("page"), current_user.timezone)
    return render_template("auditlog/index.html", form=form, listing=listing, args=criteria.query_args())


register_nav_item("auditlog.audit_log", _l("Audit log"), roles=(Role.ADMIN,), order=95)
