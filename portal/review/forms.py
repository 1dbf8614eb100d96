"""The committee member's forms: the review, and the declaration of a conflict of interest."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from portal.review.models import CRITERIA, RECOMMENDATION_LABELS, Review
from portal.review.services import COMMENT_MAX_LENGTH, NOTE_MAX_LENGTH


def _int_or_none(value: Any) -> int | None:
    return int(value) if value not in (None, "") else None


def score_options() -> list[tuple[str, Any]]:
    return [
        ("", _l("– not yet scored –")),
        ("1", _l("1 – poor")),
        ("2", _l("2 – fair")),
        ("3", _l("3 – good")),
        ("4", _l("4 – very good")),
        ("5", _l("5 – excellent")),
    ]


def recommendation_options() -> list[tuple[str, Any]]:
    return [(recommendation.value, label) for recommendation, label in RECOMMENDATION_LABELS.items()]


def _score_field(name: str) -> SelectField:
    # Not required here: a draft may leave scores open; the service requires them on submission.
    return SelectField(CRITERIA[name], choices=score_options, coerce=_int_or_none, validate_choice=True)


class ReviewForm(FlaskForm):
    """Scores per criterion, the recommendation and a comment; the version notices saves from another tab."""

    version = HiddenField()
    score_academic = _score_field("score_academic")
    score_proposal = _score_field("score_proposal")
    score_fit = _score_field("score_fit")
    score_language = _score_field("score_language")
    score_references = _score_field("score_references")
    recommendation = RadioField(
        _l("Overall recommendation"), choices=recommendation_options, validators=[Optional()], validate_choice=True
    )
    comment = TextAreaField(
        _l("Comment for the committee"),
        validators=[Length(max=COMMENT_MAX_LENGTH)],
        render_kw={"rows": 6},
        description=_l(
            "Seen by the coordinators and by the other reviewers once they have submitted their own review."
        ),
    )
    note = StringField(
        _l("What did you change? (optional)"),
        validators=[Optional(), Length(max=NOTE_MAX_LENGTH)],
        description=_l("Kept with this revision in the review's history."),
    )
    save_draft = SubmitField(_l("Save draft"))
    submit = SubmitField(_l("Submit review"))
    revise = SubmitField(_l("Save revision"))

    @classmethod
    def for_review(cls, review: Review | None) -> ReviewForm:
        """A form showing the review as saved (an empty one for a review not started), whatever the request sent."""
        form = cls(formdata=None, version=str(review.version if review is not None else 0))
        if review is not None:
            for name in CRITERIA:
                getattr(form, name).data = getattr(review, name)
            form.recommendation.data = review.recommendation.value if review.recommendation else None
            form.comment.data = review.comment
        return form

    @property
    def expected_version(self) -> int | None:
        return int(self.version.data) if str(self.version.data or "").isdigit() else None

    @property
    def submitting(self) -> bool:
        return bool(self.submit.data or self.revise.data)

    def review_data(self) -> dict[str, Any]:
        """What the service needs: the scores, the recommendation, the comment and the revision note."""
        data: dict[str, Any] = {name: getattr(self, name).data for name in CRITERIA}
        data.update(recommendation=self.recommendation.data, comment=self.comment.data, note=self.note.data)
        return data

    def show_errors(self, errors: dict[str, str]) -> None:
        """Put the service's messages next to their fields."""
        for name, message in errors.items():
            target = getattr(self, name, None)
            if target is not None:
                target.errors = [*target.errors, message]


class ConflictForm(FlaskForm):
    """A committee member declares a conflict of interest with an assigned application (after confirming)."""

    note = TextAreaField(
        _l("Reason, in a few words"),
        validators=[DataRequired(message=_l("Please describe the conflict in a few words.")), Length(max=500)],
        render_kw={"rows": 2},
        description=_l("Sent to the coordinators, who will assign another reviewer."),
    )
    confirm = BooleanField(
        _l(
            "I have a conflict of interest with this application. I understand that I will no longer see it, "
            "and that my review of it, if any, will be deleted."
        ),
        validators=[DataRequired(message=_l("Please tick the box to confirm."))],
    )
    declare = SubmitField(_l("Declare a conflict of interest"))
