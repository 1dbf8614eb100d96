"""The doctoral offices' lists: a German university's applications (by their German supervisor) with decisions."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, select

from portal import db
from portal.applications.models import Application, Decision, DecisionOutcome
from portal.core.templating import current_language
from portal.reporting.lists import (
    DECISION_FILTER_LABELS,
    STATE_ORDER,
    ListRow,
    clean_value,
    decision_conditions,
    given,
    profiles_at,
    rows_query,
    stream_rows,
    to_row,
)
from portal.review.permissions import JUDGED_STATES
from portal.supervisors.models import Country, SupervisorProfile, University

# The office needs the candidates the committee judges or has judged: neither drafts nor withdrawn applications.
OFFICE_STATES = tuple(sorted(JUDGED_STATES, key=STATE_ORDER.index))


def german_university(code: str) -> University | None:
    """The German university with this code (None for an unknown code or a Chinese university)."""
    return db.session.scalars(
        select(University).where(University.code == code.upper(), University.country == Country.DE)
    ).first()


@dataclass(frozen=True)
class OfficeFilter:
    """A German university's doctoral office list: the round's applications whose German supervisor works there."""

    round_id: int
    university: str  # the German university's code
    decision: str = ""  # as in ListFilter

    @classmethod
    def from_args(cls, args: Mapping[str, Any], round_id: int, university: str) -> OfficeFilter:
        decision = clean_value(args.get("decision"))
        return cls(round_id, university, decision if decision in DECISION_FILTER_LABELS else "")

    def query_args(self) -> dict[str, str]:
        return given({"round": str(self.round_id), "decision": self.decision})

    def audit_details(self) -> dict[str, Any]:
        return asdict(self)


def _office_conditions(filters: OfficeFilter) -> list[ColumnElement[bool]]:
    return [
        Application.round_id == filters.round_id,
        Application.state.in_(OFFICE_STATES),
        Application.german_supervisor_id.in_(profiles_at(filters.university)),
        *decision_conditions(filters.decision),
    ]


def _office_query(filters: OfficeFilter) -> Select:
    order = (func.lower(Application.family_name), func.lower(Application.given_names), Application.id)
    return rows_query(current_language()).where(*_office_conditions(filters)).order_by(*order)


def office_rows(filters: OfficeFilter) -> list[ListRow]:
    """The office's list, by name (one query; a university has a few dozen candidates a round)."""
    return [to_row(row) for row in db.session.execute(_office_query(filters))]


def count_office_rows(filters: OfficeFilter) -> int:
    return db.session.scalar(select(func.count(Application.id)).where(*_office_conditions(filters))) or 0


def iter_office_rows(filters: OfficeFilter) -> Iterator[ListRow]:
    for row in stream_rows(_office_query(filters)):
        yield to_row(row)


@dataclass(frozen=True)
class OfficeSummary:
    university: University
    applications: int
    admitted: int


def office_summaries(round_id: int) -> list[OfficeSummary]:
    """Per German university: the round's applications with a German supervisor there, and the admitted ones."""
    universities = list(
        db.session.scalars(select(University).where(University.country == Country.DE).order_by(University.id))
    )
    admitted = func.count(case((Decision.outcome == DecisionOutcome.ADMIT, 1)))
    query = (
        select(SupervisorProfile.university_id, func.count(Application.id), admitted)
        .join(SupervisorProfile, SupervisorProfile.id == Application.german_supervisor_id)
        .outerjoin(Decision, Decision.application_id == Application.id)
        .where(Application.round_id == round_id, Application.state.in_(OFFICE_STATES))
        .group_by(SupervisorProfile.university_id)
    )
    counts = {university_id: (total, yes) for university_id, total, yes in db.session.execute(query)}
    return [OfficeSummary(u, *counts.get(u.id, (0, 0))) for u in universities]
