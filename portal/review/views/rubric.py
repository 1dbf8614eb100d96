"""Coordinator page: a round's review rubric, in three languages."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import ngettext
from flask_login import current_user

from portal.applications.services import round_or_404
from portal.core.i18n import LANGUAGE_NAMES
from portal.core.operations import attempt
from portal.core.permissions import coordinator_only
from portal.core.timeutil import utcnow
from portal.review import rubric as service
from portal.review.models import CRITERIA, RUBRIC_LANGUAGES
from portal.review.rubric_forms import RubricForm
from portal.review.views import bp


@bp.route("/rounds/<int:round_id>/rubric", methods=["GET", "POST"])
@coordinator_only
def rubric(round_id: int):
    intake = round_or_404(round_id)
    form = RubricForm() if request.method == "POST" else RubricForm.showing(*service.texts_for_editing(intake))
    saved = form.validate_on_submit() and attempt(
        lambda: service.save_rubric(
            intake, form.texts(), expected_version=form.expected_version, by=current_user, now=utcnow()
        ),
        form,
    )
    if saved:
        message = ngettext(
            "The rubric has been saved: %(num)d text changed.",
            "The rubric has been saved: %(num)d texts changed.",
            saved.value,
        )
        flash(message, "success")
        return redirect(url_for("review.rubric", round_id=intake.id))
    return render_template(
        "review/coordination/rubric.html",
        intake=intake,
        form=form,
        criteria=CRITERIA,
        scores=service.SCORES,
        languages={code: LANGUAGE_NAMES[code] for code in RUBRIC_LANGUAGES},
        field_name=service.field_name,
        submitted_reviews=service.submitted_reviews(intake),
    )
