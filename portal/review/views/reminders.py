"""Coordinator pages: who of a round still owes a letter, a statement or reviews, and "remind now"."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from portal.applications.services import round_or_404
from portal.core.operations import attempt
from portal.core.permissions import coordinator_only
from portal.core.timeutil import utcnow
from portal.review import remind_now
from portal.review.forms import RemindForm
from portal.review.views import bp


@bp.get("/rounds/<int:round_id>/reminders")
@coordinator_only
def reminders(round_id: int):
    intake = round_or_404(round_id)
    listing = remind_now.outstanding(intake, utcnow())
    return render_template("review/coordination/reminders.html", intake=intake, listing=listing, form=RemindForm())


@bp.post("/rounds/<int:round_id>/reminders/<any(referee, supervisor, reviewer):kind>/<int:key>")
@coordinator_only
def remind_one(round_id: int, kind: str, key: int):
    intake = round_or_404(round_id)
    if not remind_now.known(kind, key) or not RemindForm().validate_on_submit():
        abort(404)
    done = attempt(lambda: remind_now.remind_one(intake, kind, key, by=current_user, now=utcnow()))
    if done:
        flash(_("%(name)s has been reminded.", name=done.value.name), "success")
    return redirect(url_for("review.reminders", round_id=intake.id))


@bp.post("/rounds/<int:round_id>/reminders/all")
@coordinator_only
def remind_all(round_id: int):
    intake = round_or_404(round_id)
    if not RemindForm().validate_on_submit():
        abort(404)
    done = attempt(lambda: remind_now.remind_all(intake, by=current_user, now=utcnow()))
    if done:
        flash(
            ngettext("%(num)d person has been reminded.", "%(num)d people have been reminded.", done.value), "success"
        )
    return redirect(url_for("review.reminders", round_id=intake.id))
