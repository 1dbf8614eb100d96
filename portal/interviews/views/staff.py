"""The coordinators' pages: invite an application (from the ranking or the record), an interview's slots in every
zone, the meeting link and the round's working hours."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.applications.models import Application
from portal.applications.permissions import application_for
from portal.core.operations import attempt
from portal.core.permissions import coordinator_only
from portal.core.timeutil import utcnow
from portal.interviews import services
from portal.interviews.forms import HoursForm, InviteForm, LinkForm, SlotForm
from portal.interviews.models import Interview
from portal.interviews.pages import slot_rows, staff_zones
from portal.interviews.permissions import interview_for, slot_for
from portal.interviews.views import bp


def _invite_form(application: Application) -> InviteForm:
    interviews = [
        (i.id, _("Interview %(number)d: %(panel)s", number=i.id, panel=", ".join(u.name for u in i.panel_users)))
        for i in services.interviews_of_round(application.round_id)
    ]
    people = [(user.id, user.name) for user in services.panel_candidates(application)]
    return InviteForm().set_choices(interviews, people)


@bp.route("/invite/<int:application_id>", methods=["GET", "POST"])
@coordinator_only
def invite(application_id: int):
    application = application_for(current_user, application_id)
    form = _invite_form(application)
    if form.validate_on_submit() and (
        outcome := attempt(lambda: services.invite_to(application, **_invite_values(form), now=utcnow()), form)
    ):
        flash(_("%(name)s has been invited and asked to choose a time.", name=application.display_name), "success")
        return redirect(url_for("interviews.interview", interview_id=outcome.value.interview_id))  # type: ignore[union-attr]
    invitation = services.invitation_of(application)
    return render_template("interviews/invite.html", application=application, form=form, invitation=invitation)


def _invite_values(form: InviteForm) -> dict:
    return {
        "interview_id": form.interview.data,
        "panel_ids": form.panel.data or [],
        "duration": form.duration.data,
        "meeting_link": form.meeting_link.data or "",
        "first_day": form.first_day.data,
        "days": form.days.data,
    }


def _render(interview: Interview, **forms):
    hours = services.hours_for(interview.intake_round)
    return render_template(
        "interviews/interview.html",
        interview=interview,
        rows=slot_rows(interview, staff_zones(interview)),
        zones=staff_zones(interview),
        slot_form=forms.get("slot_form") or SlotForm(),
        link_form=forms.get("link_form") or LinkForm(meeting_link=interview.meeting_link),
        hours_form=forms.get("hours_form") or HoursForm(start_hour=hours.start_hour, end_hour=hours.end_hour),
    )


@bp.get("/<int:interview_id>")
@coordinator_only
def interview(interview_id: int):
    return _render(interview_for(current_user, interview_id))


@bp.post("/<int:interview_id>/slots")
@coordinator_only
def add_slot(interview_id: int):
    interview = interview_for(current_user, interview_id)
    form = SlotForm()
    if form.validate_on_submit() and attempt(
        lambda: services.add_slot(interview, form.starts_at(), now=utcnow()), form
    ):
        flash(_("The time has been added."), "success")
        return redirect(url_for("interviews.interview", interview_id=interview.id))
    return _render(interview, slot_form=form), 422


@bp.post("/slots/<int:slot_id>/remove")
@coordinator_only
def remove_slot(slot_id: int):
    slot = slot_for(current_user, slot_id)
    interview_id = slot.interview_id
    if attempt(lambda: services.remove_slot(slot)):
        flash(_("The time is no longer offered."), "success")
    return redirect(url_for("interviews.interview", interview_id=interview_id))


@bp.post("/<int:interview_id>/link")
@coordinator_only
def set_link(interview_id: int):
    interview = interview_for(current_user, interview_id)
    form = LinkForm()
    if form.validate_on_submit() and attempt(lambda: services.set_link(interview, form.meeting_link.data or ""), form):
        flash(_("The meeting link has been saved."), "success")
        return redirect(url_for("interviews.interview", interview_id=interview.id))
    return _render(interview, link_form=form), 422


@bp.post("/<int:interview_id>/hours")
@coordinator_only
def set_hours(interview_id: int):
    interview = interview_for(current_user, interview_id)
    form = HoursForm()
    if form.validate_on_submit() and attempt(
        lambda: services.set_hours(interview.intake_round, form.start_hour.data, form.end_hour.data), form
    ):
        flash(_("The working hours of %(round)s have been saved.", round=interview.intake_round.name), "success")
        return redirect(url_for("interviews.interview", interview_id=interview.id))
    return _render(interview, hours_form=form), 422
