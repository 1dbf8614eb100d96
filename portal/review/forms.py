"""The review domain's forms: the committee member's review and conflict, the coordinator's assignments, ranking
filter, decision and release, the supervisor's statement and availability.

The review, the decision and the statement edit versioned records (`VersionedForm`): a form posted without its
version, or with an old one, is refused by the service as stale.
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import (
    BooleanField,
    Form,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import HiddenInput

from portal.applications.models import OUTCOME_LABELS
from portal.core.ids import coerce_id, parse_id
from portal.core.versions import VersionedForm
from portal.review.models import (
    ANSWER_LABELS,
    CRITERIA,
    RECOMMENDATION_LABELS,
    SUGGESTED_RECOMMENDATIONS,
    Review,
    SupervisorStatement,
)
from portal.review.proposal_rules import EditedProposal
from portal.review.ranking import SORT_LABELS
from portal.review.rubric import RubricWords
from portal.review.services import COMMENT_MAX_LENGTH, NOTE_MAX_LENGTH
from portal.supervisors.models import RESEARCH_FIELD_LABELS, SupervisorProfile
from portal.supervisors.services import MAX_CAPACITY

TEXT_LIMIT = 5000  # a statement's conditions and comment, a decision's note

# --- The committee member's review and conflict ---------------------------------------------------------------------


def _score(value: Any) -> int | None:
    """A score as sent: None when empty, 0 (outside the rubric, refused by the service) when not a whole number."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    return int(text) if text.isdigit() else 0


def recommendation_options() -> list[tuple[str, Any]]:
    return [(recommendation.value, label) for recommendation, label in RECOMMENDATION_LABELS.items()]


def _score_field(name: str) -> RadioField:
    # Not required here: a draft may leave scores open; the service requires them on submission and checks the range.
    # The choices are the round's rubric (ReviewForm.use_rubric).
    return RadioField(CRITERIA[name], choices=[], coerce=_score, validate_choice=False)


def rubric_label(score: int, words: str) -> Markup:
    """A score's radio label: the number, then what it means in the round's rubric."""
    return Markup('<span class="rubric-score">{}</span> {}').format(score, words)


class ReviewForm(VersionedForm):
    """Scores per criterion (radio buttons worded by the round's rubric), the recommendation and a comment; version 0
    is a review not started yet."""

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
        render_kw={"rows": 4},
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
    submit_next = SubmitField(_l("Submit and next"))
    revise = SubmitField(_l("Save revision"))

    @classmethod
    def for_review(cls, review: Review | None, words: RubricWords) -> ReviewForm:
        """A form showing the review as saved (an empty one for a review not started), whatever the request sent."""
        form = cls(formdata=None).use_rubric(words)
        form.load_version(review)
        if review is not None:
            for name in CRITERIA:
                getattr(form, name).data = getattr(review, name)
            form.recommendation.data = review.recommendation.value if review.recommendation else None
            form.comment.data = review.comment
        return form

    def use_rubric(self, words: RubricWords) -> ReviewForm:
        """Word each criterion's scores as the round's rubric does."""
        for name in CRITERIA:
            getattr(self, name).choices = [(score, rubric_label(score, text)) for score, text in words[name].items()]
        return self

    @property
    def submitting(self) -> bool:
        return bool(self.submit.data or self.submit_next.data or self.revise.data)

    @property
    def suggestions(self) -> str:
        """For static/js/review.js: from which mean score each recommendation is suggested, "4.5:strongly_admit;…"."""
        return ";".join(f"{limit}:{recommendation.value}" for limit, recommendation in SUGGESTED_RECOMMENDATIONS)

    @property
    def wants_next(self) -> bool:
        """Submitted with "Submit and next": the next open review opens."""
        return bool(self.submit_next.data)

    def review_data(self) -> dict[str, Any]:
        """What the service needs: the scores, the recommendation, the comment and the revision note."""
        data: dict[str, Any] = {name: getattr(self, name).data for name in CRITERIA}
        data.update(recommendation=self.recommendation.data, comment=self.comment.data, note=self.note.data)
        return data


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


# --- The coordinator's assignments ----------------------------------------------------------------------------------

PAIR_PATTERN = re.compile(r"\d{1,9}:\d{1,9}")  # "application id:reviewer id", ids within the databases' range


class AddReviewerForm(FlaskForm):
    application_id = HiddenField(validators=[DataRequired()])
    reviewer_id = SelectField(_l("Add a reviewer"), coerce=coerce_id, validate_choice=False)
    submit = SubmitField(_l("Assign"))

    @property
    def chosen_application_id(self) -> int | None:
        return parse_id(self.application_id.data)


class ProposeForm(FlaskForm):
    """Asks for a proposal (a GET form: computing changes nothing)."""

    class Meta:
        csrf = False

    per_application = IntegerField(
        _l("Reviewers per application"), default=2, validators=[InputRequired(), NumberRange(min=1, max=5)]
    )
    submit = SubmitField(_l("Propose an assignment"))


def _is_pair(value: object) -> bool:
    """An "application id:member id" pair whose ids both fit the database."""
    text = str(value)
    return bool(PAIR_PATTERN.fullmatch(text)) and all(parse_id(number) is not None for number in text.split(":"))


class SaveProposalForm(FlaskForm):
    """The proposal as the coordinator saves it: one "application id:reviewer id" per row (each row a choice of
    member), what it was computed from, and the confirmation that an uneven proposal is meant."""

    pair = SelectMultipleField(choices=[], validate_choice=False, validators=[DataRequired()])
    per_application = IntegerField(widget=HiddenInput(), validators=[InputRequired(), NumberRange(min=1, max=5)])
    basis = HiddenField(validators=[DataRequired(), Length(max=64)])
    balance_confirmed = BooleanField(_l("Save it anyway: I have checked the loads and the German and Chinese sides"))
    submit = SubmitField(_l("Save this assignment"))

    @classmethod
    def for_proposal(cls, proposal) -> SaveProposalForm:
        return cls(formdata=None, per_application=proposal.per_application, basis=proposal.basis)

    def validate_pair(self, field) -> None:
        if not all(_is_pair(value) for value in field.data or []):
            raise ValidationError(str(_l("The proposal could not be read. Please compute it again.")))

    def edited(self) -> EditedProposal:
        """What the service checks and saves."""
        pairs = [(int(a), int(b)) for a, b in (value.split(":") for value in self.pair.data)]
        return EditedProposal(pairs, self.per_application.data, self.basis.data, bool(self.balance_confirmed.data))


class RemoveForm(FlaskForm):
    submit = SubmitField(_l("Remove"))


# --- The coordinator's ranking (decisions and release: decision_forms.py) ---------------------------------------------


def sort_options():
    return [(sort.value, label) for sort, label in SORT_LABELS.items()]


def outcome_options():
    return [(outcome.value, label) for outcome, label in OUTCOME_LABELS.items()]


class RankingFilterForm(Form):
    """The ranking's filters and order, sent by GET so that every view of the ranking has its own address."""

    university = SelectField(_l("University of either supervisor"), choices=[], validate_choice=False)
    field = SelectField(_l("Research field"), choices=[], validate_choice=False)
    sort = SelectField(_l("Order"), choices=sort_options)

    def set_choices(self, universities: list[tuple[str, str]]) -> None:
        """Fill the choices; universities as (code, name) pairs (supervisors.services.university_choices)."""
        self.university.choices = [("", _l("All universities")), *universities]
        self.field.choices = [("", _l("All research fields"))] + [
            (value.value, label) for value, label in RESEARCH_FIELD_LABELS.items()
        ]


# --- The chosen supervisor's statement and availability -------------------------------------------------------------


def answer_options():
    return [(answer.value, label) for answer, label in ANSWER_LABELS.items()]


class AvailabilityForm(FlaskForm):
    """A supervisor's own availability in the directory."""

    accepting = BooleanField(_l("I am taking new doctoral candidates"))
    capacity = IntegerField(
        _l("How many new candidates I can take per intake round"),
        validators=[InputRequired(), NumberRange(min=0, max=MAX_CAPACITY)],
    )
    save_availability = SubmitField(_l("Save my availability"))

    @classmethod
    def for_profile(cls, profile: SupervisorProfile) -> AvailabilityForm:
        return cls(accepting=profile.accepting_candidates, capacity=profile.capacity)


class StatementForm(VersionedForm):
    """The chosen supervisor's statement; version 0 is a statement not written yet."""

    answer = RadioField(
        _l("Will you supervise this candidate?"),
        choices=answer_options,
        validators=[InputRequired(message=_l("Please choose your answer."))],
    )
    conditions = TextAreaField(
        _l("Your conditions"),
        validators=[Length(max=TEXT_LIMIT)],
        description=_l("Required if you are willing under conditions, for example a change to the research plan."),
        render_kw={"rows": 3},
    )
    comment = TextAreaField(
        _l("Comment for the selection committee"),
        validators=[Length(max=TEXT_LIMIT)],
        description=_l("Optional. The committee and the coordinators read it; your co-supervisor once both answered."),
        render_kw={"rows": 4},
    )
    submit = SubmitField(_l("Record my statement"))

    @classmethod
    def for_statement(cls, statement: SupervisorStatement | None) -> StatementForm:
        """A form showing the statement as recorded (an empty one when there is none yet)."""
        if statement is None:
            form = cls(formdata=None)
        else:
            form = cls(
                formdata=None, answer=statement.answer.value, conditions=statement.conditions, comment=statement.comment
            )
        form.load_version(statement)
        return form

    def statement_values(self) -> dict[str, Any]:
        """What record_statement needs from the form."""
        return {
            "answer": self.answer.data,
            "conditions": self.conditions.data or "",
            "comment": self.comment.data or "",
            "expected_version": self.expected_version,
        }


class RemindForm(FlaskForm):
    """ "Remind now" for one person or for everyone still missing (the button says which)."""

    submit = SubmitField(_l("Remind now"))
