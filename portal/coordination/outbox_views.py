"""The administrators' view of the mail outbox: what was sent, what waits, what failed and why; retry a failed email.

Bodies are never loaded for this page: they may hold secret links (password reset, referee upload). The page shows the
recipient, subject, template, language, state, attempts, times and the last error only.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal import db
from portal.coordination.views import bp
from portal.core.navigation import is_safe_local_path
from portal.core.outbox import OutboxEmail, OutboxState
from portal.core.permissions import roles_required
from portal.core.roles import Role
from portal.core.templating import register_nav_item
from portal.core.timeutil import utcnow
from portal.notifications.services import STATE_LABELS, OutboxError, outbox_page, retry_email


def _state_from(value: str | None) -> OutboxState | None:
    return OutboxState(value) if value in {s.value for s in OutboxState} else None


@bp.get("/outbox")
@roles_required(Role.ADMIN)
def outbox():
    listing = outbox_page(_state_from(request.args.get("state")), request.args.get("page", 1, type=int))
    return render_template(
        "coordination/outbox.html", listing=listing, state_labels=STATE_LABELS, back=request.full_path.rstrip("?")
    )


@bp.post("/outbox/<int:email_id>/retry")
@roles_required(Role.ADMIN)
def outbox_retry(email_id: int):
    email = db.session.get(OutboxEmail, email_id)
    if email is None:
        abort(404)
    try:
        retry_email(email, now=utcnow())
    except OutboxError as error:
        flash(str(error), "warning")
    else:
        flash(_("The email to %(recipient)s will be sent again in a moment.", recipient=email.recipient), "success")
    target = request.form.get("next")
    return redirect(target if is_safe_local_path(target) else url_for("coordination.outbox"))


register_nav_item("coordination.outbox", _l("Mail outbox"), roles=(Role.ADMIN,), order=45)
