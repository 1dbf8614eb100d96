"""The applications list as its CSV and Excel files hold it: the coordinators' export and the doctoral offices'.

One narrow query reads exactly the exported columns in their order (enum columns as the text they are stored as), a
batch of rows at a time; each column of a batch becomes its cells at once: labels, country names and the supervisors
through dicts made once per export in its language, texts neutralised in one comprehension. No object is built per row
and no Python function called per cell: on 20,000 rows both cost more than the database's joins.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import chain
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, String, select, type_coerce
from sqlalchemy.orm import aliased

from portal import db
from portal.accounts.models import User
from portal.applications.models import Application, ApplicationState, Decision, DecisionOutcome
from portal.applications.queries import university_name
from portal.core.countries import country_choices
from portal.core.exports import Cell, date_cells, label_cells, moment_cells, number_cells, text_cells
from portal.core.streaming import stream_batches
from portal.core.templating import current_language
from portal.reporting.lists import letters_received, supervisor_names
from portal.supervisors.models import ResearchField, SupervisorProfile, University

# A column's values in a batch of rows (one sequence per column it reads) → its cells, as cell_value gives them.
Cells = Callable[..., Sequence[Cell]]

APPLICANT = aliased(User, name="applicant")


@dataclass
class Supervisors:
    """The chosen supervisors' cells by profile id, read as an export meets them (each once; a round has a few hundred
    of them), so that its thousands of rows join no supervisor, nor their account and university."""

    language: str
    names: dict[int | None, str] = field(default_factory=lambda: {None: ""})
    universities: dict[int | None, str] = field(default_factory=lambda: {None: ""})

    def name_cells(self, ids: Sequence[int | None]) -> list[str]:
        self._read(ids)
        return list(map(self.names.__getitem__, ids))

    def university_cells(self, ids: Sequence[int | None]) -> list[str]:
        self._read(ids)
        return list(map(self.universities.__getitem__, ids))

    def _read(self, ids: Iterable[int | None]) -> None:
        """Read the supervisors of ids not read yet (one statement, for a batch's new ones)."""
        new = set(ids).difference(self.names)
        if not new:
            return
        query = (
            select(SupervisorProfile.id, SupervisorProfile.title, User.name, university_name(University, self.language))
            .join(User, User.id == SupervisorProfile.user_id)
            .outerjoin(University, University.id == SupervisorProfile.university_id)
            .where(SupervisorProfile.id.in_(sorted(new)))
        )
        # A profile deleted since the rows were read has no supervisor to show, as the join would have had none.
        self.names.update(dict.fromkeys(new, ""))
        self.universities.update(dict.fromkeys(new, ""))
        rows = db.session.execute(query).all()
        if rows:
            profiles, titles, names, universities = zip(*rows, strict=True)
            self.names.update(zip(profiles, text_cells(supervisor_names(titles, names)), strict=True))
            self.universities.update(zip(profiles, text_cells(universities), strict=True))


@dataclass
class PerExport:
    """What an export's columns make their cells with, once for all its rows: its language, the supervisors it meets."""

    language: str

    @cached_property
    def supervisors(self) -> Supervisors:
        return Supervisors(self.language)


@dataclass(frozen=True)
class ExportColumn:
    """A column of the list's exports: its title (translated when the export is made), its Excel width, the columns it
    reads and what makes its cells (called once per export)."""

    title: Any
    width: int
    reads: tuple[Any, ...]
    cells: Callable[[PerExport], Cells]


def _stored(column: Any) -> ColumnElement[str]:
    """An enum column as the text it is stored as: a dict gives its label, without an Enum object per cell."""
    return type_coerce(column, String)


def _as(cells: Cells) -> Callable[[PerExport], Cells]:
    """Cells made the same way in every export."""
    return lambda _export: cells


def _enum_labels(enum_class: Any) -> Callable[[PerExport], Cells]:
    return lambda _export: label_cells({member.value: member.label for member in enum_class})


def _countries(_export: PerExport) -> Cells:
    return label_cells(dict(country_choices()))


def _supervisor_names(export: PerExport) -> Cells:
    return export.supervisors.name_cells


def _universities(export: PerExport) -> Cells:
    return export.supervisors.university_cells


APPLICATION_COLUMNS: tuple[ExportColumn, ...] = (
    ExportColumn(_l("Reference"), 15, (Application.reference,), _as(text_cells)),
    ExportColumn(_l("State"), 14, (_stored(Application.state),), _enum_labels(ApplicationState)),
    ExportColumn(_l("Family name"), 18, (Application.family_name,), _as(text_cells)),
    ExportColumn(_l("Given names"), 18, (Application.given_names,), _as(text_cells)),
    ExportColumn(_l("Native name"), 14, (Application.native_name,), _as(text_cells)),
    ExportColumn(_l("Email"), 28, (APPLICANT.email,), _as(text_cells)),
    ExportColumn(_l("Nationality"), 16, (Application.nationality,), _countries),
    ExportColumn(_l("Date of birth"), 12, (Application.date_of_birth,), _as(date_cells)),
    ExportColumn(_l("Research field"), 22, (_stored(Application.research_field),), _enum_labels(ResearchField)),
    ExportColumn(_l("Proposal title"), 40, (Application.proposal_title,), _as(text_cells)),
    ExportColumn(_l("German supervisor"), 24, (Application.german_supervisor_id,), _supervisor_names),
    ExportColumn(_l("University of the German supervisor"), 28, (Application.german_supervisor_id,), _universities),
    ExportColumn(_l("Chinese supervisor"), 24, (Application.chinese_supervisor_id,), _supervisor_names),
    ExportColumn(_l("University of the Chinese supervisor"), 28, (Application.chinese_supervisor_id,), _universities),
    # A number, not "1/2": Excel would read "1/2" in a CSV as a date (2 January).
    ExportColumn(_l("Letters of recommendation received (of 2)"), 12, (letters_received(),), _as(number_cells)),
    ExportColumn(_l("Decision"), 14, (_stored(Decision.outcome),), _enum_labels(DecisionOutcome)),
    ExportColumn(_l("Submitted at (UTC)"), 21, (Application.submitted_at,), _as(moment_cells)),
)

OFFICE_COLUMNS: tuple[ExportColumn, ...] = (
    *APPLICATION_COLUMNS,
    ExportColumn(_l("Decision released at (UTC)"), 21, (Decision.released_at,), _as(moment_cells)),
)


def exported_rows(
    columns: Sequence[ExportColumn], where: Sequence[ColumnElement[bool]], order: Sequence[Any]
) -> Iterator[tuple[Cell, ...]]:
    """The cells of the applications matching where, in order, read as the caller goes (nothing runs before the first
    row is asked for, so that the labels and the universities' names are in the language of the export)."""
    query = (
        select(*chain.from_iterable(column.reads for column in columns))
        .select_from(Application)
        .join(APPLICANT, APPLICANT.id == Application.applicant_id)
        .outerjoin(Decision, Decision.application_id == Application.id)
    )
    export = PerExport(current_language())
    makers = [(column.cells(export), len(column.reads)) for column in columns]
    for batch in stream_batches(query.where(*where).order_by(*order)):
        values = list(zip(*batch, strict=True))  # the batch column by column
        cells, start = [], 0
        for make, width in makers:
            cells.append(make(*values[start : start + width]))
            start += width
        yield from zip(*cells, strict=True)
