"""The forms of the application's pages: one per step, the degrees, documents and referees, submit and withdraw."""

from __future__ import annotations

import datetime as dt
from typing import Any, Self

from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from portal.applications import invitations
from portal.applications.consent import consent_current
from portal.applications.models import DEGREE_LABELS, RELATION_LABELS, Application, LanguageLevel
from portal.applications.services import SupervisorChoices
from portal.applications.steps import ABSTRACT_WORD_LIMIT, count_words
from portal.core.countries import country_choices
from portal.core.i18n import LANGUAGE_NAMES
from portal.core.kept_posts import take_kept_post
from portal.core.versions import VersionedForm
from portal.supervisors.models import RESEARCH_FIELD_LABELS

MOTIVATION_WORD_LIMIT = 300
PHONE_PATTERN = r"^\+?[0-9 ()/.\-]{6,30}$"


def with_blank(choices):
    return [("", _l("– please choose –")), *choices]


def country_options():
    return with_blank(country_choices())


def level_options():
    return with_blank([(level.value, level.label) for level in LanguageLevel])


def hsk_options():
    return [("", _l("No HSK certificate"))] + [(str(n), f"HSK {n}") for n in range(1, 10)]


def field_options():
    return with_blank([(field.value, label) for field, label in RESEARCH_FIELD_LABELS.items()])


def degree_options():
    return with_blank([(level.value, label) for level, label in DEGREE_LABELS.items()])


def _empty_to_none(value):
    return value or None


def _int_or_none(value):
    return int(value) if value not in (None, "") else None


class WordLimit:
    """Refuse text with more words than the limit (the browser counts too, but the server decides)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit

    def __call__(self, form, field) -> None:
        words = count_words(field.data or "")
        if words > self.limit:
            raise ValidationError(
                _l("Please shorten the text to at most %(limit)d words (now %(words)d).", limit=self.limit, words=words)
            )


class ApplicationForm(VersionedForm):
    """A form about one application: it carries the version the application had when the page was loaded."""

    @classmethod
    def for_page(cls, application: Application, **kwargs: Any) -> Self:
        """On a GET the form shows the application as saved, with its version, or once what a refused post to this page
        kept (portal/core/kept_posts.py); on a POST it holds what was sent."""
        if request.method != "GET":
            return cls(**kwargs)
        kept = take_kept_post(request.path)
        if kept is not None:
            return cls(formdata=kept, **kwargs)
        form = cls(obj=application, **kwargs)
        form.show(application)
        return form

    @classmethod
    def blank(cls, application: Application, **kwargs: Any) -> Self:
        """An empty form at the application's current version (beside another form of the page that was sent)."""
        form = cls(formdata=None, **kwargs)
        form.load_version(application)
        return form

    def show(self, application: Application) -> None:
        """Fill in, for a GET, what the application's same-named attributes do not give."""
        self.load_version(application)


class StepForm(ApplicationForm):
    """A step of the application: saved as a draft."""

    save = SubmitField(_l("Save"))
    save_continue = SubmitField(_l("Save and continue"))


class PersonalForm(StepForm):
    family_name = StringField(
        _l("Family name"),
        validators=[Length(max=100)],
        description=_l("In Latin letters, as in your passport (pinyin for Chinese names)."),
    )
    given_names = StringField(
        _l("Given names"), validators=[Length(max=100)], description=_l("In Latin letters, as in your passport.")
    )
    native_name = StringField(
        _l("Name in native script"),
        validators=[Optional(), Length(max=100)],
        description=_l("Optional, for example in Chinese characters."),
    )
    date_of_birth = DateField(_l("Date of birth"), validators=[Optional()], description=_l("YYYY-MM-DD"))
    nationality = SelectField(_l("Nationality"), choices=country_options, validate_choice=True)
    address = TextAreaField(_l("Contact address"), validators=[Length(max=1000)], render_kw={"rows": 3})
    phone = StringField(
        _l("Phone number"),
        validators=[
            Optional(),
            Regexp(
                PHONE_PATTERN,
                message=_l(
                    "Please enter a phone number with country code, for example +49 5323 72 0 or +86 28 8540 1234."
                ),
            ),
        ],
        description=_l("With country code."),
    )
    privacy_consent = BooleanField(
        _l("I have read the privacy notice and agree that my data is processed for the admission procedure.")
    )
    transfer_consent = BooleanField(
        _l(
            "I agree that my application is passed to the partner universities in "
            "Germany and China that take part in the selection."
        )
    )

    def show(self, application: Application) -> None:
        super().show(application)
        # A consent to an older version of the notice is no consent: the box waits to be ticked again.
        self.privacy_consent.data = consent_current(application, "privacy_consent_at", "privacy_consent_version")
        self.transfer_consent.data = consent_current(application, "transfer_consent_at", "transfer_consent_version")

    def validate_date_of_birth(self, field: DateField) -> None:
        if field.data is None:
            return
        today = dt.date.today()
        age = today.year - field.data.year - ((today.month, today.day) < (field.data.month, field.data.day))
        if not 16 <= age <= 80:
            raise ValidationError(_l("Please check the date of birth."))


class EducationForm(ApplicationForm):
    level = SelectField(_l("Level"), choices=degree_options, validators=[DataRequired()])
    degree = StringField(
        _l("Degree"), validators=[DataRequired(), Length(max=200)], description=_l("For example: Master of Engineering")
    )
    subject = StringField(_l("Subject"), validators=[DataRequired(), Length(max=200)])
    institution = StringField(_l("University"), validators=[DataRequired(), Length(max=200)])
    country = SelectField(_l("Country"), choices=country_options, validators=[DataRequired()])
    year = IntegerField(
        _l("Year of the degree"),
        validators=[InputRequired(), NumberRange(min=1950, max=2100)],
        description=_l("Expected year, if you have not finished yet."),
    )
    grade = StringField(_l("Grade"), validators=[DataRequired(), Length(max=40)])
    grading_scale = StringField(
        _l("Grading scale"),
        validators=[DataRequired(), Length(max=100)],
        description=_l("For example: 1.0 (best) to 4.0 (pass), or 100 (best) to 60 (pass)."),
    )
    add = SubmitField(_l("Add this degree"))


class LanguagesForm(StepForm):
    english_level = SelectField(_l("English"), choices=level_options, coerce=_empty_to_none)
    english_certificate = StringField(
        _l("English certificate"),
        validators=[Length(max=200)],
        description=_l("For example: IELTS 7.0 (2025), TOEFL iBT 100"),
    )
    german_level = SelectField(_l("German"), choices=level_options, coerce=_empty_to_none)
    german_certificate = StringField(
        _l("German certificate"),
        validators=[Length(max=200)],
        description=_l("For example: TestDaF 4x4, Goethe-Zertifikat B2"),
    )
    chinese_level = SelectField(_l("Chinese"), choices=level_options, coerce=_empty_to_none)
    chinese_hsk = SelectField(_l("HSK level"), choices=hsk_options, coerce=_int_or_none)
    chinese_certificate = StringField(_l("Chinese certificate"), validators=[Length(max=200)])


class ProposalForm(StepForm):
    proposal_title = StringField(_l("Title of the research project"), validators=[Length(max=300)])
    research_field = SelectField(_l("Research field"), choices=field_options, coerce=_empty_to_none)
    abstract = TextAreaField(
        _l("Abstract"),
        validators=[WordLimit(ABSTRACT_WORD_LIMIT)],
        description=_l("At most %(limit)d words.", limit=ABSTRACT_WORD_LIMIT),
        render_kw={"rows": 10, "data-word-limit": ABSTRACT_WORD_LIMIT},
    )
    keywords = StringField(_l("Keywords"), validators=[Length(max=300)], description=_l("Separated by commas."))


class SupervisorsForm(StepForm):
    search = SubmitField(_l("Filter"))

    german_supervisor = SelectField(
        _l("German supervisor"), coerce=lambda v: int(v) if v else None, validate_choice=False
    )
    chinese_supervisor = SelectField(
        _l("Chinese supervisor"), coerce=lambda v: int(v) if v else None, validate_choice=False
    )
    supervisor_motivation = TextAreaField(
        _l("Why these two supervisors?"),
        validators=[WordLimit(MOTIVATION_WORD_LIMIT)],
        description=_l("At most %(limit)d words.", limit=MOTIVATION_WORD_LIMIT),
        render_kw={"rows": 5, "data-word-limit": MOTIVATION_WORD_LIMIT},
    )

    def show(self, application: Application) -> None:
        super().show(application)
        self.german_supervisor.data = application.german_supervisor_id
        self.chinese_supervisor.data = application.chinese_supervisor_id

    def offer(self, choices: SupervisorChoices) -> None:
        """Offer the supervisors who can be chosen on each side."""
        self.german_supervisor.choices = with_blank(choices.german)
        self.chinese_supervisor.choices = with_blank(choices.chinese)

    def choice(self) -> dict[str, Any]:
        """The choice as `services.choose_supervisors` takes it."""
        return {
            "german_id": self.german_supervisor.data,
            "chinese_id": self.chinese_supervisor.data,
            "motivation": self.supervisor_motivation.data,
        }


class SubmitForm(ApplicationForm):
    declaration = BooleanField(
        _l("I declare that the information I have given is complete and true, and that the documents are authentic.")
    )
    submit = SubmitField(_l("Submit the application"))


class WithdrawForm(ApplicationForm):
    confirm = BooleanField(
        _l("Yes, I want to withdraw my application. This cannot be undone."),
        validators=[DataRequired(message=_l("Please tick the box to confirm."))],
    )
    submit = SubmitField(_l("Withdraw the application"))


class StartForm(FlaskForm):
    submit = SubmitField(_l("Start my application"))


# --- Step 6: documents ------------------------------------------------------------------------------------------------


class UploadForm(ApplicationForm):
    """One slot's form on the documents step: its kind travels hidden, the slot's file input sends the file."""

    kind = HiddenField(validators=[DataRequired(message=_l("Please choose what kind of document this is."))])
    file = FileField(
        _l("PDF file"),
        validators=[FileRequired(message=_l("Please choose a file to upload."))],
        render_kw={"accept": "application/pdf,.pdf"},
    )
    upload = SubmitField(_l("Upload"))

    def upload_arguments(self) -> dict[str, Any]:
        """The chosen kind and file as `documents.upload_document` takes them."""
        upload = self.file.data
        return {"kind": self.kind.data, "filename": upload.filename or "", "stream": upload.stream}


# --- Step 7: referees -------------------------------------------------------------------------------------------------


def relation_options():
    return with_blank(list(RELATION_LABELS.items()))


def _too_long(limit: int):
    return Length(max=limit, message=_l("Please use at most %(limit)d characters.", limit=limit))


class RefereeEntryForm(Form):
    """One referee; every field may stay blank in a draft, but a started entry must be complete."""

    name = StringField(
        _l("Name"),
        validators=[_too_long(invitations.MAX_LENGTHS["name"])],
        description=_l("With academic title, for example: Prof. Dr. Li Hua"),
    )
    email = StringField(
        _l("Email address"),
        validators=[_too_long(invitations.MAX_LENGTHS["email"])],
        description=_l("Preferably the address at the referee's institution."),
        render_kw={"inputmode": "email", "autocomplete": "off"},
    )
    institution = StringField(_l("Institution"), validators=[_too_long(invitations.MAX_LENGTHS["institution"])])
    relation = SelectField(_l("How does this referee know you?"), choices=relation_options, validate_choice=False)
    language = SelectField(
        _l("Language of the emails to this referee"),
        choices=lambda: list(LANGUAGE_NAMES.items()),
        validate_choice=False,
    )


class RefereesForm(StepForm):
    referee1 = FormField(RefereeEntryForm, label=_l("First referee"))
    referee2 = FormField(RefereeEntryForm, label=_l("Second referee"))

    def entry(self, position: int) -> FormField:
        return self[f"referee{position}"]

    def __getattr__(self, name: str) -> Any:
        # A referee's field by its full name (referee1-email), so that a refusal naming it is shown next to it.
        entry, _separator, field = name.partition("-")
        if field and entry in {"referee1", "referee2"} and field in self[entry].form:
            return self[entry].form[field]
        raise AttributeError(name)

    def show(self, application: Application) -> None:
        super().show(application)
        for position in invitations.POSITIONS:
            referee = invitations.referee_at(application, position)
            if referee is not None:
                self.entry(position).form.process(obj=referee)
            else:  # a new referee is written to in the applicant's language unless they choose another
                self.entry(position).form.language.data = application.applicant.language

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for position in invitations.POSITIONS:
            fields = [f for f in self.entry(position).form if f.short_name in invitations.REFEREE_FIELDS]
            if any((f.data or "").strip() for f in fields):
                for f in fields:
                    if not (f.data or "").strip() and not f.errors:
                        f.errors.append(_("Please fill in this field."))
                        valid = False
        return valid

    def entries(self) -> dict[int, dict]:
        return {position: dict(self.entry(position).data) for position in invitations.POSITIONS}


class InviteForm(ApplicationForm):
    """The button that sends a referee's invitation (again); sent from the referees step at its version."""
