"""The referee's page behind the secret link: no account, a letter as PDF or text."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request
from flask_babel import gettext as _

from portal.core.permissions import public
from portal.core.timeutil import utcnow
from portal.extensions import limiter
from portal.referees import services
from portal.referees.forms import LetterForm

bp = Blueprint("referees", __name__, url_prefix="/referee")

DEFAULT_LETTER_LIMIT = "30 per hour"


def _letter_limit() -> str:
    return current_app.config.get("REFEREE_LETTER_LIMIT", DEFAULT_LETTER_LIMIT)


def _link_unusable():
    return render_template("referees/link_invalid.html"), 404


@bp.route("/<int:invitation_id>/<token>", methods=["GET", "POST"])
@limiter.limit(_letter_limit, methods=["POST"])
@public
def letter(invitation_id: int, token: str):
    invitation = services.find_invitation(invitation_id, token, utcnow())
    if invitation is None:
        return _link_unusable()
    form = LetterForm()
    if form.validate_on_submit():  # a GET never acts: mail scanners open links by themselves
        content, filename = (None, "") if form.wants_text else form.pdf_upload()
        try:
            replaced = services.receive_letter(
                invitation, token, now=utcnow(), pdf=content, filename=filename, text=form.text.data
            )
        except services.LinkUnusable:
            return _link_unusable()
        except services.LetterError as error:
            form[error.field].errors.append(str(error))
        else:
            flash(
                _("Your letter has been replaced. Thank you!")
                if replaced
                else _("Thank you! Your letter of recommendation has been received."),
                "success",
            )
            return redirect(request.path)
    elif request.method == "GET" and invitation.letter_text:
        form.text.data = invitation.letter_text
    return render_template(
        "referees/letter.html",
        invitation=invitation,
        application=invitation.application,
        form=form,
        due=services.deadline(invitation),
    )
