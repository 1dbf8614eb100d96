"""The form of the mail to a group of applicants: round, recipients, a prepared message or a written one."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from portal.notifications.bulkmail import BODY_MAX, PREPARED, SUBJECT_MAX, Composition
from portal.notifications.recipients import RecipientGroup


def group_options():
    return [(group.value, group.label) for group in RecipientGroup]


def template_options():
    return [("", _l("Write a message"))] + [(key, prepared.label) for key, prepared in PREPARED.items()]


class BulkMailForm(FlaskForm):
    """Preview first; the send button appears with the preview and carries its fingerprint and one-time key."""

    round_id = SelectField(
        _l("Intake round"), coerce=int, choices=[], validators=[InputRequired(message=_l("Please choose a round."))]
    )
    recipients = SelectField(
        _l("Recipients"),
        choices=group_options,
        validators=[InputRequired(message=_l("Please choose who receives the message."))],
    )
    template = SelectField(
        _l("Message"),
        choices=template_options,
        validators=[Optional()],
        description=_l(
            "A prepared message is sent in each applicant's own language; a message you write is sent as written."
        ),
    )
    subject = StringField(_l("Subject"), validators=[Optional(), Length(max=SUBJECT_MAX)])
    body = TextAreaField(
        _l("Text"),
        validators=[Optional(), Length(max=BODY_MAX)],
        description=_l(
            "Placeholders: {name} – the applicant's name, {reference} – the reference number, {deadline} – the "
            "round's application deadline in the applicant's time zone and language. Write {{ or }} for a brace."
        ),
        render_kw={"rows": 12},
    )
    fingerprint = HiddenField()
    nonce = HiddenField()
    preview = SubmitField(_l("Preview"))
    send = SubmitField(_l("Send now"))

    def set_rounds(self, rounds) -> None:
        self.round_id.choices = [(intake.id, intake.name) for intake in rounds]

    def composition(self, intake) -> Composition:
        """The service's view of the form (raises BulkMailError for a field)."""
        return Composition.build(
            intake, self.recipients.data or "", self.template.data or "", self.subject.data or "", self.body.data or ""
        )
