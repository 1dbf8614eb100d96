"""Coordinator pages: assign reviewers by hand, or compute, inspect and save a proposal for a whole round."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import db
from portal.accounts.models import User
from portal.applications.models import Application, IntakeRound
from portal.applications.services import round_or_404
from portal.core.operations import attempt
from portal.core.permissions import coordinator_only
from portal.core.timeutil import utcnow
from portal.review import assignments as service
from portal.review.forms import AddReviewerForm, ProposeForm, RemoveForm, SaveProposalForm
from portal.review.models import ReviewAssignment
from portal.review.proposal_rules import ProposalStale, ProposalUnbalanced
from portal.review.views import bp


def _board_url(intake: IntakeRound) -> str:
    return url_for("review.assignments", round_id=intake.id)


def _render(intake: IntakeRound, propose_form: ProposeForm, proposal=None, save_form=None, refusal=None):
    """The board, with the proposal (as computed, or as sent when saving it was refused, with the refusal's reasons
    next to their rows and the confirmation an uneven proposal needs)."""
    return render_template(
        "review/assignments.html",
        intake=intake,
        board=service.assignment_board(intake),
        proposal=proposal,
        propose_form=propose_form,
        save_form=save_form or (SaveProposalForm.for_proposal(proposal) if proposal else None),
        problems=getattr(refusal, "rows", {}),
        needs_confirmation=isinstance(refusal, ProposalUnbalanced),
        add_form=AddReviewerForm(),
        remove_form=RemoveForm(),
    )


@bp.get("/rounds/<int:round_id>/assignments")
@coordinator_only
def assignments(round_id: int):
    intake = round_or_404(round_id)
    propose_form = ProposeForm(request.args)
    asked = "per_application" in request.args and propose_form.validate()
    return _render(intake, propose_form, service.propose(intake, propose_form.per_application.data) if asked else None)


def _pair_or_404(intake: IntakeRound, form: AddReviewerForm) -> tuple[Application, User]:
    """The application of the round and the member the form names; 404 for anything else."""
    application_id = form.chosen_application_id
    application = db.session.get(Application, application_id) if application_id is not None else None
    reviewer = db.session.get(User, form.reviewer_id.data or 0) if form.validate_on_submit() else None
    if application is None or application.round_id != intake.id or reviewer is None:
        abort(404)
    return application, reviewer


@bp.post("/rounds/<int:round_id>/assignments/add")
@coordinator_only
def add_assignment(round_id: int):
    intake = round_or_404(round_id)
    application, reviewer = _pair_or_404(intake, AddReviewerForm())
    if attempt(lambda: service.assign_and_tell(application, reviewer, by=current_user, now=utcnow())):
        flash(_("%(name)s now reviews %(reference)s.", name=reviewer.name, reference=application.reference), "success")
    return redirect(_board_url(intake))


@bp.post("/assignments/<int:assignment_id>/remove")
@coordinator_only
def remove_assignment(assignment_id: int):
    assignment = db.session.get(ReviewAssignment, assignment_id)
    if assignment is None or not RemoveForm().validate_on_submit():
        abort(404)
    intake = assignment.application.intake_round
    service.unassign(assignment, by=current_user)
    flash(_("The assignment has been removed."), "info")
    return redirect(_board_url(intake))


@bp.post("/rounds/<int:round_id>/assignments/proposal")
@coordinator_only
def save_proposal(round_id: int):
    intake = round_or_404(round_id)
    form = SaveProposalForm()
    if not form.validate_on_submit():
        flash(_("The proposal could not be read. Please compute it again."), "danger")
        return redirect(_board_url(intake))
    edited = form.edited()
    saved = attempt(lambda: service.apply_proposal(intake, edited, by=current_user, now=utcnow()))
    if saved:
        flash(_("%(count)d assignments have been saved.", count=saved.value), "success")
        return redirect(_board_url(intake))
    if isinstance(saved.error, ProposalStale):
        return redirect(url_for("review.assignments", round_id=intake.id, per_application=edited.per_application))
    propose_form = ProposeForm(data={"per_application": edited.per_application})
    return _render(intake, propose_form, service.edited_proposal(intake, edited), form, saved.error)
