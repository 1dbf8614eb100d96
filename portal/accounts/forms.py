"""One form per account screen."""

from __future__ import annotations

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, ValidationError

from portal.accounts.passwords import MAX_LENGTH, password_problems
from portal.accounts.services import AccountError, normalize_email
from portal.core.i18n import LANGUAGE_NAMES, timezone_options


def language_choices() -> list[tuple[str, str]]:
    return list(LANGUAGE_NAMES.items())


def page_language() -> str:
    """The language of the page: a new account speaks it unless its owner chooses another."""
    locale = get_locale()
    return locale.language if locale is not None and locale.language in LANGUAGE_NAMES else "en"


def timezone_choices() -> list[tuple[str, str]]:
    return timezone_options()


def new_password_field(label: str) -> PasswordField:
    """A field for a password being chosen, with the policy in its help text (checked by `password_problems`)."""
    return PasswordField(
        label,
        validators=[DataRequired(), Length(max=MAX_LENGTH)],
        description=_l("At least 12 characters; not your email address and not a common password."),
    )


def password_confirmation_field(label: str) -> PasswordField:
    """The same password typed again."""
    return PasswordField(
        label, validators=[DataRequired(), EqualTo("password", message=_l("The passwords do not match."))]
    )


class EmailNormalizingMixin:
    """Turns the email field into its canonical form, or explains why it is not an address."""

    def validate_email(self, field: EmailField) -> None:
        try:
            field.data = normalize_email(field.data)
        except AccountError as error:
            raise ValidationError(str(error)) from error


class RegistrationForm(EmailNormalizingMixin, FlaskForm):
    email = EmailField(_l("Email address"), validators=[DataRequired(), Length(max=254)])
    name = StringField(
        _l("Full name"),
        validators=[DataRequired(), Length(max=200)],
        description=_l("As in your passport, in Latin letters."),
    )
    password = new_password_field(_l("Password"))
    password_confirm = password_confirmation_field(_l("Repeat the password"))
    language = SelectField(_l("Language"), choices=language_choices, default=page_language)
    timezone = SelectField(_l("Time zone"), choices=timezone_choices, default="Asia/Shanghai")
    submit = SubmitField(_l("Create account"))

    def validate_password(self, field: PasswordField) -> None:
        problems = password_problems(field.data or "", email=self.email.data or "", name=self.name.data or "")
        if problems:
            raise ValidationError(" ".join(problems))

    def account(self) -> dict[str, str]:
        """The new account's details as `services.register_applicant` takes them."""
        return {name: self[name].data for name in ("email", "name", "password", "language", "timezone")}


class LoginForm(FlaskForm):
    email = EmailField(_l("Email address"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=MAX_LENGTH)])
    remember = BooleanField(_l("Keep me signed in on this device"))
    submit = SubmitField(_l("Sign in"))


def code_field(label: str, description: str = "") -> StringField:
    """A field for a code of an authenticator app (or a recovery code): phones offer the code they received."""
    return StringField(
        label,
        validators=[DataRequired(), Length(max=40)],
        description=description,
        render_kw={"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false"},
    )


class SecondStepForm(FlaskForm):
    code = code_field(_l("Code"), _l("The six digits your authenticator app shows now, or one of your recovery codes."))
    submit = SubmitField(_l("Sign in"))


class StartTwoFactorForm(FlaskForm):
    """Begins setting up an authenticator app; replacing one needs the password."""

    password = PasswordField(_l("Your password"), validators=[Optional(), Length(max=MAX_LENGTH)])
    submit = SubmitField(_l("Set up an authenticator app"))


class ConfirmTwoFactorForm(FlaskForm):
    code = code_field(_l("Code from the app"), _l("The six digits the app shows for this portal."))
    submit = SubmitField(_l("Confirm and turn on"))


class RecoveryCodesForm(FlaskForm):
    code = code_field(_l("Code from the app"), _l("Confirm with the six digits your app shows now."))
    submit = SubmitField(_l("Make new recovery codes"))


class DisableTwoFactorForm(FlaskForm):
    password = PasswordField(_l("Your password"), validators=[DataRequired(), Length(max=MAX_LENGTH)])
    submit = SubmitField(_l("Turn off two-factor sign-in"))


class ResendConfirmationForm(FlaskForm):
    submit = SubmitField(_l("Send the confirmation email again"))


class ConfirmEmailForm(FlaskForm):
    submit = SubmitField(_l("Confirm my email address"))


class ResetRequestForm(FlaskForm):
    email = EmailField(_l("Email address"), validators=[DataRequired(), Length(max=254)])
    submit = SubmitField(_l("Send me a link"))


class NewPasswordMixin:
    password = new_password_field(_l("New password"))
    password_confirm = password_confirmation_field(_l("Repeat the new password"))


class ResetPasswordForm(NewPasswordMixin, FlaskForm):
    submit = SubmitField(_l("Set the new password"))


class InvitationForm(NewPasswordMixin, FlaskForm):
    """Sets the first password of an invited account."""

    submit = SubmitField(_l("Set my password"))


class ChangePasswordForm(NewPasswordMixin, FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=MAX_LENGTH)])
    submit = SubmitField(_l("Change password"))


class PreferencesForm(FlaskForm):
    language = SelectField(_l("Language"), choices=language_choices)
    timezone = SelectField(
        _l("Time zone"), choices=timezone_choices, description=_l("Dates and deadlines are shown in this time zone.")
    )
    submit = SubmitField(_l("Save settings"))

    def preferences(self) -> dict[str, str]:
        """The choice as `services.update_preferences` takes it."""
        return {"language": self.language.data, "timezone": self.timezone.data}
