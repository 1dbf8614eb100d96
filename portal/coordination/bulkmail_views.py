"""Mail to a group of a round's applicants: write or choose a message, preview it, send it through the outbox."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import ngettext

from portal import db
from portal.applications.models import IntakeRound
from portal.coordination import bulkmail, stats
from portal.coordination.bulkmail_forms import BulkMailForm
from portal.coordination.views import bp
from portal.core.permissions import roles_required
from portal.core.roles import Role
from portal.core.timeutil import utcnow


def _new_form(rounds: list[IntakeRound]) -> BulkMailForm:
    """The empty form of a GET: the round and the recipients may be given in the address (from the dashboard)."""
    chosen = stats.chosen_round(request.args.get("round", type=int), utcnow())
    group = request.args.get("recipients")
    form = BulkMailForm(
        formdata=None,
        round_id=chosen.id if chosen else None,
        recipients=group if group in {g.value for g in bulkmail.RecipientGroup} else None,
    )
    form.set_rounds(rounds)
    return form


@bp.route("/mail", methods=["GET", "POST"], endpoint="bulkmail")
@roles_required(Role.COORDINATOR)
def bulkmail_page():
    rounds = stats.rounds()
    if request.method == "GET":
        return render_template("coordination/bulkmail.html", form=_new_form(rounds), preview=None, problem=None)
    form = BulkMailForm()
    form.set_rounds(rounds)
    preview, problem = None, None
    if form.validate_on_submit():
        intake = db.session.get(IntakeRound, form.round_id.data)
        if intake is None:
            abort(404)
        try:
            composition = form.composition(intake)
            if form.send.data:
                count = bulkmail.send(
                    composition, fingerprint=form.fingerprint.data, nonce=form.nonce.data, now=utcnow()
                )
                flash(
                    ngettext(
                        "%(num)d email has been put in the outbox; it is sent in the next minutes.",
                        "%(num)d emails have been put in the outbox; they are sent in the next minutes.",
                        count,
                    ),
                    "success",
                )
                return redirect(url_for("coordination.bulkmail", round=intake.id))
            preview = bulkmail.preview(composition)
        except bulkmail.PreviewOutdated as error:
            preview, problem = error.preview, str(error)
        except bulkmail.BulkMailError as error:
            if error.field:
                form[error.field].errors.append(str(error))
            else:
                problem = str(error)
    if preview is not None:
        form.fingerprint.data, form.nonce.data = preview.fingerprint, preview.nonce
    return render_template("coordination/bulkmail.html", form=form, preview=preview, problem=problem)
