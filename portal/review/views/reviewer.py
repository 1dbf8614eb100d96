"""The committee member's pages: the list of assigned applications, one application with the review form."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.applications.models import Application
from portal.applications.permissions import application_for
from portal.core.operations import attempt
from portal.core.permissions import committee_only, reviewer_or_coordinator
from portal.core.timeutil import utcnow
from portal.review import services
from portal.review.assignments import declare_conflict
from portal.review.forms import ConflictForm, ReviewForm
from portal.review.models import CRITERIA
from portal.review.page import review_page
from portal.review.permissions import can_review, may_open, reviewable_assignment
from portal.review.views import bp

SAVED_MESSAGES = {
    services.SaveOutcome.SAVED: (lambda: _("Your draft has been saved."), "success"),
    services.SaveOutcome.SUBMITTED: (lambda: _("Thank you! Your review has been submitted."), "success"),
    services.SaveOutcome.REVISED: (lambda: _("Your revised review has been saved."), "success"),
    services.SaveOutcome.UNCHANGED: (lambda: _("You have not changed anything; your review stays as it was."), "info"),
}


@bp.get("/")
@committee_only
def dashboard():
    return render_template("review/dashboard.html", groups=services.assigned_applications(current_user), now=utcnow())


def _render(application: Application, *, form: ReviewForm | None = None, conflict_form: ConflictForm | None = None):
    now = utcnow()
    page = review_page(current_user, application, now)
    return render_template(
        "review/application.html",
        application=application,
        page=page,
        form=form or ReviewForm.for_review(page.review),
        conflict_form=conflict_form or ConflictForm(prefix="conflict"),
        criteria=CRITERIA,
        now=now,
    )


@bp.route("/application/<int:application_id>", methods=["GET", "POST"], endpoint="application")
@reviewer_or_coordinator
def application_page(application_id: int):
    application = application_for(current_user, application_id, may_open)
    if request.method == "GET":
        return _render(application)
    # Only the viewer's own review can be saved here: there is no way to name someone else's.
    assignment = reviewable_assignment(current_user, application) or abort(403)
    form = ReviewForm()
    saved = form.validate_on_submit() and attempt(
        lambda: services.save_review(
            assignment, form.review_data(), submit=form.submitting, expected_version=form.expected_version, now=utcnow()
        ),
        form,
    )
    if saved:
        message, category = SAVED_MESSAGES[saved.value]
        flash(message(), category)
        return redirect(url_for("review.application", application_id=application_id))
    return _render(application, form=form)


@bp.post("/application/<int:application_id>/conflict")
@committee_only
def conflict(application_id: int):
    application = application_for(current_user, application_id, can_review)
    form = ConflictForm(prefix="conflict")
    if form.validate_on_submit() and attempt(
        lambda: declare_conflict(current_user, application, form.note.data, now=utcnow()), form
    ):
        flash(
            _(
                "Your conflict of interest with %(reference)s has been recorded and the coordinators have been told. "
                "The application is no longer shown to you.",
                reference=application.reference,
            ),
            "info",
        )
        return redirect(url_for("review.dashboard"))
    return _render(application, conflict_form=form)
