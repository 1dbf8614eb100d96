"""The chosen supervisor's statement form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, RadioField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange

from portal.review.models import ANSWER_LABELS
from portal.supervisors.services import MAX_CAPACITY

TEXT_LIMIT = 5000


def answer_options():
    return [(answer.value, label) for answer, label in ANSWER_LABELS.items()]


class AvailabilityForm(FlaskForm):
    """A supervisor's own availability in the directory."""

    accepting = BooleanField(_l("I am taking new doctoral candidates"))
    capacity = IntegerField(
        _l("How many new candidates I can take per intake round"),
        validators=[InputRequired(), NumberRange(min=0, max=MAX_CAPACITY)],
    )
    save_availability = SubmitField(_l("Save my availability"))


class StatementForm(FlaskForm):
    answer = RadioField(
        _l("Will you supervise this candidate?"),
        choices=answer_options,
        validators=[InputRequired(message=_l("Please choose your answer."))],
    )
    conditions = TextAreaField(
        _l("Your conditions"),
        validators=[Length(max=TEXT_LIMIT)],
        description=_l("Required if you are willing under conditions, for example a change to the research plan."),
        render_kw={"rows": 3},
    )
    comment = TextAreaField(
        _l("Comment for the selection committee"),
        validators=[Length(max=TEXT_LIMIT)],
        description=_l("Optional. The committee and the coordinators read it; your co-supervisor once both answered."),
        render_kw={"rows": 4},
    )
    submit = SubmitField(_l("Record my statement"))
