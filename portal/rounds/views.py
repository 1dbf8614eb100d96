"""Coordinator pages: intake rounds (list, create, edit, open and close early)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal.applications.services import list_rounds, round_or_404
from portal.core.operations import attempt
from portal.core.permissions import coordinator_only
from portal.core.roles import Role
from portal.core.templating import register_nav_item
from portal.core.timeutil import utcnow
from portal.rounds import services
from portal.rounds.forms import RoundActionForm, RoundForm

bp = Blueprint("rounds", __name__, url_prefix="/coordination/rounds")


def _preferred_zone() -> str:
    """The zone a form is filled in: asked for in the address, else the viewer's own if it is Shanghai."""
    asked = request.args.get("zone", "")
    if asked in services.ROUND_ZONES:
        return asked
    return "Asia/Shanghai" if current_user.timezone == "Asia/Shanghai" else services.DEFAULT_ZONE


def _confirmed() -> None:
    """A button that changes a round must come from the portal's own page (its CSRF token)."""
    if not RoundActionForm().validate_on_submit():
        abort(400)


def _to_list():
    return redirect(url_for("rounds.index"))


@bp.get("/")
@coordinator_only
def index():
    return render_template(
        "rounds/index.html",
        intakes=list_rounds(),
        now=utcnow(),
        status=services.round_status,
        action_form=RoundActionForm(),
    )


@bp.route("/new", methods=["GET", "POST"])
@coordinator_only
def new_round():
    form = RoundForm()
    if request.method == "GET":
        form.zone.data = _preferred_zone()
    created = form.validate_on_submit() and attempt(
        lambda: services.create_round(form.round_input(), now=utcnow()), form
    )
    if created:
        flash(_("The round %(name)s has been created.", name=created.value.name), "success")
        return _to_list()
    return render_template("rounds/form.html", form=form, intake=None)


@bp.route("/<int:round_id>/edit", methods=["GET", "POST"])
@coordinator_only
def edit_round(round_id: int):
    intake = round_or_404(round_id)
    form = RoundForm()
    if request.method == "GET":
        form.load(intake, _preferred_zone())
    saved = form.validate_on_submit() and attempt(
        lambda: services.update_round(intake, form.round_input(), now=utcnow()), form
    )
    if saved:
        if saved.value:
            flash(_("The round %(name)s has been saved.", name=intake.name), "success")
        else:
            flash(_("Nothing was changed."), "info")
        return _to_list()
    released = services.has_released_decisions(intake)
    return render_template("rounds/form.html", form=form, intake=intake, zones=services.ROUND_ZONES, released=released)


@bp.post("/<int:round_id>/open")
@coordinator_only
def open_round(round_id: int):
    return _change_now(round_id, services.open_now, _("The round %(name)s is open now."), "success")


@bp.post("/<int:round_id>/close")
@coordinator_only
def close_round(round_id: int):
    done = _("The round %(name)s is closed now: no more applications can be submitted.")
    return _change_now(round_id, services.close_now, done, "info")


def _change_now(round_id: int, change, done: str, category: str):
    """Open or close the round at once; say so (done names the round as %(name)s), or why not."""
    intake = round_or_404(round_id)
    _confirmed()
    if attempt(lambda: change(intake, now=utcnow())):
        flash(done % {"name": intake.name}, category)
    return _to_list()


register_nav_item("rounds.index", _l("Intake rounds"), roles=(Role.COORDINATOR,), order=41)
