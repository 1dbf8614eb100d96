"""SAML pages: the service provider's metadata, the discovery page, the assertion consumer service, single logout, the
person's linked university accounts and the coordinators' rule for staff accounts."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from portal.accounts.session import end_session
from portal.core.operations import attempt, refuse
from portal.core.permissions import coordinator_only, login_required, public
from portal.core.rules import RuleViolation
from portal.extensions import csrf
from portal.saml import flow, permissions, services, sp
from portal.saml.forms import RequirementForm, UnlinkForm

bp = Blueprint("saml", __name__, url_prefix="/saml")


@bp.before_request
def only_when_configured():
    if not sp.enabled():
        abort(404)


@bp.app_context_processor
def saml_state() -> dict[str, object]:
    return {"saml_enabled": sp.enabled}


@bp.get("/metadata")
@public
def metadata():
    return Response(sp.metadata_xml(), mimetype="application/samlmetadata+xml")


@bp.get("/login")
@public
def discovery():
    query = request.args.get("q", "").strip()[:100]
    language = get_locale().language if get_locale() else "en"
    return render_template("saml/discovery.html", **flow.discovery(query, language))


# Starting a sign-in changes nothing but this browser's session: a link (a GET), so that the redirect to the identity
# provider is not a form's (the pages allow forms to post to the portal only).
@bp.get("/start")
@public
def start():
    started = attempt(lambda: flow.start(request.args.get("idp", ""), flow.SIGN_IN))
    return redirect(started.value if started else url_for("saml.discovery"))


@bp.get("/link")
@login_required
def link_start():
    if session.get(flow.SIGNED_IN):
        flash(_("Please sign in with your password to link a university account."), "warning")
        return redirect(url_for("saml.account"))
    started = attempt(lambda: flow.start(request.args.get("idp", ""), flow.LINK, current_user.id))
    return redirect(started.value if started else url_for("saml.account"))


@bp.post("/acs")
@csrf.exempt  # the identity provider posts here; its signed answer and the pending request are the checks
@public
def acs():
    if not flow.has_pending() and "resubmitted" not in request.args:
        # The session cookie (SameSite=Lax) stays behind on a cross-site POST: post once more from this site.
        return render_template("saml/continue.html", response=request.form.get("SAMLResponse", ""))
    try:
        pending, identity = flow.receive(request.form.get("SAMLResponse", ""))
        if pending.purpose == flow.LINK:
            return _linked(pending, identity)
        return flow.signed_in(services.sign_in(identity), identity)
    except RuleViolation as error:
        refuse(error, announce=False)
        not_linked = isinstance(error, services.NotLinked)
        return render_template("saml/refused.html", message=error.message, not_linked=not_linked), 400


def _linked(pending: flow.Pending, identity: sp.Identity):
    if not current_user.is_authenticated or current_user.id != pending.user_id:
        raise flow.SamlRefused(_("Please sign in with your password, then link your university account."))
    services.link(current_user._get_current_object(), identity)
    flash(_("Your university account is linked. You can now sign in with it."), "success")
    return redirect(url_for("saml.account"))


@bp.post("/logout")
@login_required
def logout():
    signed_in = session.get(flow.SIGNED_IN)
    location = flow.idp_logout_location(signed_in)
    end_session("logout")
    return render_template("saml/signed_out.html", location=location)


@bp.get("/sls")
@public
def single_logout():
    if "SAMLRequest" not in request.args:  # the identity provider's answer to our sign-out: the portal's came first
        flash(_("You have been signed out."), "info")
        return redirect(url_for("main.index"))
    try:
        return redirect(flow.answer_idp_logout(request.args))
    except RuleViolation as error:
        refuse(error, announce=False)
        return render_template("saml/refused.html", message=error.message, not_linked=False), 400


@bp.get("/account")
@login_required
def account():
    language = get_locale().language if get_locale() else "en"
    linked = flow.linked_with_names(current_user._get_current_object(), language)
    return render_template("saml/account.html", linked=linked, form=UnlinkForm(), **flow.discovery("", language))


@bp.post("/account/<int:identity_id>/unlink")
@login_required
def unlink(identity_id: int):
    if UnlinkForm().validate_on_submit() and attempt(
        lambda: services.unlink(current_user._get_current_object(), identity_id)
    ):
        flash(_("The link to your university account was removed."), "success")
    return redirect(url_for("saml.account"))


@bp.route("/require/<int:user_id>", methods=["GET", "POST"])
@coordinator_only
def requirement(user_id: int):
    user = permissions.staff_account(user_id)
    form = RequirementForm(data={"required": services.university_sign_in_required(user)})
    if form.validate_on_submit() and attempt(
        lambda: services.set_university_sign_in(current_user._get_current_object(), user, form.required.data), form
    ):
        flash(_("Saved."), "success")
        return redirect(url_for("saml.requirement", user_id=user.id))
    return render_template("saml/requirement.html", form=form, person=user, linked=services.identities(user))
