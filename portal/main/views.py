"""Home, dashboards, legal pages, language switcher and health check."""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal.accounts.services import update_preferences
from portal.core.errors import RETRY_AFTER_SECONDS
from portal.core.navigation import is_safe_local_path
from portal.core.permissions import PUBLIC, login_required, public
from portal.core.templating import register_nav_item
from portal.extensions import csrf, limiter
from portal.main.forms import LanguageForm
from portal.main.services import database_reachable
from portal.supervisors.services import list_universities

bp = Blueprint("main", __name__)


@bp.get("/")
@public
def index():
    return render_template("main/index.html", universities=list_universities())


@bp.get("/dashboard")
@login_required
def dashboard():
    # Each role's card asks for its own data (dashboard.views.where_things_stand), and only when it is shown.
    return render_template("main/dashboard.html")


@bp.get("/imprint")
@public
def imprint():
    return render_template("main/imprint.html")


@bp.get("/privacy")
@public
def privacy():
    return render_template("main/privacy.html")


@bp.post("/language")
@public
def set_language():
    form = LanguageForm()
    if form.validate_on_submit():
        session["language"] = form.language.data
        if current_user.is_authenticated:
            update_preferences(current_user, language=form.language.data, timezone=current_user.timezone)
    target = request.form.get("next")
    return redirect(target if is_safe_local_path(target) else url_for("main.index"))


@bp.get("/healthz")
@limiter.exempt
@csrf.exempt
@public
def healthz():
    if not database_reachable():
        return jsonify(status="error", database="unreachable"), 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}
    return jsonify(status="ok", database="ok")


register_nav_item("main.index", _l("Home"), roles=(PUBLIC,), order=0, signed_out_only=True)  # signed in: the wordmark
register_nav_item("main.dashboard", _l("Dashboard"), order=10)
