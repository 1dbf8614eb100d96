"""Coordinator pages: assign reviewers by hand, or compute, inspect and save a proposal for a whole round."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import db
from portal.accounts.models import User
from portal.applications.models import Application, IntakeRound
from portal.core.permissions import roles_required
from portal.core.roles import Role
from portal.core.timeutil import utcnow
from portal.review import assignments as service
from portal.review.assignment_forms import AddReviewerForm, ProposeForm, RemoveForm, SaveProposalForm
from portal.review.models import ReviewAssignment
from portal.review.views import bp

coordinators_only = roles_required(Role.COORDINATOR)


def _round_or_404(round_id: int) -> IntakeRound:
    intake = db.session.get(IntakeRound, round_id)
    if intake is None:
        abort(404)
    return intake


@bp.get("/rounds/<int:round_id>/assignments")
@coordinators_only
def assignments(round_id: int):
    intake = _round_or_404(round_id)
    propose_form = ProposeForm(request.args)
    proposal = None
    if "per_application" in request.args and propose_form.validate():
        proposal = service.propose(intake, propose_form.per_application.data)
    board = service.assignment_board(intake)
    save_form = SaveProposalForm(pairs=",".join(f"{a.id}:{m.user_id}" for a, m in proposal.pairs)) if proposal else None
    return render_template(
        "review/assignments.html",
        intake=intake,
        board=board,
        proposal=proposal,
        propose_form=propose_form,
        save_form=save_form,
        add_form=AddReviewerForm(),
        remove_form=RemoveForm(),
    )


@bp.post("/rounds/<int:round_id>/assignments/add")
@coordinators_only
def add_assignment(round_id: int):
    intake = _round_or_404(round_id)
    form = AddReviewerForm()
    raw_id = form.application_id.data or ""
    application = db.session.get(Application, int(raw_id)) if raw_id.isdigit() else None
    reviewer = db.session.get(User, form.reviewer_id.data or 0) if form.validate_on_submit() else None
    if application is None or application.round_id != intake.id or reviewer is None:
        abort(404)
    try:
        service.assign(application, reviewer, by=current_user, now=utcnow())
    except service.AssignmentError as error:
        flash(str(error), "danger")
    else:
        flash(_("%(name)s now reviews %(reference)s.", name=reviewer.name, reference=application.reference), "success")
    return redirect(url_for("review.assignments", round_id=intake.id))


@bp.post("/assignments/<int:assignment_id>/remove")
@coordinators_only
def remove_assignment(assignment_id: int):
    assignment = db.session.get(ReviewAssignment, assignment_id)
    if assignment is None or not RemoveForm().validate_on_submit():
        abort(404)
    round_id = assignment.application.round_id
    service.unassign(assignment, by=current_user)
    flash(_("The assignment has been removed."), "info")
    return redirect(url_for("review.assignments", round_id=round_id))


@bp.post("/rounds/<int:round_id>/assignments/proposal")
@coordinators_only
def save_proposal(round_id: int):
    intake = _round_or_404(round_id)
    form = SaveProposalForm()
    if not form.validate_on_submit():
        flash(_("The proposal could not be read. Please compute it again."), "danger")
        return redirect(url_for("review.assignments", round_id=intake.id))
    try:
        count = service.apply_proposal(intake, form.pair_list, by=current_user, now=utcnow())
    except service.AssignmentError as error:
        flash(str(error), "danger")
    else:
        flash(_("%(count)d assignments have been saved.", count=count), "success")
    return redirect(url_for("review.assignments", round_id=intake.id))
