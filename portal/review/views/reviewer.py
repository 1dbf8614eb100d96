"""The committee member's pages: the list of assigned applications, one application with the review form."""

from __future__ import annotations

import datetime as dt

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
from portal.review.page import PAGE_LOADS, review_page
from portal.review.permissions import (
    can_review,
    may_open,
    read_with_standing,
    reviewable_assignment,
    standings_read_once,
)
from portal.review.queue import progress
from portal.review.views import bp


def _saved_message(outcome: services.SaveOutcome, reference: str | None) -> tuple[str, str]:
    """What a save says (naming the application: after "Submit and next" the next one is on the screen)."""
    if outcome == services.SaveOutcome.UNCHANGED:
        return _(
            "You have not changed anything; your review of %(reference)s stays as it was.", reference=reference
        ), "info"
    messages = {
        services.SaveOutcome.SAVED: _("Your draft review of %(reference)s has been saved.", reference=reference),
        services.SaveOutcome.SUBMITTED: _(
            "Thank you! Your review of %(reference)s has been submitted.", reference=reference
        ),
        services.SaveOutcome.REVISED: _("Your revised review of %(reference)s has been saved.", reference=reference),
    }
    return messages[outcome], "success"


@bp.get("/")
@committee_only
def dashboard():
    """The assigned list, led by the next open review's workspace: reviewing starts here, without a click."""
    now = utcnow()
    groups = services.assigned_applications(current_user)
    listed, next_open = next(((group, found) for group in groups if (found := group.first_open(now))), (None, None))
    workspace = {}
    if next_open:
        with standings_read_once():  # the list's check and the page's ask the same
            read = read_with_standing(current_user, PAGE_LOADS)
            workspace = _workspace(application_for(current_user, next_open, may_open, read=read), now, listed=listed)
    return render_template("review/dashboard.html", groups=groups, now=now, next_open=next_open, **workspace)


def _workspace(
    application: Application,
    now: dt.datetime,
    *,
    form: ReviewForm | None = None,
    conflict_form: ConflictForm | None = None,
    listed: services.RoundGroup | None = None,
) -> dict:
    """What templates/review/_workspace.html shows of one application: its review page, the form and the rubric."""
    page = review_page(current_user, application, now, listed)
    return {
        "application": application,
        "page": page,
        "form": form.use_rubric(page.words) if form else ReviewForm.for_review(page.review, page.words),
        "conflict_form": conflict_form or ConflictForm(prefix="conflict"),
        "criteria": CRITERIA,
    }


def _render(application: Application, *, form: ReviewForm | None = None, conflict_form: ConflictForm | None = None):
    now = utcnow()
    workspace = _workspace(application, now, form=form, conflict_form=conflict_form)
    return render_template("review/application.html", now=now, **workspace)


def _after_saving(application: Application, form: ReviewForm) -> str:
    """Where a saved review leads: the next open review of the round after "Submit and next" (the assigned list
    when none is left), else back to the same page."""
    if not form.wants_next:
        return url_for("review.application", application_id=application.id)
    following = progress(current_user, application, utcnow()).next_application_id
    if following is None:
        flash(_("No open reviews are left in %(round)s.", round=application.intake_round.name), "info")
        return url_for("review.dashboard")
    return url_for("review.application", application_id=following)


@bp.route("/application/<int:application_id>", methods=["GET", "POST"], endpoint="application")
@reviewer_or_coordinator
def application_page(application_id: int):
    if request.method == "GET":
        with standings_read_once():  # the page reads, changes nothing
            read = read_with_standing(current_user, PAGE_LOADS)
            return _render(application_for(current_user, application_id, may_open, read=read))
    application = application_for(current_user, application_id, may_open)
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
        flash(*_saved_message(saved.value, application.reference))
        return redirect(_after_saving(application, form))
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
