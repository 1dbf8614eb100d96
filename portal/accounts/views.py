"""Account pages: register, confirm, sign in and out, reset and change the password, settings."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.accounts import services
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
)
from portal.accounts.models import TokenPurpose
from portal.accounts.session import end_session, start_session
from portal.core.navigation import is_safe_local_path
from portal.core.operations import attempt
from portal.core.permissions import login_required, public
from portal.extensions import limiter

bp = Blueprint("accounts", __name__, url_prefix="/account")


def _login_failed(response) -> bool:
    return response.status_code != 302


def _submitted_email_key() -> str:
    return "login-account:" + (request.form.get("email") or "").strip().lower()


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
    registered = form.validate_on_submit() and attempt(lambda: services.register_applicant(**form.account()), form)
    if not registered:
        return render_template("accounts/register.html", form=form)
    start_session(registered.value, remember=False)
    flash(_("Welcome! We have sent you an email: please confirm your address with the link in it."), "success")
    return redirect(url_for("main.dashboard"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"], deduct_when=_login_failed)
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"],
    key_func=_submitted_email_key,
    methods=["POST"],
    deduct_when=_login_failed,
    scope="login-account",
)
@public
def login():
    form = LoginForm()
    signed_in = form.validate_on_submit() and attempt(
        lambda: services.sign_in(form.email.data, form.password.data), form
    )
    if not signed_in:
        return render_template("accounts/login.html", form=form)
    start_session(signed_in.value, remember=form.remember.data)
    target = request.args.get("next")
    return redirect(target if is_safe_local_path(target) else url_for("main.dashboard"))


@bp.post("/logout")
@login_required
def logout():
    services.end_sessions(current_user._get_current_object(), "logout")
    end_session()
    flash(_("You have been signed out on all your devices."), "info")
    return redirect(url_for("main.index"))


@bp.route("/confirm/<int:token_id>/<token>", methods=["GET", "POST"])
@public
def confirm_email(token_id: int, token: str):
    record = services.usable_token(token_id, token, TokenPurpose.CONFIRM_EMAIL)
    form = ConfirmEmailForm()
    if form.validate_on_submit():  # a GET never acts: mail scanners open links by themselves
        services.confirm_email(record)
        flash(_("Thank you: your email address is confirmed."), "success")
        return redirect(url_for("main.dashboard"))
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


@bp.route("/reset/<int:token_id>/<token>", methods=["GET", "POST"])
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
    user, form = current_user._get_current_object(), ChangePasswordForm()
    if form.validate_on_submit() and attempt(
        lambda: services.change_password(user, form.current_password.data, form.password.data), form
    ):
        start_session(user, remember=False)
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


@bp.route("/invitation/<int:token_id>/<token>", methods=["GET", "POST"])
@public
def accept_invitation(token_id: int, token: str):
    record = services.usable_invitation(token_id, token)
    form = InvitationForm()
    # A GET only shows the form: mail scanners open links by themselves.
    if form.validate_on_submit() and attempt(lambda: services.accept_invitation(record, form.password.data), form):
        end_session()
        flash(_("Your password has been set. Please sign in."), "success")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/invitation.html", form=form, user=record.user)
