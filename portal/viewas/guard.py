"""While an administrator views as someone, each request runs as that person, read only: any POST is refused, and
nothing a page does is committed."""

from __future__ import annotations

from flask import g, render_template, request, session
from flask_login import current_user

from portal import db
from portal.accounts.models import User
from portal.core.roles import Role
from portal.core.rules import mark_refused
from portal.viewas.services import VIEW_AS, state, viewable

# Run as the administrator: ending the view-as, and the static files.
OWN_ENDPOINTS = frozenset({"viewas.end", "static"})
READING = frozenset({"GET", "HEAD", "OPTIONS"})
VIEWED = "portal_viewed_as"


def _target(admin) -> User | None:
    current = state()
    if current is None or current.get("admin") != admin.id or not admin.has_role(Role.ADMIN):
        return None
    target = db.session.get(User, current["user"])
    return target if viewable(admin, target) is None else None


def view_as():
    """Swap the signed-in administrator for the viewed person (a before-request hook for the whole app)."""
    if state() is None or request.endpoint in OWN_ENDPOINTS or not current_user.is_authenticated:
        return None
    admin = current_user._get_current_object()
    target = _target(admin)
    if target is None:
        session.pop(VIEW_AS, None)  # the person became an administrator, was deactivated, or the admin is another
        return None
    mark_refused()  # read only: whatever this request would write is rolled back
    if request.method not in READING:
        return render_template("viewas/refused.html", person=target), 403
    target.session_key = admin.session_key
    g._login_user = target  # Flask-Login's current user, for this request only
    setattr(g, VIEWED, (admin, target))
    return None


def viewing_as() -> User | None:
    """The person the administrator is viewing the portal as, in this request."""
    pair = g.get(VIEWED)
    return pair[1] if pair else None
