"""Coordinator pages of the review: ranking, decisions, release, an application's history."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from portal import db
from portal.applications.models import Application, DecisionOutcome, IntakeRound
from portal.applications.permissions import application_for, can_view
from portal.applications.services import ApplicationError
from portal.core.permissions import roles_required
from portal.core.roles import Role
from portal.core.templating import register_nav_item
from portal.core.timeutil import utcnow
from portal.review import decisions as decision_service
from portal.review import ranking as ranking_service
from portal.review.decision_forms import DecisionForm, RankingFilterForm, ReleaseForm
from portal.review.views import bp
from portal.supervisors.services import list_universities

coordinator_only = roles_required(Role.COORDINATOR)


def _round_or_404(round_id: int) -> IntakeRound:
    intake = db.session.get(IntakeRound, round_id)
    if intake is None:
        abort(404)
    return intake


@bp.get("/rounds/")
@coordinator_only
def rounds():
    intakes = list(db.session.scalars(select(IntakeRound).order_by(IntakeRound.closes_at.desc())))
    return render_template("review/coordination/rounds.html", intakes=intakes, counts=ranking_service.round_counts())


@bp.get("/rounds/<int:round_id>/ranking")
@coordinator_only
def ranking(round_id: int):
    intake = _round_or_404(round_id)
    form = RankingFilterForm(request.args)
    form.set_choices(list_universities())
    filters = ranking_service.RankingFilter.from_values(form.university.data, form.field.data, form.sort.data)
    rows = ranking_service.ranking(intake.id, filters)
    chosen = {key: value for key, value in (("university", filters.university), ("field", filters.field)) if value}
    sort_links = {
        sort.value: url_for("review.ranking", round_id=intake.id, sort=sort.value, **chosen)
        for sort in ranking_service.RankingSort
    }
    return render_template(
        "review/coordination/ranking.html",
        intake=intake,
        form=form,
        filters=filters,
        rows=rows,
        sort_links=sort_links,
        disagreement=ranking_service.DISAGREEMENT_SPREAD,
    )


@bp.route("/application/<int:application_id>/decision", methods=["GET", "POST"])
@coordinator_only
def decide(application_id: int):
    application = application_for(current_user, application_id, can_view)
    current = application.decision
    if request.method == "GET":
        form = DecisionForm(
            version=application.version,
            outcome=current.outcome.value if current else None,
            note=current.note if current else "",
        )
    else:
        form = DecisionForm()
    warnings: list[decision_service.CapacityWarning] = []
    if form.validate_on_submit():
        try:
            decision_service.record_decision(
                application,
                outcome=DecisionOutcome(form.outcome.data),
                note=form.note.data or "",
                by=current_user,
                now=utcnow(),
                confirm_capacity=bool(form.confirm_capacity.data),
                expected_version=form.expected_version,
            )
        except decision_service.CapacityExceeded as error:
            warnings = error.warnings
            form.confirm_capacity.errors.append(str(error))
        except ApplicationError as error:
            flash(str(error), "danger")
            return redirect(url_for("review.decide", application_id=application_id))
        else:
            flash(_("The decision on %(reference)s has been saved.", reference=application.reference), "success")
            return redirect(
                url_for("review.ranking", round_id=application.round_id, _anchor=f"application-{application.id}")
            )
    return render_template(
        "review/coordination/decision.html",
        application=application,
        row=ranking_service.row_for(application),
        form=form,
        warnings=warnings,
        can_decide=decision_service.can_decide(application),
        loads=decision_service.supervisor_loads(application),
        decided_by=decision_service.decided_by_name(application),
    )


def _render_decisions(intake: IntakeRound, form: ReleaseForm):
    return render_template(
        "review/coordination/decisions.html",
        intake=intake,
        applications=decision_service.round_decisions(intake),
        form=form,
    )


@bp.get("/rounds/<int:round_id>/decisions")
@coordinator_only
def decisions(round_id: int):
    intake = _round_or_404(round_id)
    return _render_decisions(intake, ReleaseForm(formdata=None))


@bp.post("/rounds/<int:round_id>/release")
@coordinator_only
def release(round_id: int):
    intake = _round_or_404(round_id)
    form = ReleaseForm()
    if not form.validate_on_submit():
        return _render_decisions(intake, form)
    if form.confirm.data:
        try:
            released = decision_service.release(intake, form.application_ids.data or [], by=current_user, now=utcnow())
        except ApplicationError as error:
            flash(str(error), "danger")
        else:
            flash(
                ngettext(
                    "%(num)d decision has been released; the applicant is notified by email.",
                    "%(num)d decisions have been released; the applicants are notified by email.",
                    len(released),
                ),
                "success",
            )
        return redirect(url_for("review.decisions", round_id=intake.id))
    chosen = decision_service.releasable(intake, None if form.preview_all.data else form.application_ids.data or [])
    if not chosen:
        message = (
            _("There are no decided applications waiting for release.")
            if form.preview_all.data
            else _("Please select at least one decision that has not been released yet.")
        )
        form.application_ids.errors.append(message)
        return _render_decisions(intake, form)
    confirm_form = ReleaseForm(formdata=None, application_ids=[a.id for a in chosen])
    return render_template(
        "review/coordination/release_confirm.html", intake=intake, applications=chosen, form=confirm_form
    )


@bp.get("/application/<int:application_id>/history")
@roles_required(Role.COORDINATOR, Role.ADMIN)
def history(application_id: int):
    # DESIGN: coordinators and administrators read the audit history (administrators not the application itself).
    application = db.session.get(Application, application_id)
    if application is None:
        abort(404)
    return render_template(
        "review/coordination/history.html",
        application=application,
        entries=decision_service.application_history(application),
        may_open=can_view(current_user, application),
    )


register_nav_item("review.rounds", _l("Selection"), roles=(Role.COORDINATOR,), order=35)
