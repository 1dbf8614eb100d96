"""The applications list as its CSV and Excel files hold it: the coordinators' export and the doctoral offices'.

One narrow query reads exactly the exported columns in their order (enum columns as the text they are stored as), a
batch of rows at a time; each column of a batch becomes its cells at once: labels and country names through dicts made
once per export in its language, texts neutralised in one comprehension. No object is built per row and no Python
function called per cell: on 20,000 rows both cost more than the database's joins.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, String, select, type_coerce

from portal.applications.models import Application, ApplicationState, Decision, DecisionOutcome
from portal.applications.queries import Side, SupervisedApplications, university_name
from portal.core.countries import country_choices
from portal.core.exports import Cell, date_cells, label_cells, moment_cells, number_cells, text_cells
from portal.core.streaming import stream_batches
from portal.core.templating import current_language
from portal.reporting.lists import letters_received, supervisor_names, with_people
from portal.supervisors.models import ResearchField

# A column's values in a batch of rows (one sequence per column it reads) → its cells, as cell_value gives them.
Cells = Callable[..., Sequence[Cell]]
# The columns a column reads, given the query's aliases and the export's language.
Reads = Callable[[SupervisedApplications, str], tuple[Any, ...]]


@dataclass(frozen=True)
class ExportColumn:
    """A column of the list's exports: its title (translated when the export is made), its Excel width, the columns it
    reads and what makes its cells (called once per export, in the export's language)."""

    title: Any
    width: int
    reads: Reads
    cells: Callable[[], Cells]


def _own(column: Any) -> Reads:
    """A column of the application itself (or its decision)."""
    return lambda _joined, _language: (column,)


def _stored(column: Any) -> ColumnElement[str]:
    """An enum column as the text it is stored as: a dict gives its label, without an Enum object per cell."""
    return type_coerce(column, String)


def _supervisor(side: Callable[[SupervisedApplications], Side]) -> Reads:
    return lambda joined, _language: (side(joined).profile.title, side(joined).user.name)


def _university(side: Callable[[SupervisedApplications], Side]) -> Reads:
    return lambda joined, language: (university_name(side(joined).university, language),)


def _as(cells: Cells) -> Callable[[], Cells]:
    """Cells made the same way in every language."""
    return lambda: cells


def _enum_labels(enum_class: Any) -> Callable[[], Cells]:
    return lambda: label_cells({member.value: member.label for member in enum_class})


def _supervisor_cells(titles: Sequence[str | None], names: Sequence[str | None]) -> list[str]:
    return text_cells(supervisor_names(titles, names))


def _german(joined: SupervisedApplications) -> Side:
    return joined.german


def _chinese(joined: SupervisedApplications) -> Side:
    return joined.chinese


APPLICATION_COLUMNS: tuple[ExportColumn, ...] = (
    ExportColumn(_l("Reference"), 15, _own(Application.reference), _as(text_cells)),
    ExportColumn(_l("State"), 14, _own(_stored(Application.state)), _enum_labels(ApplicationState)),
    ExportColumn(_l("Family name"), 18, _own(Application.family_name), _as(text_cells)),
    ExportColumn(_l("Given names"), 18, _own(Application.given_names), _as(text_cells)),
    ExportColumn(_l("Native name"), 14, _own(Application.native_name), _as(text_cells)),
    ExportColumn(_l("Email"), 28, lambda joined, _language: (joined.applicant.email,), _as(text_cells)),
    ExportColumn(_l("Nationality"), 16, _own(Application.nationality), lambda: label_cells(dict(country_choices()))),
    ExportColumn(_l("Date of birth"), 12, _own(Application.date_of_birth), _as(date_cells)),
    ExportColumn(_l("Research field"), 22, _own(_stored(Application.research_field)), _enum_labels(ResearchField)),
    ExportColumn(_l("Proposal title"), 40, _own(Application.proposal_title), _as(text_cells)),
    ExportColumn(_l("German supervisor"), 24, _supervisor(_german), _as(_supervisor_cells)),
    ExportColumn(_l("University of the German supervisor"), 28, _university(_german), _as(text_cells)),
    ExportColumn(_l("Chinese supervisor"), 24, _supervisor(_chinese), _as(_supervisor_cells)),
    ExportColumn(_l("University of the Chinese supervisor"), 28, _university(_chinese), _as(text_cells)),
    # A number, not "1/2": Excel would read "1/2" in a CSV as a date (2 January).
    ExportColumn(_l("Letters of recommendation received (of 2)"), 12, _own(letters_received()), _as(number_cells)),
    ExportColumn(_l("Decision"), 14, _own(_stored(Decision.outcome)), _enum_labels(DecisionOutcome)),
    ExportColumn(_l("Submitted at (UTC)"), 21, _own(Application.submitted_at), _as(moment_cells)),
)

OFFICE_COLUMNS: tuple[ExportColumn, ...] = (
    *APPLICATION_COLUMNS,
    ExportColumn(_l("Decision released at (UTC)"), 21, _own(Decision.released_at), _as(moment_cells)),
)


def exported_rows(
    columns: Sequence[ExportColumn], where: Sequence[ColumnElement[bool]], order: Sequence[Any]
) -> Iterator[tuple[Cell, ...]]:
    """The cells of the applications matching where, in order, read as the caller goes (nothing runs before the first
    row is asked for, so that the labels and the universities' names are in the language of the export)."""
    joined, language = SupervisedApplications(), current_language()
    reads = [column.reads(joined, language) for column in columns]
    query = with_people(select(*chain.from_iterable(reads)).select_from(Application), joined)
    makers = [(column.cells(), len(read)) for column, read in zip(columns, reads, strict=True)]
    for batch in stream_batches(query.where(*where).order_by(*order)):
        values = list(zip(*batch, strict=True))  # the batch column by column
        cells, start = [], 0
        for make, width in makers:
            cells.append(make(*values[start : start + width]))
            start += width
        yield from zip(*cells, strict=True)
