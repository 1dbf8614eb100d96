"""Step 7 (referees): name and change referees, send and resend invitations; only "received" is ever shown."""

from __future__ import annotations

from functools import partial

from flask import current_app, flash, redirect, url_for
from flask_babel import gettext as _

from portal.applications import invitations
from portal.applications.forms import InviteForm, RefereesForm
from portal.applications.models import Application
from portal.applications.views import bp, own_application, render_step, save_sent
from portal.core.operations import attempt
from portal.core.permissions import applicant_only
from portal.core.timeutil import utcnow
from portal.extensions import limiter


def _render(application: Application, form: RefereesForm):
    return render_step(
        application,
        "referees",
        form,
        referees={position: invitations.referee_at(application, position) for position in invitations.POSITIONS},
        changeable=invitations.can_change_referees(application, utcnow()),
        max_invitations=invitations.MAX_INVITATIONS,
    )


@bp.route("/<int:application_id>/referees", methods=["GET", "POST"])
@applicant_only
def step_referees(application_id: int):
    application = own_application(application_id)
    form = RefereesForm.for_page(application)
    saved = save_sent(form, partial(invitations.save_referees, application, form.entries()))
    if not saved:
        return _render(application, form)
    flash(_("Saved."), "success")
    for referee in saved.value.invited:
        flash(_("An invitation has been sent to %(email)s.", email=referee.email), "info")
    following = (
        "applications.submit" if form.save_continue.data and application.is_draft else "applications.step_referees"
    )
    return redirect(url_for(following, application_id=application.id))


@bp.post("/<int:application_id>/referees/<int:position>/invite")
@limiter.limit(lambda: current_app.config["MAIL_REQUEST_LIMIT"])
@applicant_only
def invite_referee(application_id: int, position: int):
    application = own_application(application_id)
    version = InviteForm().expected_version
    invited = attempt(lambda: invitations.invite(application, position, expected_version=version, now=utcnow()))
    if invited:
        email = invited.value.email
        flash(
            _("An invitation has been sent to %(email)s. An earlier link, if any, no longer works.", email=email),
            "success",
        )
    return redirect(url_for("applications.step_referees", application_id=application.id))
