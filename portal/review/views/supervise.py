"""The supervisors' pages: applications that name them, their statements, their availability."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal.applications.models import Application
from portal.applications.permissions import application_for, can_read_letters
from portal.core.operations import attempt
from portal.core.permissions import supervisor_only
from portal.core.roles import Role
from portal.core.templating import register_nav_item
from portal.core.timeutil import utcnow
from portal.offers.services import offer_summary
from portal.review import statements
from portal.review.forms import AvailabilityForm, StatementForm
from portal.review.permissions import may_read_decision, may_state
from portal.supervisors.services import MAX_CAPACITY, profile_of, set_availability

bp = Blueprint("supervise", __name__, url_prefix="/supervise")

register_nav_item("supervise.dashboard", _l("My candidates"), roles=(Role.SUPERVISOR,), order=25)


@bp.get("/")
@supervisor_only
def dashboard():
    board = statements.dashboard_for(current_user)
    form = AvailabilityForm.for_profile(board.profile) if board.profile is not None else None
    return render_template("supervise/dashboard.html", dashboard=board, availability_form=form)


@bp.post("/availability")
@supervisor_only
def availability():
    profile = profile_of(current_user) or abort(404)
    form = AvailabilityForm()
    if not form.validate_on_submit():
        flash(_("Please give a number of candidates between 0 and %(max)d.", max=MAX_CAPACITY), "danger")
    elif attempt(lambda: set_availability(profile, accepting=form.accepting.data, capacity=form.capacity.data)):
        flash(_("Your availability has been saved."), "success")
    return redirect(url_for("supervise.dashboard"))


@bp.route("/<int:application_id>", methods=["GET", "POST"])
@supervisor_only
def application(application_id: int):
    # Not chosen, a draft or a withdrawn application: 404, so that others cannot learn it exists.
    application = application_for(current_user, application_id, may_state)
    page = statements.statement_page(current_user, application)
    form = StatementForm() if request.method == "POST" else StatementForm.for_statement(page.own)
    recorded = form.validate_on_submit() and attempt(
        lambda: statements.record_statement(current_user, application, **form.statement_values(), now=utcnow()), form
    )
    if recorded:
        _say_recorded(recorded.value, application)
        return redirect(url_for("supervise.application", application_id=application.id))
    return render_template(
        "supervise/application.html",
        application=application,
        page=page,
        form=form,
        letters_visible=can_read_letters(current_user, application),
        locked_message=statements.locked_message(),
        capacity_reached=statements.capacity_reached_message(page.capacity),
        **_released(application),
    )


def _released(application: Application) -> dict:
    """The released decision and the offer's state, for the chosen supervisor (as review.permissions decides)."""
    if not (application.decision_released and may_read_decision(current_user, application)):
        return {"released_decision": None, "offer": None}
    return {"released_decision": application.decision, "offer": offer_summary(application, utcnow())}


def _say_recorded(recorded: statements.Recorded, application: Application) -> None:
    flash(_("Your statement has been recorded."), "success")
    if recorded.over_capacity:
        flash(
            _(
                "Please note: you have now agreed to supervise %(agreed)d candidates in %(round)s, "
                "more than your capacity of %(capacity)d.",
                agreed=recorded.capacity.agreed,
                capacity=recorded.capacity.capacity,
                round=application.intake_round.name,
            ),
            "warning",
        )


@bp.app_context_processor
def supervisor_card_helpers() -> dict:
    # The supervisor's card on the general dashboard asks for its numbers only when it is shown (one query).
    return {"supervisor_summary": lambda: statements.summary_for(current_user)}
