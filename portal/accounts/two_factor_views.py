"""Two-factor sign-in pages (on the accounts blueprint): its state, setting up an authenticator app with a QR code,
the recovery codes (shown once), turning it off where the role allows."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.accounts import two_factor
from portal.accounts.forms import ConfirmTwoFactorForm, DisableTwoFactorForm, RecoveryCodesForm, StartTwoFactorForm
from portal.accounts.session import current_session
from portal.accounts.views import bp
from portal.core.operations import attempt
from portal.core.permissions import login_required


def _overview(**forms):
    """The two-factor page; a form sent back with its errors replaces the empty one."""
    user = current_user._get_current_object()
    return render_template(
        "accounts/two_factor.html",
        start_form=forms.get("start_form") or StartTwoFactorForm(formdata=None),
        codes_form=forms.get("codes_form") or RecoveryCodesForm(formdata=None),
        disable_form=forms.get("disable_form") or DisableTwoFactorForm(formdata=None),
        codes_left=two_factor.recovery_codes_left(user) if user.has_second_factor else 0,
        enrolling=two_factor.enrolment(user) is not None,
    )


@bp.get("/two-factor", endpoint="two_factor")
@login_required
def two_factor_overview():
    return _overview()


@bp.post("/two-factor/start")
@login_required
def two_factor_start():
    user, form = current_user._get_current_object(), StartTwoFactorForm()
    if form.validate_on_submit() and attempt(lambda: two_factor.begin_enrolment(user, form.password.data), form):
        return redirect(url_for("accounts.two_factor_setup"))
    return _overview(start_form=form)


@bp.route("/two-factor/setup", methods=["GET", "POST"])
@login_required
def two_factor_setup():
    user, form = current_user._get_current_object(), ConfirmTwoFactorForm()
    enrolment = two_factor.enrolment(user)
    if enrolment is None:
        return redirect(url_for("accounts.two_factor"))
    confirmed = form.validate_on_submit() and attempt(
        lambda: two_factor.confirm_enrolment(user, form.code.data, current_session()), form
    )
    if confirmed:
        flash(_("Two-factor sign-in is on: you now sign in with your password and a code of the app."), "success")
        return render_template("accounts/recovery_codes.html", codes=confirmed.value)
    return render_template("accounts/two_factor_setup.html", form=form, enrolment=enrolment)


@bp.post("/two-factor/recovery-codes")
@login_required
def two_factor_recovery_codes():
    user, form = current_user._get_current_object(), RecoveryCodesForm()
    replaced = form.validate_on_submit() and attempt(
        lambda: two_factor.replace_recovery_codes(user, form.code.data), form
    )
    if replaced:
        flash(_("New recovery codes are ready; the old ones no longer work."), "success")
        return render_template("accounts/recovery_codes.html", codes=replaced.value)
    return _overview(codes_form=form)


@bp.post("/two-factor/disable")
@login_required
def two_factor_disable():
    user, form = current_user._get_current_object(), DisableTwoFactorForm()
    if form.validate_on_submit() and attempt(lambda: two_factor.disable(user, form.password.data), form):
        flash(_("Two-factor sign-in is off."), "info")
        return redirect(url_for("accounts.two_factor"))
    return _overview(disable_form=form)
