"""The doctoral offices' lists, one per university of the programme: a German university's applications are those whose
German supervisor works there, a Chinese university's those whose Chinese supervisor works there, with the decisions.
Each list is exported in its office's language (German or Chinese) unless another is asked for."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select

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
    to_row,
)
from portal.review.permissions import JUDGED_STATES
from portal.supervisors.models import Country, SupervisorProfile, University

# The office needs the candidates the committee judges or has judged: neither drafts nor withdrawn applications.
OFFICE_STATES = tuple(sorted(JUDGED_STATES, key=STATE_ORDER.index))


# The language an office works in: its list is exported in it unless another is asked for.
OFFICE_LANGUAGES = {Country.DE: "de", Country.CN: "zh"}


def office_university(code: str) -> University | None:
    """The university of the programme with this code, in any case (None for an unknown code)."""
    return db.session.scalars(select(University).where(University.code == code.upper())).first()


def office_language(country: Country) -> str:
    return OFFICE_LANGUAGES[country]


def _supervisor_column(side: Country) -> Any:
    """The chosen supervisor who ties an application to an office: the German one, or the Chinese one."""
    return Application.german_supervisor_id if side == Country.DE else Application.chinese_supervisor_id


@dataclass(frozen=True)
class OfficeFilter:
    """A university's office list: the round's applications whose supervisor on the university's side works there."""

    round_id: int
    university: str  # the university's code
    side: Country  # the university's country: which of the two chosen supervisors works there
    decision: str = ""  # as in ListFilter
    language: str = ""  # of the exports: the office's own unless another is asked for

    @classmethod
    def from_args(cls, args: Mapping[str, Any], round_id: int, university: University) -> OfficeFilter:
        decision = clean_value(args.get("decision"))
        language = clean_value(args.get("language"))
        if language not in current_app.config["LANGUAGES"]:
            language = office_language(university.country)
        decision = decision if decision in DECISION_FILTER_LABELS else ""
        return cls(round_id, university.code, university.country, decision, language)

    def query_args(self) -> dict[str, str]:
        language = self.language if self.language != office_language(self.side) else ""
        return given({"round": str(self.round_id), "decision": self.decision, "language": language})

    def audit_details(self) -> dict[str, Any]:
        details = asdict(self)
        details["side"] = self.side.value
        return details


def office_conditions(filters: OfficeFilter) -> list[ColumnElement[bool]]:
    """The office's list as WHERE clauses on Application."""
    return [
        Application.round_id == filters.round_id,
        Application.state.in_(OFFICE_STATES),
        _supervisor_column(filters.side).in_(profiles_at(filters.university)),
        *decision_conditions(filters.decision),
    ]


def office_order() -> list[Any]:
    """The office's list's order: by name."""
    return [func.lower(Application.family_name), func.lower(Application.given_names), Application.id]


def _office_query(filters: OfficeFilter) -> Select:
    return rows_query(current_language()).where(*office_conditions(filters)).order_by(*office_order())


def office_rows(filters: OfficeFilter) -> list[ListRow]:
    """The office's list, by name (one query; a university has a few dozen candidates a round)."""
    return [to_row(row) for row in db.session.execute(_office_query(filters))]


def count_office_rows(filters: OfficeFilter) -> int:
    return db.session.scalar(select(func.count(Application.id)).where(*office_conditions(filters))) or 0


@dataclass(frozen=True)
class OfficeSummary:
    university: University
    applications: int
    admitted: int


def office_summaries(round_id: int) -> list[OfficeSummary]:
    """Per university, the German ones first: the round's applications whose supervisor on that university's side
    works there, and the admitted ones (one grouped query)."""
    universities = sorted(db.session.scalars(select(University)), key=lambda u: (u.country != Country.DE, u.id))
    admitted = func.count(case((Decision.outcome == DecisionOutcome.ADMIT, 1)))
    on_its_side = or_(
        and_(University.country == Country.DE, SupervisorProfile.id == Application.german_supervisor_id),
        and_(University.country == Country.CN, SupervisorProfile.id == Application.chinese_supervisor_id),
    )
    query = (
        select(University.id, func.count(Application.id), admitted)
        .join(SupervisorProfile, SupervisorProfile.university_id == University.id)
        .join(Application, on_its_side)
        .outerjoin(Decision, Decision.application_id == Application.id)
        .where(Application.round_id == round_id, Application.state.in_(OFFICE_STATES))
        .group_by(University.id)
    )
    counts = {university_id: (total, yes) for university_id, total, yes in db.session.execute(query)}
    return [OfficeSummary(u, *counts.get(u.id, (0, 0))) for u in universities]
