"""The form of the mail to a group of applicants: round, recipients, a prepared message or a written one."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from portal.notifications.bulkmail import BODY_MAX, PREPARED, SUBJECT_MAX, TEXT_LANGUAGES, Composition
from portal.notifications.recipients import RecipientGroup
from portal.reporting.lists import ListFilter

# The applications list's filter arguments a link from the list carries to the mail page.
LIST_FILTER_ARGS = ("state", "university", "field", "nationality", "decision", "q")
LANGUAGE_NAMES = {"en": _l("English"), "de": _l("German"), "zh": _l("Chinese")}


def list_filter_arg(args) -> str:
    """The list's filter from a GET's arguments, kept as one query string in a hidden field."""
    return urlencode([(key, args.get(key)) for key in LIST_FILTER_ARGS if args.get(key)])


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
        _l("Text (for every language without its own text below)"),
        validators=[Optional(), Length(max=BODY_MAX)],
        description=_l(
            "Placeholders: {name} – the applicant's name, {reference} – the reference number, {deadline} – the "
            "round's application deadline in the applicant's time zone and language. Write {{ or }} for a brace."
        ),
        render_kw={"rows": 12},
    )
    subject_en = StringField(_l("Subject in English"), validators=[Optional(), Length(max=SUBJECT_MAX)])
    body_en = TextAreaField(_l("Text in English"), validators=[Optional(), Length(max=BODY_MAX)], render_kw={"rows": 6})
    subject_de = StringField(_l("Subject in German"), validators=[Optional(), Length(max=SUBJECT_MAX)])
    body_de = TextAreaField(_l("Text in German"), validators=[Optional(), Length(max=BODY_MAX)], render_kw={"rows": 6})
    subject_zh = StringField(_l("Subject in Chinese"), validators=[Optional(), Length(max=SUBJECT_MAX)])
    body_zh = TextAreaField(_l("Text in Chinese"), validators=[Optional(), Length(max=BODY_MAX)], render_kw={"rows": 6})
    list_filter = HiddenField()
    fingerprint = HiddenField()
    nonce = HiddenField()
    preview = SubmitField(_l("Preview"))
    send = SubmitField(_l("Send now"))

    def set_rounds(self, rounds) -> None:
        self.round_id.choices = [(intake.id, intake.name) for intake in rounds]

    def language_fields(self) -> list[tuple[str, object, object]]:
        """(language name, subject field, body field) of the optional texts per language."""
        return [(LANGUAGE_NAMES[lang], self[f"subject_{lang}"], self[f"body_{lang}"]) for lang in TEXT_LANGUAGES]

    def list_filters(self, round_id: int) -> ListFilter:
        return ListFilter.from_args(MultiDict(parse_qsl(self.list_filter.data or "")), round_id)

    def composition(self, intake) -> Composition:
        """The service's view of the form (raises BulkMailError for a field)."""
        texts = {lang: (self[f"subject_{lang}"].data, self[f"body_{lang}"].data) for lang in TEXT_LANGUAGES}
        return Composition.build(
            intake,
            self.recipients.data or "",
            self.template.data or "",
            self.subject.data or "",
            self.body.data or "",
            texts,
            self.list_filters(intake.id),
        )
