"""Forms of the offers: the applicant's answer and ticks, the coordinators' settings and offer to the next."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import Length, Optional, ValidationError

from portal.core.ids import parse_id
from portal.core.versions import VersionedForm
from portal.offers.checklist import TEXT_MAX, ItemInput
from portal.offers.services import REASON_MAX
from portal.rounds.forms import zone_choices
from portal.rounds.services import ROUND_ZONES, to_local, to_utc

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
EMPTY_ROWS = 3  # new steps the settings page offers at once


class AnswerForm(VersionedForm):
    reason = TextAreaField(
        _l("Reason (optional)"),
        validators=[Optional(), Length(max=REASON_MAX)],
        description=_l("If you like, tell us why you decline. Only the coordination office reads it."),
    )
    accept = SubmitField(_l("Accept the place"))
    decline = SubmitField(_l("Decline the place"))


class TickForm(FlaskForm):
    done = SelectMultipleField(_l("Done"), coerce=int, validate_choice=False)
    save = SubmitField(_l("Save my progress"))


class _Deadline:
    """A deadline typed as wall-clock time in a chosen zone."""

    zone = SelectField(_l("The time is in"), choices=zone_choices, default="Europe/Berlin")

    def deadline_utc(self):
        """The deadline in UTC; None when empty or the time does not exist in the zone (clocks going forward)."""
        if self.deadline.data is None or self.zone.data not in ROUND_ZONES:
            return None
        return to_utc(self.deadline.data, self.zone.data)

    def validate_deadline(self, field) -> None:
        if field.data is not None and self.deadline_utc() is None:
            raise ValidationError(_l("This time does not exist in the chosen zone (the clocks go forward then)."))

    def load_deadline(self, moment, zone: str = "Europe/Berlin") -> None:
        self.zone.data = zone
        self.deadline.data = to_local(moment, zone)


class ItemForm(Form):
    item_id = HiddenField()
    en = StringField(_l("English"), validators=[Optional(), Length(max=TEXT_MAX)])
    de = StringField(_l("German"), validators=[Optional(), Length(max=TEXT_MAX)])
    zh = StringField(_l("Chinese"), validators=[Optional(), Length(max=TEXT_MAX)])


class SettingsForm(_Deadline, VersionedForm):
    deadline = DateTimeLocalField(
        _l("Answer deadline"),
        format=DATETIME_FORMATS,
        validators=[Optional()],
        description=_l(
            "Admitted applicants accept or decline their place until then. Without a deadline they have 14 days "
            "from the release. Changing it moves the deadline of every unanswered offer made at the release."
        ),
    )
    items = FieldList(FormField(ItemForm), min_entries=0)
    submit = SubmitField(_l("Save the settings"))

    def load_items(self, items) -> None:
        for item in items:
            texts = {"de": item.text_de, "en": item.text_en, "zh": item.text_zh}
            self.items.append_entry({"item_id": str(item.id), **texts})
        for _index in range(EMPTY_ROWS):
            self.items.append_entry({})

    def item_inputs(self) -> list[ItemInput]:
        return [
            ItemInput(parse_id(entry.item_id.data), entry.de.data or "", entry.en.data or "", entry.zh.data or "")
            for entry in self.items
        ]


class OfferNextForm(_Deadline, FlaskForm):
    application_id = HiddenField()
    deadline = DateTimeLocalField(_l("Answer deadline"), format=DATETIME_FORMATS, validators=[Optional()])
    confirm_capacity = BooleanField(_l("Offer the place even beyond a supervisor's capacity"))
    submit = SubmitField(_l("Offer the place"))
