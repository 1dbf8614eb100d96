"""The applicant's page: the offered times in three zones, booking one, moving it, cancelling it, its .ics file; the
cancel and the .ics serve the coordinators (and the panel, for the .ics) too."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.core.operations import attempt
from portal.core.permissions import applicant_only, login_required
from portal.core.timeutil import utcnow
from portal.interviews import booking
from portal.interviews.calendar import FILENAME, calendar_bytes
from portal.interviews.forms import ChooseSlotForm
from portal.interviews.mails import calendar_entry
from portal.interviews.pages import applicant_interviews
from portal.interviews.permissions import invitation_for, is_invitee, may_manage
from portal.interviews.views import bp


@bp.get("/mine")
@applicant_only
def mine():
    return render_template("interviews/mine.html", interviews=applicant_interviews(current_user), form=ChooseSlotForm())


def _own_invitation(invitation_id: int):
    invitation = invitation_for(current_user, invitation_id)
    if not is_invitee(current_user, invitation):
        abort(404)
    return invitation


@bp.post("/invitation/<int:invitation_id>/book")
@applicant_only
def book(invitation_id: int):
    invitation = _own_invitation(invitation_id)
    form = ChooseSlotForm()
    if not form.validate_on_submit():
        flash(_("Please choose one of the offered times."), "danger")
    elif attempt(lambda: booking.book_slot(invitation, form.slot.data, now=utcnow())):
        flash(_("Your interview has been booked. A confirmation with a calendar entry is on its way."), "success")
    return redirect(url_for("interviews.mine"))


@bp.post("/invitation/<int:invitation_id>/move")
@applicant_only
def move(invitation_id: int):
    invitation = _own_invitation(invitation_id)
    form = ChooseSlotForm()
    if not form.validate_on_submit():
        flash(_("Please choose one of the offered times."), "danger")
    elif attempt(lambda: booking.move_to_slot(invitation, form.slot.data, now=utcnow())):
        flash(_("Your interview has been moved. The panel has been told."), "success")
    return redirect(url_for("interviews.mine"))


@bp.post("/invitation/<int:invitation_id>/cancel")
@login_required
def cancel(invitation_id: int):
    invitation = invitation_for(current_user, invitation_id)
    if not (is_invitee(current_user, invitation) or may_manage(current_user)):
        abort(403)
    if attempt(lambda: booking.cancel(invitation, by=current_user, now=utcnow())):
        flash(_("The interview has been cancelled. Everyone has been told."), "success")
    if is_invitee(current_user, invitation):
        return redirect(url_for("interviews.mine"))
    return redirect(url_for("interviews.interview", interview_id=invitation.interview_id))


@bp.get("/invitation/<int:invitation_id>/interview.ics")
@login_required
def ics(invitation_id: int):
    invitation = invitation_for(current_user, invitation_id)
    if invitation.booking is None:
        abort(404)
    entry = calendar_entry(invitation, invitation.booking.slot, current_user)
    body = calendar_bytes([entry], method="PUBLISH", now=utcnow())
    return Response(
        body, mimetype="text/calendar", headers={"Content-Disposition": f'attachment; filename="{FILENAME}"'}
    )
