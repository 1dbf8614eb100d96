"""The referee's page behind the secret link: no account, a letter as PDF or text."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request
from flask_babel import gettext as _

from portal.core.operations import attempt
from portal.core.permissions import public
from portal.core.secret_links import secret_link
from portal.core.timeutil import utcnow
from portal.extensions import limiter
from portal.referees import services
from portal.referees.forms import LetterForm
from portal.referees.permissions import LinkUnusable, deadline, usable_invitation

bp = Blueprint("referees", __name__, url_prefix="/referee")

DEFAULT_LETTER_LIMIT = "30 per hour"


def _letter_limit() -> str:
    return current_app.config.get("REFEREE_LETTER_LIMIT", DEFAULT_LETTER_LIMIT)


@bp.errorhandler(LinkUnusable)
def link_unusable(_error: LinkUnusable):
    return render_template("referees/link_invalid.html"), 404


@bp.route("/<link_id:invitation_id>/<token>", methods=["GET", "POST"])
@secret_link
@limiter.limit(_letter_limit, methods=["POST"])
@public
def letter(invitation_id: int, token: str):
    invitation = usable_invitation(invitation_id, token, utcnow())
    form = LetterForm.for_page(invitation)
    # A GET never acts: mail scanners open links by themselves.
    received = form.validate_on_submit() and attempt(
        lambda: services.receive_letter(invitation, token, now=utcnow(), **form.letter()), form
    )
    if received:
        replaced = received.value
        thanks = _("Thank you! Your letter of recommendation has been received.")
        flash(_("Your letter has been replaced. Thank you!") if replaced else thanks, "success")
        return redirect(request.path)
    application, due = invitation.application, deadline(invitation)
    return render_template("referees/letter.html", invitation=invitation, application=application, form=form, due=due)
