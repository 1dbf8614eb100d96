"""The supervisor pairing list: per supervisor, the candidates who chose them, the partner, the statements."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Select, func, literal, select, union_all
from sqlalchemy.orm import aliased

from portal import db
from portal.applications.models import Application, display_name
from portal.applications.queries import SupervisedApplications, university_name
from portal.core.streaming import stream_rows
from portal.core.templating import current_language
from portal.reporting.lists import clean_value, given, supervisor_name
from portal.reporting.offices import OFFICE_STATES
from portal.review.models import StatementAnswer, SupervisorStatement
from portal.supervisors.models import Country


@dataclass(frozen=True)
class PairingFilter:
    """The pairing list of a round, optionally only the supervisors of one university."""

    round_id: int
    university: str = ""

    @classmethod
    def from_args(cls, args: Mapping[str, Any], round_id: int) -> PairingFilter:
        return cls(round_id, clean_value(args.get("university")).upper()[:16])

    def query_args(self) -> dict[str, str]:
        return given({"round": str(self.round_id), "university": self.university})

    def audit_details(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class PairingRow:
    """A candidate who chose the supervisor, with the co-supervisor on the other side and both statements."""

    profile_id: int
    supervisor_title: str
    supervisor_name: str
    university: str
    side: Country
    answer: StatementAnswer | None
    application_id: int
    reference: str | None
    family_name: str
    given_names: str
    applicant_name: str
    co_title: str | None
    co_name: str | None
    co_university: str | None
    co_answer: StatementAnswer | None

    @property
    def supervisor(self) -> str:
        return supervisor_name(self.supervisor_title, self.supervisor_name)

    @property
    def co_supervisor(self) -> str:
        return supervisor_name(self.co_title, self.co_name)

    @property
    def candidate(self) -> str:
        return display_name(self.family_name, self.given_names, self.applicant_name)


@dataclass
class PairingGroup:
    """One supervisor and the candidates who chose them."""

    supervisor: str
    university: str
    side: Country
    rows: list[PairingRow] = field(default_factory=list)


def _pairing_side(filters: PairingFilter, side: Country, language: str) -> Select:
    """The pairs seen from one side: each application once, under its supervisor of that side."""
    joined = SupervisedApplications()
    own, other = joined.side(side), joined.side(Country.CN if side == Country.DE else Country.DE)
    own_statement = aliased(SupervisorStatement, name="own_statement")
    other_statement = aliased(SupervisorStatement, name="other_statement")
    query = select(
        own.profile.id.label("profile_id"),
        own.profile.title.label("supervisor_title"),
        own.user.name.label("supervisor_name"),
        university_name(own.university, language).label("university"),
        literal(side.value).label("side"),
        own_statement.answer.label("answer"),
        Application.id.label("application_id"),
        Application.reference,
        Application.family_name,
        Application.given_names,
        joined.applicant.name.label("applicant_name"),
        other.profile.title.label("co_title"),
        other.user.name.label("co_name"),
        university_name(other.university, language).label("co_university"),
        other_statement.answer.label("co_answer"),
    ).select_from(Application)
    query = (
        joined.join(query)
        .outerjoin(own_statement, _statement_of(own_statement, own.profile))
        .outerjoin(other_statement, _statement_of(other_statement, other.profile))
        .where(
            Application.round_id == filters.round_id,
            Application.state.in_(OFFICE_STATES),
            own.profile.id.is_not(None),  # a candidate appears under the supervisors they chose
        )
    )
    return query.where(own.university.code == filters.university) if filters.university else query


def _statement_of(statement, profile):
    """The join condition of a supervisor's statement on the application."""
    return (statement.application_id == Application.id) & (statement.profile_id == profile.id)


def _pairing_query(filters: PairingFilter) -> Select:
    language = current_language()
    both = union_all(
        _pairing_side(filters, Country.DE, language), _pairing_side(filters, Country.CN, language)
    ).subquery("pairs")
    return select(*both.c).order_by(
        both.c.side.desc(),  # the German side first
        func.lower(both.c.supervisor_name),
        both.c.profile_id,
        func.lower(both.c.family_name),
        both.c.application_id,
    )


def _to_pairing_row(row: Any) -> PairingRow:
    values = dict(row._mapping)
    values["side"] = Country(values["side"])
    for key in ("answer", "co_answer"):
        if values[key] is not None:
            values[key] = StatementAnswer(values[key])
    return PairingRow(**values)


def pairing_groups(filters: PairingFilter) -> list[PairingGroup]:
    """Per supervisor (German side first, then by name), the candidates who chose them: one query."""
    rows = (_to_pairing_row(row) for row in db.session.execute(_pairing_query(filters)))
    groups = []
    for _profile_id, pairs in itertools.groupby(rows, key=lambda row: row.profile_id):
        members = list(pairs)
        first = members[0]
        groups.append(PairingGroup(first.supervisor, first.university, first.side, members))
    return groups


def iter_pairing_rows(filters: PairingFilter) -> Iterator[PairingRow]:
    for row in stream_rows(_pairing_query(filters)):
        yield _to_pairing_row(row)


def count_pairing_rows(filters: PairingFilter) -> int:
    return db.session.scalar(select(func.count()).select_from(_pairing_query(filters).order_by(None).subquery())) or 0
