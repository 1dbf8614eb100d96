"""The chosen supervisor's statement form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length

from portal.review.models import ANSWER_LABELS

TEXT_LIMIT = 5000


def answer_options():
    return [(answer.value, label) for answer, label in ANSWER_LABELS.items()]


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
