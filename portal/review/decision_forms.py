"""The coordinator's forms: the ranking's filter (GET), a decision, the release of decisions."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Form,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional

from portal.applications.models import OUTCOME_LABELS
from portal.review.ranking import SORT_LABELS
from portal.supervisors.models import RESEARCH_FIELD_LABELS

NOTE_MAX_CHARS = 5000


def sort_options():
    return [(sort.value, label) for sort, label in SORT_LABELS.items()]


def outcome_options():
    return [(outcome.value, label) for outcome, label in OUTCOME_LABELS.items()]


class RankingFilterForm(Form):
    """The ranking's filters and order, sent by GET so that every view of the ranking has its own address."""

    university = SelectField(_l("University of either supervisor"), choices=[], validate_choice=False)
    field = SelectField(_l("Research field"), choices=[], validate_choice=False)
    sort = SelectField(_l("Order"), choices=sort_options)

    def set_choices(self, universities) -> None:
        self.university.choices = [("", _l("All universities"))] + [(u.code, u.name) for u in universities]
        self.field.choices = [("", _l("All research fields"))] + [
            (value.value, label) for value, label in RESEARCH_FIELD_LABELS.items()
        ]


class DecisionForm(FlaskForm):
    """Record or change the decision on one application."""

    version = HiddenField()
    outcome = RadioField(
        _l("Decision"),
        choices=outcome_options,
        validators=[InputRequired(message=_l("Please choose a decision."))],
    )
    note = TextAreaField(
        _l("Note"),
        validators=[Optional(), Length(max=NOTE_MAX_CHARS)],
        description=_l("For the file: seen by the coordinators and the assigned committee, never by the applicant."),
    )
    confirm_capacity = BooleanField(_l("I know that this exceeds the capacity, and I want to admit the candidate."))
    submit = SubmitField(_l("Save the decision"))

    @property
    def expected_version(self) -> int | None:
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return None


class ReleaseForm(FlaskForm):
    """Choose decisions to release (preview first), then confirm."""

    application_ids = SelectMultipleField(_l("Decisions to release"), coerce=int, validate_choice=False)
    preview_selected = SubmitField(_l("Release the selected decisions …"))
    preview_all = SubmitField(_l("Release all decided …"))
    confirm = SubmitField(_l("Release now and notify the applicants"))
