"""Coordinator pages of the selection: the rounds, a round's ranking, decisions, their release, an application's
history."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from portal import db
from portal.applications.models import Application, IntakeRound
from portal.applications.permissions import application_for, can_view
from portal.applications.services import list_rounds, round_or_404
from portal.core.operations import attempt
from portal.core.permissions import coordinator_only, staff_only
from portal.core.timeutil import utcnow
from portal.review import decisions
from portal.review import ranking as ranking_service
from portal.review.decision_forms import BulkDecisionForm, DecisionForm, ReleaseForm
from portal.review.forms import RankingFilterForm
from portal.review.guardrails import NeedsConfirmation, kinds_text
from portal.review.history import application_history
from portal.review.views import bp
from portal.supervisors.services import university_choices


@bp.get("/rounds/")
@coordinator_only
def rounds():
    return render_template(
        "review/coordination/rounds.html", intakes=list_rounds(), counts=ranking_service.round_counts()
    )


def _sort_links(intake: IntakeRound, filters: ranking_service.RankingFilter) -> dict[str, str]:
    """The ranking's address in each order, with the same filters."""
    chosen = {key: value for key, value in (("university", filters.university), ("field", filters.field)) if value}
    return {
        sort.value: url_for("review.ranking", round_id=intake.id, sort=sort.value, **chosen)
        for sort in ranking_service.RankingSort
    }


def _page_args(intake: IntakeRound, filters: ranking_service.RankingFilter) -> dict[str, object]:
    """The ranking's address arguments besides the page: the round, the filters and the order."""
    chosen = {"university": filters.university, "field": filters.field, "sort": filters.sort.value}
    return {"round_id": intake.id, **{key: value for key, value in chosen.items() if value}}


@bp.get("/rounds/<int:round_id>/ranking")
@coordinator_only
def ranking(round_id: int):
    intake = round_or_404(round_id)
    form = RankingFilterForm(request.args)
    form.set_choices(university_choices())
    filters = ranking_service.RankingFilter.from_values(form.university.data, form.field.data, form.sort.data)
    return render_template(
        "review/coordination/ranking.html",
        intake=intake,
        form=form,
        filters=filters,
        page=ranking_service.ranking_page(intake.id, filters, request.args.get("page")),
        sort_links=_sort_links(intake, filters),
        page_args=_page_args(intake, filters),
        disagreement=ranking_service.DISAGREEMENT_SPREAD,
        bulk_form=BulkDecisionForm(formdata=None),
    )


@bp.route("/application/<int:application_id>/decision", methods=["GET", "POST"])
@coordinator_only
def decide(application_id: int):
    application = application_for(current_user, application_id, can_view)
    form = DecisionForm() if request.method == "POST" else DecisionForm.for_application(application)
    saved = form.validate_on_submit() and attempt(
        lambda: decisions.record_decision(application, **form.decision_values(), by=current_user, now=utcnow()), form
    )
    if saved:
        flash(_("The decision on %(reference)s has been saved.", reference=application.reference), "success")
        anchor = f"application-{application.id}"
        return redirect(url_for("review.ranking", round_id=application.round_id, _anchor=anchor))
    warnings = warnings_of(saved)
    form.confirmed.data = kinds_text(warnings)  # the warnings shown are the ones the next submission confirms
    return render_template(
        "review/coordination/decision.html",
        application=application,
        page=decisions.decision_page(application),
        form=form,
        warnings=warnings,
    )


def warnings_of(outcome) -> list:
    """The warnings a refused decision must be confirmed against (none when it was refused for another reason)."""
    return outcome.error.warnings if outcome is not False and isinstance(outcome.error, NeedsConfirmation) else []


def _render_decisions(intake: IntakeRound, form: ReleaseForm):
    return render_template(
        "review/coordination/decisions.html",
        intake=intake,
        applications=decisions.round_decisions(intake),
        form=form,
    )


@bp.get("/rounds/<int:round_id>/decisions", endpoint="decisions")
@coordinator_only
def decisions_page(round_id: int):
    return _render_decisions(round_or_404(round_id), ReleaseForm(formdata=None))


@bp.post("/rounds/<int:round_id>/release")
@coordinator_only
def release(round_id: int):
    intake = round_or_404(round_id)
    form = ReleaseForm()
    if not form.validate_on_submit():
        return _render_decisions(intake, form)
    return _release_now(intake, form) if form.confirm.data else _preview_release(intake, form)


def _preview_release(intake: IntakeRound, form: ReleaseForm):
    """Show what a release would send, to be confirmed."""
    chosen = attempt(lambda: decisions.to_release(intake, form.preview_ids), form)
    if not chosen:
        return _render_decisions(intake, form)
    return render_template(
        "review/coordination/release_confirm.html",
        intake=intake,
        applications=chosen.value,
        form=form,
        still_open=decisions.open_round_message(intake) if intake.is_open(utcnow()) else None,
    )


def _release_now(intake: IntakeRound, form: ReleaseForm):
    released = attempt(
        lambda: decisions.release(
            intake, form.chosen_ids, by=current_user, now=utcnow(), confirm_open=bool(form.confirm_open.data)
        ),
        form,
    )
    if not released:
        # Not confirmed that the round is still open: the same preview again, with the question.
        return _preview_release(intake, form) if form.confirm_open.errors else _render_decisions(intake, form)
    flash(
        ngettext(
            "%(num)d decision has been released; the applicant is notified by email.",
            "%(num)d decisions have been released; the applicants are notified by email.",
            len(released.value),
        ),
        "success",
    )
    return redirect(url_for("review.decisions", round_id=intake.id))


@bp.get("/application/<int:application_id>/history")
@staff_only
def history(application_id: int):
    # DESIGN: coordinators and administrators read the audit history (administrators not the application itself).
    application = db.session.get(Application, application_id) or abort(404)
    return render_template(
        "review/coordination/history.html",
        application=application,
        entries=application_history(application),
        may_open=can_view(current_user, application),
    )
