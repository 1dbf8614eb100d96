"""The form that creates a personal access token (revoking is a button with its CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from portal.api.models import Scope
from portal.api.services import EXPIRY_DAYS


class TokenForm(FlaskForm):
    """A token's name (to recognise it later), what it may read and how long it lives."""

    name = StringField(
        _l("Name"), validators=[DataRequired(), Length(max=80)], description=_l("For example: doctoral office import")
    )
    scopes = SelectMultipleField(
        _l("What it may read"),
        choices=lambda: [(scope.value, scope.label) for scope in Scope],
        validators=[DataRequired(message=_l("Choose at least one scope."))],
        description=_l("Hold Ctrl (or ⌘) to choose several."),
    )
    days = SelectField(
        _l("Valid for"),
        choices=lambda: [(days, _l("%(num)d days", num=days)) for days in EXPIRY_DAYS],
        coerce=int,
        default=90,
    )
    submit = SubmitField(_l("Create token"))
