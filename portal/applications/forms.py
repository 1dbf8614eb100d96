"""One form per step of the application."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from portal.applications.models import DEGREE_LABELS, LanguageLevel
from portal.applications.steps import ABSTRACT_WORD_LIMIT, count_words
from portal.core.countries import country_choices
from portal.supervisors.models import RESEARCH_FIELD_LABELS

MOTIVATION_WORD_LIMIT = 300
PHONE_PATTERN = r"^\+?[0-9 ()/.\-]{6,30}$"


def with_blank(choices):
    return [("", _l("– please choose –")), *choices]


def country_options():
    return with_blank(country_choices())


def level_options():
    labels = {LanguageLevel.NONE: _l("No knowledge"), LanguageLevel.NATIVE: _l("Native speaker")}
    return with_blank([(level.value, labels.get(level, level.value)) for level in LanguageLevel])


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


class VersionedForm(FlaskForm):
    """Carries the application's version at loading, so that a save from an outdated tab is noticed."""

    version = HiddenField()

    @property
    def expected_version(self) -> int:
        """The version the form was loaded at (every page of the portal sends it).

        A missing or non-numeric version counts as outdated: 0, which no application has (versions start at 1), so
        the services refuse the change as made in another tab instead of skipping the check.
        """
        return int(self.version.data) if str(self.version.data or "").isdigit() else 0


class StepForm(VersionedForm):
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

    def validate_date_of_birth(self, field: DateField) -> None:
        if field.data is None:
            return
        today = dt.date.today()
        age = today.year - field.data.year - ((today.month, today.day) < (field.data.month, field.data.day))
        if not 16 <= age <= 80:
            raise ValidationError(_l("Please check the date of birth."))


class EducationForm(VersionedForm):
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


class SubmitForm(VersionedForm):
    declaration = BooleanField(
        _l("I declare that the information I have given is complete and true, and that the documents are authentic.")
    )
    submit = SubmitField(_l("Submit the application"))


class WithdrawForm(VersionedForm):
    confirm = BooleanField(
        _l("Yes, I want to withdraw my application. This cannot be undone."),
        validators=[DataRequired(message=_l("Please tick the box to confirm."))],
    )
    submit = SubmitField(_l("Withdraw the application"))


class StartForm(FlaskForm):
    submit = SubmitField(_l("Start my application"))
