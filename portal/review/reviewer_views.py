"""The committee member's pages: the list of assigned applications, one application with the review form."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.applications.models import Application
from portal.applications.permissions import application_for
from portal.core.permissions import roles_required
from portal.core.roles import Role
from portal.core.timeutil import utcnow
from portal.review import services
from portal.review.assignments import AssignmentError, declare_conflict
from portal.review.forms import ConflictForm, ReviewForm
from portal.review.models import CRITERIA
from portal.review.permissions import assignment_of, can_review
from portal.review.views import bp

SAVED_MESSAGES = {
    services.SaveOutcome.SAVED: lambda: _("Your draft has been saved."),
    services.SaveOutcome.SUBMITTED: lambda: _("Thank you! Your review has been submitted."),
    services.SaveOutcome.REVISED: lambda: _("Your revised review has been saved."),
    services.SaveOutcome.UNCHANGED: lambda: _("You have not changed anything; your review stays as it was."),
}


@bp.get("/")
@roles_required(Role.COMMITTEE)
def dashboard():
    return render_template("review/dashboard.html", groups=services.assigned_applications(current_user), now=utcnow())


def _render(application: Application, *, form: ReviewForm | None = None, conflict_form: ConflictForm | None = None):
    now = utcnow()
    page = services.review_page(current_user, application, now)
    if page.assignment is not None and form is None:
        form = ReviewForm.for_review(page.review)
    return render_template(
        "review/application.html",
        application=application,
        page=page,
        form=form,
        conflict_form=conflict_form or ConflictForm(prefix="conflict"),
        criteria=CRITERIA,
        status_of=services.status_of,
        now=now,
    )


@bp.route("/application/<int:application_id>", methods=["GET", "POST"], endpoint="application")
@roles_required(Role.COMMITTEE, Role.COORDINATOR)
def application_page(application_id: int):
    application = application_for(current_user, application_id, services.may_open)
    if request.method == "GET":
        return _render(application)
    # Only the viewer's own review can be saved here: there is no way to name someone else's.
    assignment = assignment_of(current_user, application)
    if assignment is None or not can_review(current_user, application):
        abort(403)
    form = ReviewForm()
    if form.validate_on_submit():
        try:
            outcome = services.save_review(
                assignment,
                form.review_data(),
                submit=form.submitting,
                expected_version=form.expected_version,
                now=utcnow(),
            )
        except services.ReviewClosed as error:
            flash(str(error), "danger")
            return redirect(url_for("review.application", application_id=application_id))
        except services.StaleReview as error:
            flash(str(error), "warning")
            form.version.data = str(services.current_version(assignment.id))
        except services.ReviewError as error:
            form.show_errors(error.fields)
            flash(str(error), "danger")
        else:
            flash(SAVED_MESSAGES[outcome](), "success" if outcome != services.SaveOutcome.UNCHANGED else "info")
            return redirect(url_for("review.application", application_id=application_id))
    return _render(application, form=form)


@bp.post("/application/<int:application_id>/conflict")
@roles_required(Role.COMMITTEE)
def conflict(application_id: int):
    application = application_for(current_user, application_id, can_review)
    form = ConflictForm(prefix="conflict")
    if form.validate_on_submit():
        try:
            declare_conflict(current_user, application, form.note.data, now=utcnow())
        except AssignmentError as error:
            flash(str(error), "danger")
            return redirect(url_for("review.application", application_id=application_id))
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
