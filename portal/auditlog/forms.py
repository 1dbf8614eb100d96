"""The audit log's search form (GET: a search changes nothing, so it carries no CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SearchField, SelectField, SubmitField
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from portal.auditlog.labels import ACTION_LABELS, OBJECT_LABELS
from portal.auditlog.services import LARGEST_ID, SEARCH_MAX_CHARS, AuditSearch, criteria_from


def action_choices() -> list[tuple[str, str]]:
    labelled = sorted(((action, str(label)) for action, label in ACTION_LABELS.items()), key=lambda pair: pair[1])
    return [("", str(_l("Any action"))), *labelled]


def object_choices() -> list[tuple[str, str]]:
    labelled = sorted(((kind, str(label)) for kind, label in OBJECT_LABELS.items()), key=lambda pair: pair[1])
    return [("", str(_l("Any kind"))), *labelled]


class AuditSearchForm(FlaskForm):
    class Meta:
        csrf = False

    person = SearchField(
        _l("Person"),
        validators=[Optional(), Length(max=SEARCH_MAX_CHARS)],
        description=_l("Part of a name or an email address: what they did, and what was done to their account."),
    )
    action = SelectField(_l("Action"), choices=action_choices, validators=[Optional()])
    object_type = SelectField(_l("Kind of object"), choices=object_choices, validators=[Optional()])
    object_id = IntegerField(_l("Object number"), validators=[Optional(), NumberRange(min=1, max=LARGEST_ID)])
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("Until"), validators=[Optional()])
    submit = SubmitField(_l("Search"))

    def validate_until(self, field: DateField) -> None:
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError(_l("The end lies before the start."))

    def criteria(self) -> AuditSearch:
        """The search asked for (empty when the form has errors, so that the page still lists everything)."""
        return criteria_from(self.data) if not self.errors else AuditSearch()
