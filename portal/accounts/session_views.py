"""The signed-in sessions page (on the accounts blueprint): where one is signed in, signing out one of them, all the
others, or everywhere."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from portal.accounts import services, sessions
from portal.accounts.devices import describe
from portal.accounts.permissions import own_session
from portal.accounts.session import current_session, end_session
from portal.accounts.views import bp
from portal.core.permissions import login_required


@bp.get("/sessions")
@login_required
def sessions_page():
    user, here = current_user._get_current_object(), current_session()
    listed = sessions.open_sessions(user)
    return render_template("accounts/sessions.html", sessions=listed, here=here, describe=describe)


@bp.post("/sessions/<int:session_id>/end")
@login_required
def end_one_session(session_id: int):
    record = own_session(current_user, session_id)
    if record is current_session():
        return _signed_out(None)
    sessions.end_session(record, "signed_out_elsewhere")
    flash(_("The session on %(device)s has been signed out.", device=describe(record.user_agent)), "success")
    return redirect(url_for("accounts.sessions_page"))


@bp.post("/sessions/end-others")
@login_required
def end_other_sessions():
    ended = services.end_other_sessions(current_user._get_current_object(), current_session())
    flash(
        ngettext("%(num)d other session has been signed out.", "%(num)d other sessions have been signed out.", ended),
        "success",
    )
    return redirect(url_for("accounts.sessions_page"))


@bp.post("/sessions/end-all")
@login_required
def end_all_sessions():
    services.end_all_sessions(current_user._get_current_object())
    return _signed_out(_("You have been signed out on all your devices."))


def _signed_out(message: str | None):
    """Sign this browser out and say so."""
    end_session("logout")
    flash(message or _("You have been signed out."), "info")
    return redirect(url_for("main.index"))
