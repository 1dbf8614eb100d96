"""View-as pages: choose a person, end the view; the guard (portal.viewas.guard) runs before every request."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal.core.operations import attempt
from portal.core.permissions import admin_only
from portal.core.roles import Role
from portal.core.templating import register_nav_item
from portal.viewas import guard, services
from portal.viewas.forms import EndViewAsForm, ViewAsForm

bp = Blueprint("viewas", __name__, url_prefix="/view-as")
# For the whole app, after the accounts' second-factor hook (this blueprint is registered after theirs).
bp.before_app_request(guard.view_as)
register_nav_item("viewas.choose", _l("View as"), roles=(Role.ADMIN,), order=48)


@bp.app_context_processor
def view_as_state() -> dict[str, object]:
    return {"viewing_as": guard.viewing_as, "end_view_as_form": EndViewAsForm}


@bp.route("", methods=["GET", "POST"])
@admin_only
def choose():
    form = ViewAsForm()
    if form.validate_on_submit() and attempt(
        lambda: services.start(current_user._get_current_object(), form.email.data), form
    ):
        return redirect(url_for("main.dashboard"))
    return render_template("viewas/choose.html", form=form)


@bp.post("/end")
@admin_only
def end():
    if EndViewAsForm().validate_on_submit():
        person = services.end(current_user._get_current_object())
        if person is not None:
            flash(_("You no longer view the portal as %(name)s.", name=person.name), "info")
    return redirect(url_for("viewas.choose"))
