"""The panel's pages: their interviews, notes and a score on each, the private calendar feed (issued, revoked, and
read by calendar programs through its secret link)."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.core.operations import attempt
from portal.core.permissions import public, roles_required
from portal.core.roles import Role
from portal.core.secret_links import secret_link
from portal.core.timeutil import utcnow
from portal.core.urls import absolute_url
from portal.interviews import feeds, notes
from portal.interviews.forms import NoteForm
from portal.interviews.permissions import invitation_for, may_write_note
from portal.interviews.views import bp

panel_member = roles_required(Role.COMMITTEE, Role.SUPERVISOR)


def _render_panel(feed_url: str | None = None):
    return render_template(
        "interviews/panel.html",
        invitations=feeds.panel_invitations(current_user),
        feed=feeds.feed_of(current_user),
        feed_url=feed_url,
        now=utcnow(),
    )


@bp.get("/panel")
@panel_member
def panel():
    return _render_panel()


@bp.post("/panel/feed")
@panel_member
def issue_feed():
    # The link is shown on this answer once: only its hash is kept, so it cannot be shown again.
    token = feeds.issue_feed(current_user)
    return _render_panel(absolute_url("interviews.feed", user_id=current_user.id, token=token))


@bp.post("/panel/feed/revoke")
@panel_member
def revoke_feed():
    feeds.revoke_feed(current_user)
    flash(_("Your calendar link has been revoked; calendars using it receive nothing any more."), "success")
    return redirect(url_for("interviews.panel"))


@bp.get("/feed/<link_id:user_id>/<token>.ics")
@public
@secret_link
def feed(user_id: int, token: str):
    user = feeds.feed_owner(user_id, token)
    if user is None:
        abort(404)
    return Response(feeds.feed_calendar(user, now=utcnow()), mimetype="text/calendar")


@bp.route("/invitation/<int:invitation_id>/notes", methods=["GET", "POST"])
@panel_member
def note(invitation_id: int):
    invitation = invitation_for(current_user, invitation_id)
    if not may_write_note(current_user, invitation):
        abort(403)
    own = notes.own_note(invitation, current_user)
    form = NoteForm(obj=own)
    if form.validate_on_submit() and attempt(
        lambda: notes.save_note(
            invitation,
            current_user,
            score=form.score.data,
            notes=form.notes.data or "",
            submit=bool(form.submit.data),
            now=utcnow(),
        ),
        form,
    ):
        flash(_("Your notes have been saved."), "success")
        return redirect(url_for("interviews.note", invitation_id=invitation.id))
    others = notes.others_notes(current_user, invitation)
    return render_template("interviews/note.html", invitation=invitation, form=form, own=own, others=others)
