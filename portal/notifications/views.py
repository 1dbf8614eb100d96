"""Messages to people: mail to a group of a round's applicants (write or choose a message, preview it, send it through
the outbox), and the administrators' view of the outbox (what was sent, what waits, what failed and why; retry).

The outbox page never loads the bodies: they may hold secret links (password reset, referee upload). It shows the
recipient, subject, template, language, state, attempts, times and the last error only.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from portal import db
from portal.applications.services import list_rounds, round_or_404
from portal.core.navigation import is_safe_local_path
from portal.core.operations import attempt
from portal.core.outbox import OutboxEmail
from portal.core.permissions import admin_only, coordinator_only
from portal.core.roles import Role
from portal.core.templating import register_nav_item
from portal.core.timeutil import utcnow
from portal.notifications import bulkmail, services
from portal.notifications.forms import BulkMailForm, list_filter_arg
from portal.notifications.recipients import RecipientGroup
from portal.rounds.services import round_asked_for

bp = Blueprint("notifications", __name__, url_prefix="/coordination")


# --- Mail to a group of applicants -----------------------------------------------------------------------------------


def _mail_form() -> BulkMailForm:
    """The form as sent; on a GET an empty one with the round and the recipients the address names (the dashboard's)."""
    if request.method == "POST":
        form = BulkMailForm()
    else:
        chosen, group = round_asked_for(request.args.get("round")), request.args.get("recipients")
        groups = {g.value for g in RecipientGroup}
        form = BulkMailForm(
            formdata=None,
            round_id=chosen.id if chosen else None,
            recipients=group if group in groups else None,
            list_filter=list_filter_arg(request.args),
        )
    form.set_rounds(list_rounds())
    return form


def _mail_page(form: BulkMailForm, preview: bulkmail.Preview | None = None):
    if preview is not None:
        form.fingerprint.data, form.nonce.data = preview.fingerprint, preview.nonce
    chosen = form.list_filters(form.round_id.data or 0).query_args() if form.list_filter.data else {}
    chosen.pop("round", None)
    return render_template("notifications/bulkmail.html", form=form, preview=preview, list_filter=chosen)


@bp.route("/mail", methods=["GET", "POST"], endpoint="bulkmail")
@coordinator_only
def bulkmail_page():
    form = _mail_form()
    if not form.validate_on_submit():
        return _mail_page(form)
    intake = round_or_404(form.round_id.data)
    done = attempt(
        lambda: bulkmail.preview_or_send(
            form.composition(intake),
            sending=form.send.data,
            fingerprint=form.fingerprint.data,
            nonce=form.nonce.data,
            now=utcnow(),
        ),
        form,
    )
    if done and done.value.sent is not None:
        _flash_sent(done.value.sent)
        return redirect(url_for("notifications.bulkmail", round=intake.id))
    return _mail_page(form, done.value.preview if done else getattr(done.error, "preview", None))


def _flash_sent(count: int) -> None:
    message = ngettext(
        "%(num)d email has been put in the outbox; it is sent in the next minutes.",
        "%(num)d emails have been put in the outbox; they are sent in the next minutes.",
        count,
    )
    flash(message, "success")


# --- The outbox ------------------------------------------------------------------------------------------------------


@bp.get("/outbox")
@admin_only
def outbox():
    listing = services.outbox_page(services.state_from(request.args.get("state")), request.args.get("page"))
    back = request.full_path.rstrip("?")
    return render_template(
        "notifications/outbox.html",
        listing=listing,
        state_labels=services.STATE_LABELS,
        kind_labels=services.KIND_LABELS,
        back=back,
    )


@bp.post("/outbox/<int:email_id>/retry")
@admin_only
def outbox_retry(email_id: int):
    email = db.session.get(OutboxEmail, email_id) or abort(404)
    if attempt(lambda: services.retry_email(email, now=utcnow())):
        flash(_("The email to %(recipient)s will be sent again in a moment.", recipient=email.recipient), "success")
    target = request.form.get("next")
    return redirect(target if is_safe_local_path(target) else url_for("notifications.outbox"))


register_nav_item("notifications.outbox", _l("Mail outbox"), roles=(Role.ADMIN,), order=45)
