"""The warnings before a decision, written once for the single and the bulk path: too few submitted reviews (the
round's `reviews_required`), co-supervision not agreed, a reviewer's recommendation against the decision, a supervisor's
capacity exceeded by admitting.

A decision with warnings is recorded only when the coordinator has confirmed these warnings (their kinds) and given
a reason, which the audit keeps. Warnings the coordinator has not seen (another coordinator admitted a candidate of the
same supervisor meanwhile) refuse the decision again.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import gettext as _

from portal.applications.capacity import CapacityLoad
from portal.applications.models import DecisionOutcome
from portal.core.rules import RuleViolation
from portal.review.models import Recommendation
from portal.review.ranking import RankingRow


class WarningKind(enum.StrEnum):
    """What a decision may be warned about."""

    FEW_REVIEWS = "few_reviews"
    NOT_AGREED = "not_agreed"
    CONTRADICTED = "contradicted"
    CAPACITY = "capacity"


# The recommendations that speak against each outcome (borderline speaks against none).
AGAINST = {
    DecisionOutcome.ADMIT: {Recommendation.REJECT},
    DecisionOutcome.REJECT: {Recommendation.ADMIT, Recommendation.STRONGLY_ADMIT},
    DecisionOutcome.WAITING_LIST: set(),
}


@dataclass(frozen=True)
class DecisionWarning:
    """One warning, with the sentence shown to the coordinator."""

    kind: WarningKind
    message: str


def parse_kinds(value: str | Iterable[str] | None) -> frozenset[WarningKind]:
    """The warning kinds a form confirmed ("capacity,few_reviews"); unknown words are ignored."""
    words = value.split(",") if isinstance(value, str) else (value or [])
    known = {kind.value for kind in WarningKind}
    return frozenset(WarningKind(word.strip()) for word in words if word.strip() in known)


def kinds_text(warnings: Iterable[DecisionWarning]) -> str:
    """The kinds of the warnings, as a form sends them back when confirming."""
    return ",".join(sorted(w.kind.value for w in warnings))


def warnings_for(row: RankingRow, outcome: DecisionOutcome, loads: list[CapacityLoad]) -> list[DecisionWarning]:
    """Every warning for deciding `outcome` on the row's application (`loads`: the capacities admitting would exceed,
    applications.capacity.loads_beyond_capacity)."""
    application = row.application
    warnings = []
    required = application.intake_round.reviews_required
    if row.submitted < required:
        message = _(
            "Only %(submitted)d of the %(required)d reviews the round requires have been submitted.",
            submitted=row.submitted,
            required=required,
        )
        warnings.append(DecisionWarning(WarningKind.FEW_REVIEWS, message))
    if outcome == DecisionOutcome.ADMIT and not row.co_supervision_agreed:
        message = _("The co-supervision has not been agreed by both supervisors.")
        warnings.append(DecisionWarning(WarningKind.NOT_AGREED, message))
    against = [review for review in row.reviews if review.recommendation in AGAINST[outcome]]
    if against:
        names = ", ".join(f"{review.reviewer_name} ({review.recommendation.label})" for review in against)
        message = _("A reviewer recommends otherwise: %(names)s.", names=names)
        warnings.append(DecisionWarning(WarningKind.CONTRADICTED, message))
    if outcome == DecisionOutcome.ADMIT and loads:
        warnings.append(DecisionWarning(WarningKind.CAPACITY, " ".join(_capacity_sentence(load) for load in loads)))
    return warnings


def _capacity_sentence(load: CapacityLoad) -> str:
    return _(
        "%(name)s (%(university)s) already has %(admitted)d admitted candidates in this round; the capacity is "
        "%(capacity)d.",
        name=load.profile.display_name,
        university=load.profile.university.name,
        admitted=load.admitted,
        capacity=load.capacity,
    )


class NeedsConfirmation(RuleViolation):
    """The decision has warnings the coordinator has not confirmed (with a reason); nothing was saved."""

    category = "warning"

    def __init__(self, warnings: list[DecisionWarning], *, reason_missing: bool) -> None:
        message = (
            _("Please give a reason for deciding despite the warnings.")
            if reason_missing
            else _("Please read the warnings and confirm the decision with a reason.")
        )
        super().__init__(message, field="reason")
        self.warnings = warnings


def check_confirmed(warnings: list[DecisionWarning], confirmed: frozenset[WarningKind], reason: str) -> None:
    """Refuse unless every warning was confirmed and a reason given (nothing to confirm without warnings)."""
    if not warnings:
        return
    if not {w.kind for w in warnings} <= confirmed:
        raise NeedsConfirmation(warnings, reason_missing=False)
    if not reason.strip():
        raise NeedsConfirmation(warnings, reason_missing=True)


def audit_details(warnings: list[DecisionWarning], reason: str) -> dict[str, object]:
    """What the audit keeps of a confirmation."""
    if not warnings:
        return {}
    return {"warnings": [w.kind.value for w in warnings], "confirmed_reason": reason.strip()}
