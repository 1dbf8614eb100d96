"""Forms of the coordinator's assignment page."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectField, SubmitField
from wtforms.validators import DataRequired, InputRequired, NumberRange, Regexp

PAIRS_PATTERN = r"^(\d+:\d+)(,\d+:\d+)*$"


class AddReviewerForm(FlaskForm):
    application_id = HiddenField(validators=[DataRequired()])
    reviewer_id = SelectField(_l("Add a reviewer"), coerce=int, validate_choice=False)
    submit = SubmitField(_l("Assign"))


class ProposeForm(FlaskForm):
    """Asks for a proposal (a GET form: computing changes nothing)."""

    class Meta:
        csrf = False

    per_application = IntegerField(
        _l("Reviewers per application"), default=2, validators=[InputRequired(), NumberRange(min=1, max=5)]
    )
    submit = SubmitField(_l("Propose an assignment"))


class SaveProposalForm(FlaskForm):
    pairs = HiddenField(validators=[DataRequired(), Regexp(PAIRS_PATTERN)])
    submit = SubmitField(_l("Save this assignment"))

    @property
    def pair_list(self) -> list[tuple[int, int]]:
        return [tuple(int(n) for n in pair.split(":")) for pair in re.findall(r"\d+:\d+", self.pairs.data or "")]


class RemoveForm(FlaskForm):
    submit = SubmitField(_l("Remove"))
