"""Who sees what of an interview: time and link for its applicant, its panel and the coordinators; notes and scores
like reviews (the author always, the coordinators all submitted ones, another panel member once their own is
submitted; a supervisor on the panel only their own)."""

from __future__ import annotations

from flask import abort

from portal import db
from portal.accounts.models import User
from portal.core.roles import Role
from portal.interviews.models import Interview, InterviewInvitation, InterviewNote, InterviewSlot


def on_panel(user: User, interview: Interview) -> bool:
    return any(member.user_id == user.id for member in interview.panel)


def is_invitee(user: User, invitation: InterviewInvitation) -> bool:
    return invitation.application.applicant_id == user.id


def may_see(user: User, invitation: InterviewInvitation) -> bool:
    """The interview's time and meeting link: its applicant, its panel, the coordinators."""
    return is_invitee(user, invitation) or on_panel(user, invitation.interview) or user.has_role(Role.COORDINATOR)


def may_manage(user: User) -> bool:
    """Invite, offer slots, set the link and the hours, cancel any booking: the coordinators."""
    return user.has_role(Role.COORDINATOR)


def may_write_note(user: User, invitation: InterviewInvitation) -> bool:
    """Notes and a score: the panel's members, each their own."""
    return on_panel(user, invitation.interview)


def _sees_others(viewer: User, invitation: InterviewInvitation, notes: list[InterviewNote]) -> bool:
    if viewer.has_role(Role.COORDINATOR):
        return True
    own_submitted = any(note.author_id == viewer.id and note.submitted for note in notes)
    return own_submitted and viewer.has_role(Role.COMMITTEE) and on_panel(viewer, invitation.interview)


def visible_notes(viewer: User, invitation: InterviewInvitation, notes: list[InterviewNote]) -> list[InterviewNote]:
    """Of the invitation's notes, those the viewer may read (the rule of reviews)."""
    sees_others = _sees_others(viewer, invitation, notes)
    return [note for note in notes if note.author_id == viewer.id or (note.submitted and sees_others)]


def invitation_for(user: User, invitation_id: int) -> InterviewInvitation:
    """The invitation if the user may see it; 404 otherwise."""
    invitation = db.session.get(InterviewInvitation, invitation_id)
    if invitation is None or not may_see(user, invitation):
        abort(404)
    return invitation


def interview_for(user: User, interview_id: int) -> Interview:
    """An interview for the coordinators' page; 404 if there is none."""
    interview = db.session.get(Interview, interview_id)
    if interview is None or not may_manage(user):
        abort(404)
    return interview


def slot_for(user: User, slot_id: int) -> InterviewSlot:
    slot = db.session.get(InterviewSlot, slot_id)
    if slot is None or not may_manage(user):
        abort(404)
    return slot
