"""Forms of SAML sign-in: the buttons that change something (unlink, require university sign-in)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SubmitField


class UnlinkForm(FlaskForm):
    """Remove a linked university account."""

    submit = SubmitField(_l("Remove link"))


class RequirementForm(FlaskForm):
    """Whether a staff account must sign in with its university account."""

    required = BooleanField(_l("Must sign in with the university account"))
    submit = SubmitField(_l("Save"))
