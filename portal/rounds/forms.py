"""Forms of the intake round pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateTimeLocalField, IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from portal.rounds.services import DATE_FIELDS, MAX_REVIEWS_REQUIRED, ROUND_ZONES, RoundInput, to_local

# The first format is the one browsers expect in a datetime-local input; the others are accepted when typed.
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]
DATETIME_HELP = _l("Date and time, e.g. 2027-03-31 23:59.")
NOT_A_DATETIME = _l("Please enter a date and time like 2027-03-31 23:59.")


def zone_choices() -> list[tuple[str, str]]:
    return [(zone, str(label)) for zone, label in ROUND_ZONES.items()]


def _datetime_field(label, *, required: bool) -> DateTimeLocalField:
    validators = [InputRequired(message=_l("Please enter a date and time."))] if required else [Optional()]
    return DateTimeLocalField(label, format=DATETIME_FORMATS, validators=validators, description=DATETIME_HELP)


class RoundForm(FlaskForm):
    name = StringField(
        _l("Name of the round"),
        validators=[DataRequired(), Length(max=100)],
        description=_l("For example: Intake 2027."),
    )
    zone = SelectField(
        _l("The times below are in"),
        choices=zone_choices,
        default="Europe/Berlin",
        description=_l(
            "The times are read in the zone chosen here and shown afterwards in Berlin and in Shanghai time. "
            "Changing the zone does not convert times already typed."
        ),
    )
    opens_at = _datetime_field(_l("Applications open"), required=True)
    closes_at = _datetime_field(_l("Application deadline"), required=True)
    referees_due = _datetime_field(_l("Referees' deadline"), required=False)
    reviews_due = _datetime_field(_l("Review deadline"), required=False)
    decisions_on = _datetime_field(_l("Decision date"), required=False)
    same_university_conflict = BooleanField(
        _l("A committee member at the university of a chosen supervisor has a conflict of interest"),
        default=True,
        description=_l(
            "Recommended. Such members are then neither proposed nor assigned for the application, and do not see it."
        ),
    )
    reviews_required = IntegerField(
        _l("Reviews required before a decision"),
        default=2,
        validators=[
            InputRequired(message=_l("Please give a number from 0 to %(max)d.", max=MAX_REVIEWS_REQUIRED)),
            NumberRange(min=0, max=MAX_REVIEWS_REQUIRED),
        ],
        description=_l("A decision on an application with fewer submitted reviews asks for a confirmation."),
    )
    confirm_close = BooleanField(_l("Yes, close the round for good."))
    submit = SubmitField(_l("Save the round"))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        # WTForms' own parse error does not say which format it expects.
        for field in (self.opens_at, self.closes_at, self.referees_due, self.reviews_due, self.decisions_on):
            if field.raw_data and field.raw_data[0].strip() and field.data is None:
                field.errors = [str(NOT_A_DATETIME)]
        return valid

    def load(self, intake, zone: str) -> None:
        """Show a saved round, its times in zone."""
        self.zone.data = zone
        self.name.data = intake.name
        for field in DATE_FIELDS:
            getattr(self, field).data = to_local(getattr(intake, field), zone)
        self.same_university_conflict.data = intake.same_university_conflict
        self.reviews_required.data = intake.reviews_required

    def round_input(self) -> RoundInput:
        """What the service needs: the name and the wall-clock times in the chosen zone."""
        return RoundInput(
            name=self.name.data or "",
            zone=self.zone.data,
            opens_at=self.opens_at.data,
            closes_at=self.closes_at.data,
            referees_due=self.referees_due.data,
            reviews_due=self.reviews_due.data,
            decisions_on=self.decisions_on.data,
            same_university_conflict=bool(self.same_university_conflict.data),
            reviews_required=self.reviews_required.data,
            confirm_close=bool(self.confirm_close.data),
        )


class RoundActionForm(FlaskForm):
    """The buttons that open or close a round at once (CSRF only)."""

    submit = SubmitField(_l("Confirm"))
