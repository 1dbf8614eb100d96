"""The coordinators' form for a round's rubric: for every score of every criterion, the words in three languages.

The form is versioned like the rubric (version 0: the round still uses the default rubric)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SubmitField, TextAreaField
from wtforms.validators import Length

from portal.core.i18n import LANGUAGE_NAMES
from portal.core.versions import VersionedForm
from portal.review.models import CRITERIA, RUBRIC_LANGUAGES, RUBRIC_TEXT_MAX
from portal.review.rubric import SCORES, RubricTexts, field_name


class RubricForm(VersionedForm):
    """The round's rubric: English is required, German and Chinese show the English words where left empty."""

    submit = SubmitField(_l("Save the rubric"))

    @classmethod
    def showing(cls, version: int, texts: RubricTexts) -> RubricForm:
        """A form showing the rubric's texts at its version, whatever the request sent."""
        form = cls(formdata=None)
        form.version.data = str(version)
        for key, text in texts.items():
            form[field_name(*key)].data = text
        return form

    def texts(self) -> RubricTexts:
        """Every text as sent, by (criterion, score, language)."""
        return {
            (criterion, score, language): self[field_name(criterion, score, language)].data or ""
            for criterion in CRITERIA
            for score in SCORES
            for language in RUBRIC_LANGUAGES
        }


def _text_field(criterion: str, score: int, language: str) -> TextAreaField:
    label = _l(
        "%(criterion)s, score %(score)d, %(language)s",
        criterion=CRITERIA[criterion],
        score=score,
        language=LANGUAGE_NAMES[language],
    )
    return TextAreaField(label, validators=[Length(max=RUBRIC_TEXT_MAX)], render_kw={"rows": 2, "lang": language})


for _criterion in CRITERIA:
    for _score in SCORES:
        for _language in RUBRIC_LANGUAGES:
            setattr(RubricForm, field_name(_criterion, _score, _language), _text_field(_criterion, _score, _language))
