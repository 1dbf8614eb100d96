"""Forms of the CSC pages: the round's CSC window (Berlin time), a letter template, marking a candidate."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, HiddenField, SubmitField, TextAreaField
from wtforms.validators import InputRequired

from portal.core.versions import VersionedForm

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
WINDOW_ZONE = "Europe/Berlin"


def _moment(label) -> DateTimeLocalField:
    return DateTimeLocalField(
        label,
        format=DATETIME_FORMATS,
        validators=[InputRequired(message=_l("Please enter a date and time like 2027-03-31 23:59."))],
        description=_l("Berlin time, e.g. 2027-03-31 23:59."),
    )


class WindowForm(VersionedForm):
    opens_at = _moment(_l("The CSC takes applications from"))
    closes_at = _moment(_l("The CSC application window closes"))
    submit = SubmitField(_l("Save the window"))


class TemplateForm(VersionedForm):
    body = TextAreaField(_l("Text of the letter"), render_kw={"rows": 14})
    submit = SubmitField(_l("Save the text"))


class MarkForm(FlaskForm):
    marked = HiddenField()
    submit = SubmitField(_l("Save"))


class PackageForm(FlaskForm):
    submit = SubmitField(_l("Generate the CSC documents (PDF)"))
