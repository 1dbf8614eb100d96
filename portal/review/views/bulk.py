"""The coordinator's bulk decision from the ranking: the selected rows with their warnings, then the confirmation."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from portal.applications.models import IntakeRound
from portal.applications.services import round_or_404
from portal.core.operations import attempt
from portal.core.permissions import coordinator_only
from portal.core.timeutil import utcnow
from portal.review.bulk_decisions import bulk_rows, record_bulk
from portal.review.decision_forms import BulkDecisionForm
from portal.review.views import bp


@bp.post("/rounds/<int:round_id>/bulk-decision")
@coordinator_only
def bulk_decision(round_id: int):
    intake = round_or_404(round_id)
    form = BulkDecisionForm()
    if not form.validate_on_submit():
        flash(_invalid_message(form), "danger")
        return _to_ranking(intake)
    if form.confirm.data:
        done = attempt(
            lambda: record_bulk(
                intake,
                form.seen_rows(),
                outcome=form.chosen_outcome,
                reason=form.reason.data or "",
                by=current_user,
                now=utcnow(),
            ),
            form,
        )
        if done:
            count = len(done.value)
            flash(ngettext("%(num)d decision has been saved.", "%(num)d decisions have been saved.", count), "success")
            return _to_ranking(intake)
    return _confirmation(intake, form)


def _confirmation(intake: IntakeRound, form: BulkDecisionForm):
    """The selected rows with their warnings, to confirm (again, after a refused confirmation)."""
    rows = attempt(lambda: bulk_rows(intake, form.application_ids.data or [], form.chosen_outcome))
    if not rows:
        return _to_ranking(intake)
    return render_template("review/coordination/bulk_confirm.html", intake=intake, form=form, rows=rows.value)


def _invalid_message(form: BulkDecisionForm) -> str:
    """The one message for a form that did not validate (ids that are not ids, no outcome, an expired page)."""
    if form.application_ids.errors:
        return _("Some of the selected applications are not in this round.")
    return str((form.outcome.errors or form.errors.get("csrf_token") or [_("Please try again.")])[0])


def _to_ranking(intake: IntakeRound):
    return redirect(url_for("review.ranking", round_id=intake.id))
