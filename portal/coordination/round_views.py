"""Coordinator pages: intake rounds (list, create, edit, open and close early)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal import db
from portal.applications.models import IntakeRound
from portal.coordination import rounds as service
from portal.coordination.round_forms import RoundActionForm, RoundForm
from portal.coordination.views import bp
from portal.core.permissions import roles_required
from portal.core.roles import Role
from portal.core.templating import register_nav_item
from portal.core.timeutil import utcnow

coordinators_only = roles_required(Role.COORDINATOR)


def _round_or_404(round_id: int) -> IntakeRound:
    intake = db.session.get(IntakeRound, round_id)
    if intake is None:
        abort(404)
    return intake


def _preferred_zone() -> str:
    """The zone a form is filled in: asked for in the address, else the viewer's own if it is Shanghai."""
    asked = request.args.get("zone", "")
    if asked in service.ROUND_ZONES:
        return asked
    return "Asia/Shanghai" if current_user.timezone == "Asia/Shanghai" else service.DEFAULT_ZONE


def _round_input(form: RoundForm) -> service.RoundInput:
    return service.RoundInput(
        name=form.name.data or "",
        zone=form.zone.data,
        opens_at=form.opens_at.data,
        closes_at=form.closes_at.data,
        reviews_due=form.reviews_due.data,
        decisions_on=form.decisions_on.data,
    )


def _show_errors(form: RoundForm, error: service.RoundInvalid) -> None:
    for field, message in error.errors.items():
        getattr(form, field).errors.append(message)


@bp.get("/rounds/")
@coordinators_only
def rounds():
    return render_template(
        "coordination/rounds.html",
        intakes=service.list_rounds(),
        now=utcnow(),
        status=service.round_status,
        action_form=RoundActionForm(),
    )


@bp.route("/rounds/new", methods=["GET", "POST"])
@coordinators_only
def new_round():
    form = RoundForm()
    if request.method == "GET":
        form.zone.data = _preferred_zone()
    if form.validate_on_submit():
        try:
            intake = service.create_round(_round_input(form), now=utcnow())
        except service.RoundInvalid as error:
            _show_errors(form, error)
        else:
            flash(_("The round %(name)s has been created.", name=intake.name), "success")
            return redirect(url_for("coordination.rounds"))
    return render_template("coordination/rounds_form.html", form=form, intake=None)


@bp.route("/rounds/<int:round_id>/edit", methods=["GET", "POST"])
@coordinators_only
def edit_round(round_id: int):
    intake = _round_or_404(round_id)
    form = RoundForm()
    if request.method == "GET":
        zone = _preferred_zone()
        form.zone.data = zone
        form.name.data = intake.name
        for field in service.DATE_FIELDS:
            getattr(form, field).data = service.to_local(getattr(intake, field), zone)
    if form.validate_on_submit():
        try:
            changes = service.update_round(intake, _round_input(form), now=utcnow())
        except service.RoundInvalid as error:
            _show_errors(form, error)
        else:
            if changes:
                flash(_("The round %(name)s has been saved.", name=intake.name), "success")
            else:
                flash(_("Nothing was changed."), "info")
            return redirect(url_for("coordination.rounds"))
    return render_template(
        "coordination/rounds_form.html",
        form=form,
        intake=intake,
        zones=service.ROUND_ZONES,
        released=service.has_released_decisions(intake),
    )


@bp.post("/rounds/<int:round_id>/open")
@coordinators_only
def open_round(round_id: int):
    intake = _round_or_404(round_id)
    if not RoundActionForm().validate_on_submit():
        abort(400)
    try:
        service.open_now(intake, now=utcnow())
    except service.RoundError as error:
        flash(str(error), "danger")
    else:
        flash(_("The round %(name)s is open now.", name=intake.name), "success")
    return redirect(url_for("coordination.rounds"))


@bp.post("/rounds/<int:round_id>/close")
@coordinators_only
def close_round(round_id: int):
    intake = _round_or_404(round_id)
    if not RoundActionForm().validate_on_submit():
        abort(400)
    try:
        service.close_now(intake, now=utcnow())
    except service.RoundError as error:
        flash(str(error), "danger")
    else:
        flash(_("The round %(name)s is closed now: no more applications can be submitted.", name=intake.name), "info")
    return redirect(url_for("coordination.rounds"))


register_nav_item("coordination.rounds", _l("Intake rounds"), roles=(Role.COORDINATOR,), order=41)
