"""The coordinator's decision forms: one decision, a bulk decision from the ranking, the release.

A decision with warnings comes back with them listed: the form then carries the kinds of the warnings the coordinator
saw (`confirmed`) and asks for the reason; the service refuses warnings the coordinator has not seen.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectField, SelectMultipleField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from portal.applications.models import Application, DecisionOutcome
from portal.core.ids import coerce_id, parse_id
from portal.core.versions import VersionedForm, parse_version
from portal.review.bulk_decisions import SeenRow
from portal.review.forms import TEXT_LIMIT, outcome_options
from portal.review.guardrails import parse_kinds

REASON_LABEL = _l("Your reason for deciding despite the warnings")
REASON_HELP = _l("Kept in the application's history.")


class DecisionForm(VersionedForm):
    """Record or change the decision on one application (the version is the application's)."""

    outcome = RadioField(
        _l("Decision"),
        choices=outcome_options,
        validators=[InputRequired(message=_l("Please choose a decision."))],
    )
    note = TextAreaField(
        _l("Note"),
        validators=[Optional(), Length(max=TEXT_LIMIT)],
        description=_l("For the file: seen by the coordinators and the assigned committee, never by the applicant."),
    )
    personal_note = TextAreaField(
        _l("Personal note to the applicant"),
        validators=[Optional(), Length(max=TEXT_LIMIT)],
        description=_l(
            "Optional. Sent with the decision when it is released and shown on the applicant's page, exactly as "
            "written here (it is not translated)."
        ),
    )
    confirmed = HiddenField()
    reason = TextAreaField(REASON_LABEL, validators=[Optional(), Length(max=TEXT_LIMIT)], description=REASON_HELP)
    submit = SubmitField(_l("Save the decision"))

    @classmethod
    def for_application(cls, application: Application) -> DecisionForm:
        """A form showing the decision as recorded, at the application's current version."""
        decision = application.decision
        form = cls(
            formdata=None,
            outcome=decision.outcome.value if decision else None,
            note=decision.note if decision else "",
            personal_note=decision.personal_note if decision else "",
        )
        form.load_version(application)
        return form

    def decision_values(self) -> dict[str, Any]:
        """What record_decision needs from the form."""
        return {
            "outcome": DecisionOutcome(self.outcome.data),
            "note": self.note.data or "",
            "personal_note": self.personal_note.data or "",
            "confirmed": parse_kinds(self.confirmed.data),
            "reason": self.reason.data or "",
            "expected_version": self.expected_version,
        }


def bulk_outcome_options():
    return [("", _l("Choose a decision …")), *outcome_options()]


class BulkDecisionForm(FlaskForm):
    """Decide several applications of the ranking at once: choose rows and outcome, then confirm the warnings."""

    application_ids = SelectMultipleField(_l("Applications"), coerce=coerce_id, validate_choice=False)
    outcome = SelectField(
        _l("Decision for the selected applications"),
        choices=bulk_outcome_options,
        validators=[InputRequired(message=_l("Please choose a decision."))],
    )
    # One "id:version:kinds" per row as the confirmation page showed it.
    seen = SelectMultipleField(validate_choice=False)
    reason = TextAreaField(REASON_LABEL, validators=[Optional(), Length(max=TEXT_LIMIT)], description=REASON_HELP)
    preview = SubmitField(_l("Decide the selected …"))
    confirm = SubmitField(_l("Record these decisions"))

    @property
    def chosen_outcome(self) -> DecisionOutcome | None:
        return DecisionOutcome(self.outcome.data) if self.outcome.data in set(DecisionOutcome) else None

    def seen_rows(self) -> list[SeenRow]:
        """The rows the coordinator confirmed, each with its version and the warnings shown (malformed ones dropped)."""
        rows = []
        for token in self.seen.data or []:
            parts = str(token).split(":")
            if len(parts) != 3:
                continue
            application_id, version = parse_id(parts[0]), parse_version(parts[1])
            if application_id is not None and version is not None:
                rows.append(SeenRow(application_id, version, parse_kinds(parts[2])))
        return rows


class ReleaseForm(FlaskForm):
    """Choose decisions to release (preview first), then confirm."""

    application_ids = SelectMultipleField(_l("Decisions to release"), coerce=coerce_id, validate_choice=False)
    confirm_open = BooleanField(_l("I know that the round is still open for applications, and I want to release now."))
    preview_selected = SubmitField(_l("Release the selected decisions …"))
    preview_all = SubmitField(_l("Release all decided …"))
    confirm = SubmitField(_l("Release now and notify the applicants"))

    @property
    def chosen_ids(self) -> list[int]:
        return self.application_ids.data or []

    @property
    def preview_ids(self) -> list[int] | None:
        """The decisions to preview: None for all that wait for release."""
        return None if self.preview_all.data else self.chosen_ids
