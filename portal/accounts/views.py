"""Account pages: register, confirm, sign in (password, then the second factor where there is one) and out, reset and
change the password, settings. The signed-in sessions and two-factor sign-in have their own modules on this blueprint
(session_views.py, two_factor_views.py)."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.accounts import services, throttles, two_factor
from portal.accounts.forms import (
    ChangePasswordForm,
    ConfirmEmailForm,
    InvitationForm,
    LoginForm,
    PreferencesForm,
    RegistrationForm,
    ResendConfirmationForm,
    ResetPasswordForm,
    ResetRequestForm,
    SecondStepForm,
)
from portal.accounts.models import TokenPurpose, User
from portal.accounts.session import (
    begin_second_step,
    current_session,
    end_session,
    pending_second_step,
    require_second_factor,
    second_step_missing,
    start_session,
)
from portal.core.navigation import is_safe_local_path
from portal.core.operations import attempt
from portal.core.permissions import login_required, public
from portal.core.secret_links import secret_link
from portal.extensions import limiter

bp = Blueprint("accounts", __name__, url_prefix="/account")
# For the whole app, registered with the blueprint: after the database's own before-request hooks.
bp.before_app_request(require_second_factor)


@bp.app_context_processor
def second_step_state() -> dict[str, object]:
    return {"second_step_missing": second_step_missing}


def _mail_limit() -> str:
    return current_app.config["MAIL_REQUEST_LIMIT"]


@bp.errorhandler(services.LinkInvalid)
def link_invalid(_error: services.LinkInvalid):
    return render_template("accounts/link_invalid.html"), 404


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_mail_limit, methods=["POST"])
@public
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = RegistrationForm()
    # The same answer whether the address already has an account or not: the emails differ, the pages do not.
    if form.validate_on_submit() and attempt(lambda: services.register_applicant(**form.account()), form):
        return redirect(url_for("accounts.registered"))
    return render_template("accounts/register.html", form=form)


@bp.get("/register/sent")
@public
def registered():
    return render_template("accounts/registered.html")


def _next_path() -> str | None:
    target = request.args.get("next")
    return target if is_safe_local_path(target) else None


def _signed_in(user: User, *, remember: bool, second_factor: bool, next_path: str | None):
    """Start the session and go on: to the enrolment if the person's role requires a second factor they lack."""
    start_session(user, remember=remember, second_factor=second_factor)
    if user.requires_second_factor and not second_factor:
        return redirect(url_for("accounts.two_factor"))  # the page says why
    return redirect(next_path or url_for("main.dashboard"))


@bp.route("/login", methods=["GET", "POST"])
@throttles.password_step
@public
def login():
    form = LoginForm()
    signed_in = form.validate_on_submit() and attempt(
        lambda: services.sign_in(form.email.data, form.password.data), form
    )
    if not signed_in:
        return render_template("accounts/login.html", form=form)
    user = signed_in.value
    if user.has_second_factor:
        begin_second_step(user, remember=form.remember.data, next_path=_next_path())
        return redirect(url_for("accounts.login_code"))
    return _signed_in(user, remember=form.remember.data, second_factor=False, next_path=_next_path())


@bp.route("/login/code", methods=["GET", "POST"])
@throttles.second_step
@public
def login_code():
    pending, form = pending_second_step(), SecondStepForm()
    if pending is None:
        flash(_("Please sign in again."), "info")
        return redirect(url_for("accounts.login"))
    user, remember, next_path = pending
    if form.validate_on_submit() and attempt(lambda: two_factor.sign_in_with_code(user, form.code.data), form):
        return _signed_in(user, remember=remember, second_factor=True, next_path=next_path or None)
    return render_template("accounts/login_code.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    end_session("logout")
    flash(_("You have been signed out."), "info")
    return redirect(url_for("main.index"))


@bp.route("/confirm/<link_id:token_id>/<token>", methods=["GET", "POST"])
@secret_link
@public
def confirm_email(token_id: int, token: str):
    record = services.usable_token(token_id, token, TokenPurpose.CONFIRM_EMAIL)
    form = ConfirmEmailForm()
    if form.validate_on_submit():  # a GET never acts: mail scanners open links by themselves
        services.confirm_email(record)
        if current_user.is_authenticated:
            flash(_("Thank you: your email address is confirmed."), "success")
            return redirect(url_for("main.dashboard"))
        flash(_("Thank you: your email address is confirmed. Please sign in."), "success")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/confirm_email.html", form=form, email=record.user.email)


@bp.post("/confirm/resend")
@limiter.limit(_mail_limit)
@login_required
def resend_confirmation():
    if ResendConfirmationForm().validate_on_submit() and not current_user.email_confirmed:
        services.send_confirmation(current_user._get_current_object())
        flash(_("We have sent you a new confirmation email."), "info")
    return redirect(url_for("main.dashboard"))


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit(_mail_limit, methods=["POST"])
@public
def request_reset():
    form = ResetRequestForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        flash(_("If an account uses this address, we have sent it a link to set a new password."), "info")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_request.html", form=form)


@bp.route("/reset/<link_id:token_id>/<token>", methods=["GET", "POST"])
@secret_link
@public
def reset_password(token_id: int, token: str):
    record = services.usable_token(token_id, token, TokenPurpose.RESET_PASSWORD)
    form = ResetPasswordForm()
    if form.validate_on_submit() and attempt(lambda: services.reset_password(record, form.password.data), form):
        end_session()
        flash(_("Your password has been changed. Please sign in with the new password."), "success")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_password.html", form=form)


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    user, form, here = current_user._get_current_object(), ChangePasswordForm(), current_session()
    if form.validate_on_submit() and attempt(
        lambda: services.change_password(user, form.current_password.data, form.password.data, current=here), form
    ):
        flash(_("Your password has been changed. Other devices have been signed out."), "success")
        return redirect(url_for("accounts.settings"))
    return render_template("accounts/change_password.html", form=form)


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings():
    user = current_user._get_current_object()
    form = PreferencesForm(obj=user)
    if form.validate_on_submit() and attempt(lambda: services.update_preferences(user, **form.preferences()), form):
        flash(_("Your settings have been saved."), "success")
        return redirect(url_for("accounts.settings"))
    return render_template("accounts/settings.html", form=form)


@bp.route("/invitation/<link_id:token_id>/<token>", methods=["GET", "POST"])
@secret_link
@public
def accept_invitation(token_id: int, token: str):
    record = services.usable_invitation(token_id, token)
    form = InvitationForm()
    # A GET only shows the form: mail scanners open links by themselves.
    if form.validate_on_submit() and attempt(lambda: services.accept_invitation(record, form.password.data), form):
        flash(_("Your password has been set. Welcome to the portal!"), "success")
        return _signed_in(record.user, remember=False, second_factor=False, next_path=None)
    return render_template("accounts/invitation.html", form=form, user=record.user)


from portal.accounts import session_views, two_factor_views  # noqa: E402, F401 - their routes join this blueprint
