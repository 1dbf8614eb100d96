"""The forms of the reporting pages: the GET forms of the coordinators' lists (each view of a list, and of its
exports, has its own address), and the button that starts a background export."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Form, SearchField, SelectField

from portal.applications.models import STATE_LABELS, IntakeRound
from portal.core.countries import country_choices
from portal.core.i18n import LANGUAGE_NAMES
from portal.reporting.lists import DECISION_FILTER_LABELS, SORT_LABELS
from portal.supervisors.models import RESEARCH_FIELD_LABELS

# (value, label) pairs of a select field.
Choices = Iterable[tuple[str, str]]


def _round_choices(rounds: Iterable[IntakeRound]) -> list[tuple[str, str]]:
    return [(str(intake.id), intake.name) for intake in rounds]


def _decision_choices() -> list[tuple[str, object]]:
    return [("", _l("Any decision")), *DECISION_FILTER_LABELS.items()]


def _direction_choices() -> list[tuple[str, object]]:
    return [("", _l("Ascending")), ("desc", _l("Descending"))]


class ApplicationFilterForm(Form):
    """The applications list's round, filters, search and order."""

    round = SelectField(_l("Intake round"), choices=[], validate_choice=False)
    q = SearchField(_l("Search"), description=_l("Name, email or reference number; several words must all be found."))
    state = SelectField(_l("State"), choices=[], validate_choice=False)
    university = SelectField(_l("University of either supervisor"), choices=[], validate_choice=False)
    field = SelectField(_l("Research field"), choices=[], validate_choice=False)
    nationality = SelectField(_l("Nationality"), choices=[], validate_choice=False)
    decision = SelectField(_l("Decision"), choices=[], validate_choice=False)
    sort = SelectField(_l("Order by"), choices=[], validate_choice=False)
    direction = SelectField(_l("Direction"), choices=_direction_choices, validate_choice=False)

    def set_choices(self, rounds: Iterable[IntakeRound], universities: Choices, round_id: int) -> None:
        """Fill the choices (the rounds come from the database; universities as (code, name); the rest is fixed)."""
        self.round.choices = _round_choices(rounds)
        self.round.data = str(round_id)
        self.state.choices = [("", _l("All states"))] + [(state.value, label) for state, label in STATE_LABELS.items()]
        self.university.choices = [("", _l("All universities")), *universities]
        self.field.choices = [("", _l("All research fields"))] + [
            (value.value, label) for value, label in RESEARCH_FIELD_LABELS.items()
        ]
        self.nationality.choices = [("", _l("All nationalities")), *country_choices()]
        self.decision.choices = _decision_choices()
        self.sort.choices = [(sort.value, label) for sort, label in SORT_LABELS.items()]


class OfficeFilterForm(Form):
    """A doctoral office's list: the round and, if wanted, one kind of decision; the language of its exports."""

    round = SelectField(_l("Intake round"), choices=[], validate_choice=False)
    decision = SelectField(_l("Decision"), choices=[], validate_choice=False)
    language = SelectField(_l("Language of the exports"), choices=[], validate_choice=False)

    def set_choices(self, rounds: Iterable[IntakeRound], round_id: int, language: str | None) -> None:
        """Fill the choices; language: the exports' language as the filter reads it (None where there is none)."""
        self.round.choices = _round_choices(rounds)
        self.round.data = str(round_id)
        self.decision.choices = _decision_choices()
        self.language.choices = list(LANGUAGE_NAMES.items())
        self.language.data = language


class PairingFilterForm(Form):
    """The pairing list: the round and, if wanted, the supervisors of one university."""

    round = SelectField(_l("Intake round"), choices=[], validate_choice=False)
    university = SelectField(_l("Supervisors at"), choices=[], validate_choice=False)

    def set_choices(self, rounds: Iterable[IntakeRound], universities: Choices, round_id: int) -> None:
        self.round.choices = _round_choices(rounds)
        self.round.data = str(round_id)
        self.university.choices = [("", _l("All universities")), *universities]


class ConfirmForm(FlaskForm):
    """A button that starts or retries a background export: only the CSRF token."""
