"""The form that starts a view-as."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SubmitField
from wtforms.validators import DataRequired, Length


class ViewAsForm(FlaskForm):
    """Whose portal to view."""

    email = EmailField(_l("Email address of the person"), validators=[DataRequired(), Length(max=254)])
    submit = SubmitField(_l("View the portal as this person"))


class EndViewAsForm(FlaskForm):
    """End viewing as."""
