"""The coordinators' exports: the filtered applications list, a doctoral office's list, the supervisor pairing list
and the ranking with all scores, each as CSV (streamed) or as Excel workbook (written row by row to a temporary file).

Every export is written to the audit log with the filters used and the number of rows. A CSV is recorded before it
streams (the count comes from the same filters, in the same transaction as the audit event); a workbook once written.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import IO, Any, Generic, TypeVar

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.accounts.models import User
from portal.applications.models import IntakeRound
from portal.core import audit
from portal.core.exports import Cell, csv_chunks, safe_filename, xlsx_tempfile
from portal.core.timeutil import utcnow
from portal.reporting import lists, offices, pairings
from portal.reporting.application_pdf import supervisor_line
from portal.reporting.list_exports import APPLICATION_COLUMNS, OFFICE_COLUMNS, exported_rows
from portal.reporting.lists import ListFilter
from portal.reporting.offices import OfficeFilter
from portal.reporting.pairings import PairingFilter, PairingRow
from portal.review.models import CRITERIA
from portal.review.permissions import may_read_review
from portal.review.ranking import RankingFilter, RankingRow, ScoredReview, ranking
from portal.supervisors.models import Country, University

# The audit actions keep the names they were recorded under (the history shows them).
APPLICATIONS_EXPORTED = "coordination.applications_exported"
OFFICE_LIST_EXPORTED = "coordination.office_list_exported"
PAIRING_EXPORTED = "coordination.pairing_exported"
RANKING_EXPORTED = "coordination.ranking_exported"

T = TypeVar("T")


class ExportFormat(enum.StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


@dataclass(frozen=True)
class Column(Generic[T]):
    """A column of an export made from row objects: its title (translated when the export is made), its value per
    row, its Excel width."""

    title: Any
    value: Callable[[T], Cell]
    width: int = 18


def _label(value: Any) -> str:
    return value.label if value is not None else ""


def _side(side: Country) -> str:
    return _("German side") if side == Country.DE else _("Chinese side")


def _answer(answer: Any) -> str:
    return answer.label if answer is not None else _("No statement yet")


PAIRING_COLUMNS: tuple[Column[PairingRow], ...] = (
    Column(_l("Supervisor"), lambda r: r.supervisor, 24),
    Column(_l("University"), lambda r: r.university, 28),
    Column(_l("Side"), lambda r: _side(r.side), 12),
    Column(_l("Reference"), lambda r: r.reference, 15),
    Column(_l("Candidate"), lambda r: r.candidate, 24),
    Column(_l("Supervisor's statement"), lambda r: _answer(r.answer), 22),
    Column(_l("Co-supervisor"), lambda r: r.co_supervisor, 24),
    Column(_l("University of the co-supervisor"), lambda r: r.co_university, 28),
    Column(_l("Co-supervisor's statement"), lambda r: _answer(r.co_answer), 22),
)


def cells_of(columns: Sequence[Column[T]], rows: Iterable[T]) -> Iterator[list[Cell]]:
    """Each row's cells, one column's value after the other."""
    values = [column.value for column in columns]
    for row in rows:
        yield [value(row) for value in values]


@dataclass(frozen=True)
class Table:
    """A list to export: its columns and cells, the filters that chose them, and what names and records the export."""

    action: str  # the audit event
    name: tuple[str, ...]  # the file name's start: the kind of list, perhaps a university's code
    title: str  # the workbook's sheet
    intake: IntakeRound
    filters: Any  # with audit_details()
    columns: Sequence[Any]  # each with its title and its Excel width
    cells: Callable[[], Iterator[Sequence[Cell]]]  # each row's cells in the columns' order, read as they are written
    count: Callable[[], int]
    language: str | None = None  # the language of its titles and labels, if not the viewer's (an office's list)
    converted: bool = False  # the cells are already what cell_value gives (the CSV writes them as they are)

    def header(self) -> list[str]:
        return [str(column.title) for column in self.columns]

    def widths(self) -> list[int]:
        return [column.width for column in self.columns]

    def filename(self, export_format: ExportFormat) -> str:
        date = utcnow().strftime("%Y%m%d")
        return safe_filename(*self.name, self.intake.name, date, extension=export_format.value)


@dataclass(frozen=True)
class Export:
    """An export ready to send: a CSV's chunks (nothing is read before the first one is asked for), or a written
    workbook in a temporary file (deleted once closed), rewound."""

    format: ExportFormat
    filename: str
    rows: int
    chunks: Iterator[bytes] | None = None
    file: IO[bytes] | None = None
    size: int | None = None


def export(table: Table, export_format: ExportFormat) -> Export:
    """The table as CSV or Excel workbook, in the table's language, recorded in the audit log."""
    filename = table.filename(export_format)
    if export_format == ExportFormat.CSV:
        count = table.count()
        _record(table, export_format, count)
        chunks = _in_language(
            table.language, lambda: csv_chunks(table.header(), table.cells(), converted=table.converted)
        )
        return Export(export_format, filename, count, chunks=chunks)
    with _locale(table.language):
        content, count, size = xlsx_tempfile(
            table.header(), table.cells(), title=table.title, column_widths=table.widths()
        )
    try:
        _record(table, export_format, count)
    except BaseException:
        content.close()
        raise
    return Export(export_format, filename, count, file=content, size=size)


def _locale(language: str | None) -> AbstractContextManager[Any]:
    return force_locale(language) if language else nullcontext()


def _in_language(language: str | None, chunks: Callable[[], Iterator[bytes]]) -> Iterator[bytes]:
    """The chunks, each written in the language: a streamed CSV is written after the view has returned."""
    with _locale(language):
        yield from chunks()


def _record(table: Table, export_format: ExportFormat, rows: int) -> None:
    details = {"format": export_format.value, "filters": table.filters.audit_details(), "rows": rows}
    audit.record(table.action, table.intake, details=details)


# --- The lists -------------------------------------------------------------------------------------------------------


def applications_table(intake: IntakeRound, filters: ListFilter) -> Table:
    """The filtered applications list, in the list's order."""
    return Table(
        action=APPLICATIONS_EXPORTED,
        name=("applications",),
        title=_("Applications"),
        intake=intake,
        filters=filters,
        columns=APPLICATION_COLUMNS,
        cells=lambda: exported_rows(APPLICATION_COLUMNS, lists.filter_conditions(filters), lists.list_order(filters)),
        count=lambda: lists.count_applications(filters),
        converted=True,
    )


def office_table(intake: IntakeRound, university: University, filters: OfficeFilter) -> Table:
    """The applications whose supervisor on the university's side works there, with the decisions, in the language
    the filter asks for (the office's own by default)."""
    return Table(
        action=OFFICE_LIST_EXPORTED,
        name=("doctoral-office", university.code),
        title=university.code,
        intake=intake,
        filters=filters,
        columns=OFFICE_COLUMNS,
        cells=lambda: exported_rows(OFFICE_COLUMNS, offices.office_conditions(filters), offices.office_order()),
        count=lambda: offices.count_office_rows(filters),
        language=filters.language,
        converted=True,
    )


def pairing_table(intake: IntakeRound, filters: PairingFilter) -> Table:
    """Per supervisor, the candidates who chose them, the co-supervisor and both statements."""
    return Table(
        action=PAIRING_EXPORTED,
        name=("supervisor-pairing",),
        title=_("Supervisor pairing"),
        intake=intake,
        filters=filters,
        columns=PAIRING_COLUMNS,
        cells=lambda: cells_of(PAIRING_COLUMNS, pairings.iter_pairing_rows(filters)),
        count=lambda: pairings.count_pairing_rows(filters),
    )


# --- The ranking with all scores ----------------------------------------------------------------------------------

# Reviewers beyond this many are left out of the columns (the programme assigns two, the proposal at most five).
MAX_REVIEWERS_IN_EXPORT = 5


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _ranking_columns(reviewers: int) -> list[Column[RankingRow]]:
    columns: list[Column[RankingRow]] = [
        Column(_l("Reference"), lambda r: r.application.reference or "", 16),
        Column(_l("Name"), lambda r: r.application.display_name, 28),
        Column(_l("German supervisor"), lambda r: supervisor_line(r.application.german_supervisor), 28),
        Column(_l("Chinese supervisor"), lambda r: supervisor_line(r.application.chinese_supervisor), 28),
        Column(_l("Research field"), lambda r: _label(r.application.research_field), 22),
        Column(_l("Submitted reviews"), lambda r: r.submitted, 10),
        Column(_l("Assigned reviewers"), lambda r: r.assigned, 10),
        Column(_l("Mean score"), lambda r: _fmt(r.mean), 10),
        Column(_l("Spread"), lambda r: _fmt(r.spread), 10),
        Column(_l("Large disagreement"), lambda r: str(_l("yes")) if r.large_disagreement else "", 10),
        Column(_l("German supervisor's statement"), lambda r: _answer(r.german_statement), 22),
        Column(_l("Chinese supervisor's statement"), lambda r: _answer(r.chinese_statement), 22),
        Column(_l("Decision"), lambda r: _label(r.decision.outcome) if r.decision else "", 16),
        Column(_l("State"), lambda r: _label(r.application.state), 14),
    ]
    for n in range(reviewers):
        columns.append(Column(_l("Reviewer %(n)d", n=n + 1), lambda r, n=n: _review(r, n, "name"), 24))
        for criterion, title in CRITERIA.items():
            columns.append(Column(title, lambda r, n=n, c=criterion: _review(r, n, c), 10))
        columns.append(Column(_l("Recommendation"), lambda r, n=n: _review(r, n, "recommendation"), 16))
        columns.append(Column(_l("Comment of reviewer %(n)d", n=n + 1), lambda r, n=n: _review(r, n, "comment"), 48))
    return columns


def _review(row: RankingRow, index: int, what: str) -> Cell:
    if index >= len(row.reviews):
        return ""
    review = row.reviews[index]
    if what == "name":
        return review.reviewer_name
    if what == "recommendation":
        return _label(review.recommendation) if review.recommendation else ""
    if what == "comment":
        return review.comment
    return review.scores[list(CRITERIA).index(what)]


def _readable(viewer: User, row: RankingRow) -> list[ScoredReview]:
    """The row's submitted reviews, if the viewer may read reviews of others on the application (the ranking keeps no
    authors: whoever may not read others' reviews gets no scores at all, which only coordinators reach anyway)."""
    return row.reviews if may_read_review(viewer, row.application, author_id=0, submitted=True) else []


def ranking_table(intake: IntakeRound, filters: RankingFilter, viewer: User) -> Table:
    """The round's ranking with every reviewer's scores the viewer may read."""
    # The ranking of a round is built and sorted as a whole (means need every review); a round holds at most a few
    # thousand applications, so this list is small next to the streamed lists above.
    rows = ranking(intake.id, filters)
    for row in rows:
        row.reviews = _readable(viewer, row)
    widest = min(max((len(r.reviews) for r in rows), default=0), MAX_REVIEWERS_IN_EXPORT)
    columns = _ranking_columns(widest)
    return Table(
        action=RANKING_EXPORTED,
        name=("ranking",),
        title=str(_l("Ranking")),
        intake=intake,
        filters=filters,
        columns=columns,
        cells=lambda: cells_of(columns, rows),
        count=lambda: len(rows),
    )
