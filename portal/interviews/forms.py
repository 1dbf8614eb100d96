"""The forms of interviews: the invitation with its panel, a slot, the meeting link, working hours, a booking, notes."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from portal.core.timeutil import BERLIN
from portal.interviews.models import MAX_SCORE, MIN_SCORE

NEW_INTERVIEW = 0


def _optional_int(value: object) -> int | None:
    return int(value) if value not in (None, "", "None") else None  # type: ignore[arg-type]


class InviteForm(FlaskForm):
    """Invite an application: to a panel of its round that exists, or to a new panel with proposed slots."""

    interview = SelectField(_l("Interview"), coerce=int)
    panel = SelectMultipleField(
        _l("Panel (for a new interview)"),
        coerce=int,
        validate_choice=False,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    duration = IntegerField(_l("Duration in minutes"), default=45, validators=[Optional(), NumberRange(15, 240)])
    meeting_link = StringField(_l("Meeting link (optional)"), validators=[Optional(), Length(max=500)])
    first_day = DateField(_l("First day of the proposed slots"), validators=[Optional()])
    days = IntegerField(_l("Number of days"), default=5, validators=[Optional(), NumberRange(1, 14)])
    submit = SubmitField(_l("Invite to the interview"))

    def set_choices(self, interviews: list[tuple[int, str]], people: list[tuple[int, str]]) -> InviteForm:
        self.interview.choices = [(NEW_INTERVIEW, str(_l("A new interview with the panel below"))), *interviews]
        self.panel.choices = people
        return self


class SlotForm(FlaskForm):
    """One more time to offer, typed in Berlin time."""

    day = DateField(_l("Day"), validators=[InputRequired()])
    time = TimeField(_l("Time in Berlin"), validators=[InputRequired()])
    add = SubmitField(_l("Offer this time"))

    def starts_at(self) -> dt.datetime:
        return dt.datetime.combine(self.day.data, self.time.data, BERLIN).astimezone(dt.UTC)


class LinkForm(FlaskForm):
    meeting_link = StringField(_l("Meeting link"), validators=[Optional(), Length(max=500)])
    save_link = SubmitField(_l("Save the link"))


class HoursForm(FlaskForm):
    """The round's working hours, local time in every zone."""

    start_hour = IntegerField(_l("Working day starts (hour)"), validators=[InputRequired(), NumberRange(0, 23)])
    end_hour = IntegerField(_l("Working day ends (hour)"), validators=[InputRequired(), NumberRange(1, 24)])
    save_hours = SubmitField(_l("Save the working hours"))


class ChooseSlotForm(FlaskForm):
    """The applicant's choice of a slot (each offered time is a button)."""

    slot = IntegerField(validators=[DataRequired(), NumberRange(1, 2**31 - 1)])


class NoteForm(FlaskForm):
    """A panel member's notes and score."""

    score = RadioField(_l("Score (1 poor to 5 excellent)"), choices=[], coerce=_optional_int, validators=[Optional()])
    notes = TextAreaField(_l("Notes"), validators=[Length(max=10000)])
    save = SubmitField(_l("Save draft"))
    submit = SubmitField(_l("Submit notes and score"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.score.choices = [(n, str(n)) for n in range(MIN_SCORE, MAX_SCORE + 1)]
