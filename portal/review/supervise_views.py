"""The supervisors' pages: applications that name them, and their statements."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal.applications.permissions import application_for, can_read_letters
from portal.core.permissions import roles_required
from portal.core.roles import Role
from portal.core.templating import register_nav_item
from portal.core.timeutil import utcnow
from portal.review import statements
from portal.review.statement_forms import AvailabilityForm, StatementForm
from portal.supervisors.services import MAX_CAPACITY, AvailabilityError, profile_of, set_availability

bp = Blueprint("supervise", __name__, url_prefix="/supervise")

supervisor_only = roles_required(Role.SUPERVISOR)


@bp.get("/")
@supervisor_only
def dashboard():
    board = statements.dashboard_for(current_user)
    form = None
    if board.profile is not None:
        form = AvailabilityForm(accepting=board.profile.accepting_candidates, capacity=board.profile.capacity)
    return render_template("supervise/dashboard.html", dashboard=board, availability_form=form)


@bp.post("/availability")
@supervisor_only
def availability():
    profile = profile_of(current_user)
    if profile is None:
        abort(404)
    form = AvailabilityForm()
    if form.validate_on_submit():
        try:
            set_availability(profile, accepting=form.accepting.data, capacity=form.capacity.data)
        except AvailabilityError as error:
            flash(str(error), "danger")
        else:
            flash(_("Your availability has been saved."), "success")
    else:
        flash(_("Please give a number of candidates between 0 and %(max)d.", max=MAX_CAPACITY), "danger")
    return redirect(url_for("supervise.dashboard"))


@bp.route("/<int:application_id>", methods=["GET", "POST"])
@supervisor_only
def application(application_id: int):
    # Not chosen, a draft or a withdrawn application: 404, so that others cannot learn it exists.
    application = application_for(current_user, application_id, statements.may_state)
    here = url_for("supervise.application", application_id=application.id)
    if request.method == "POST" and statements.is_locked(application):
        flash(statements.locked_message(), "warning")
        return redirect(here)
    form = StatementForm()
    if form.validate_on_submit():
        try:
            recorded = statements.record_statement(
                current_user,
                application,
                answer=form.answer.data,
                conditions=form.conditions.data,
                comment=form.comment.data,
                now=utcnow(),
            )
        except statements.StatementError as error:
            target = getattr(form, error.field, None) if error.field else None
            if target is None:
                flash(str(error), "danger")
                return redirect(here)
            target.errors.append(str(error))
        else:
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
            return redirect(here)
    page = statements.statement_page(current_user, application)
    if request.method == "GET" and page.own is not None:
        form = StatementForm(
            data={"answer": page.own.answer.value, "conditions": page.own.conditions, "comment": page.own.comment}
        )
    return render_template(
        "supervise/application.html",
        application=application,
        page=page,
        form=form,
        letters_visible=can_read_letters(current_user, application),
        locked_message=statements.locked_message(),
    )


@bp.app_context_processor
def supervisor_card_helpers() -> dict:
    # The supervisor's card on the general dashboard asks for its numbers only when it is shown (one query).
    return {"supervisor_summary": lambda: statements.summary_for(current_user)}


register_nav_item("supervise.dashboard", _l("My candidates"), roles=(Role.SUPERVISOR,), order=25)
