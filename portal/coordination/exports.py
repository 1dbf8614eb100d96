"""The coordinators' exports: the filtered applications list, a doctoral office's list, the supervisor pairing list,
each as CSV (streamed) and as Excel workbook (written row by row to a temporary file).

Every export is written to the audit log with the filters used and the number of rows. A CSV is recorded before it
streams (the count comes from the same filters, in the same transaction as the audit event); a workbook once written.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any, Generic, TypeVar

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.applications.models import IntakeRound
from portal.coordination import listing, offices, pairings
from portal.coordination.listing import ListFilter, ListRow
from portal.coordination.offices import OfficeFilter
from portal.coordination.pairings import PairingFilter, PairingRow
from portal.core import audit
from portal.core.countries import country_name
from portal.core.exports import Cell, csv_chunks, safe_filename, xlsx_tempfile
from portal.core.timeutil import utcnow
from portal.review.models import CRITERIA
from portal.review.ranking import RankingFilter, RankingRow, ranking
from portal.supervisors.models import Country, SupervisorProfile, University

APPLICATIONS_EXPORTED = "coordination.applications_exported"
OFFICE_LIST_EXPORTED = "coordination.office_list_exported"
PAIRING_EXPORTED = "coordination.pairing_exported"

T = TypeVar("T")


class ExportFormat(enum.StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


@dataclass(frozen=True)
class Column(Generic[T]):
    """A column of an export: its title (translated when the export is made), its value per row, its Excel width."""

    title: Any
    value: Callable[[T], Cell]
    width: int = 18


def _label(value: Any) -> str:
    return value.label if value is not None else ""


APPLICATION_COLUMNS: tuple[Column[ListRow], ...] = (
    Column(_l("Reference"), lambda r: r.reference, 15),
    Column(_l("State"), lambda r: r.state.label, 14),
    Column(_l("Family name"), lambda r: r.family_name),
    Column(_l("Given names"), lambda r: r.given_names),
    Column(_l("Native name"), lambda r: r.native_name, 14),
    Column(_l("Email"), lambda r: r.email, 28),
    Column(_l("Nationality"), lambda r: country_name(r.nationality), 16),
    Column(_l("Date of birth"), lambda r: r.date_of_birth, 12),
    Column(_l("Research field"), lambda r: _label(r.research_field), 22),
    Column(_l("Proposal title"), lambda r: r.proposal_title, 40),
    Column(_l("German supervisor"), lambda r: r.german_supervisor, 24),
    Column(_l("University of the German supervisor"), lambda r: r.german_university, 28),
    Column(_l("Chinese supervisor"), lambda r: r.chinese_supervisor, 24),
    Column(_l("University of the Chinese supervisor"), lambda r: r.chinese_university, 28),
    # A number, not "1/2": Excel would read "1/2" in a CSV as a date (2 January).
    Column(_l("Letters of recommendation received (of 2)"), lambda r: r.letters_received, 12),
    Column(_l("Decision"), lambda r: _label(r.decision), 14),
    Column(_l("Submitted at (UTC)"), lambda r: r.submitted_at, 21),
)

OFFICE_COLUMNS: tuple[Column[ListRow], ...] = (
    *APPLICATION_COLUMNS,
    Column(_l("Decision released at (UTC)"), lambda r: r.decision_released_at, 21),
)


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


@dataclass(frozen=True)
class CsvExport:
    """A CSV ready to stream: nothing is read before the first chunk is asked for."""

    chunks: Iterator[bytes]
    rows: int
    filename: str


@dataclass(frozen=True)
class XlsxExport:
    """A written workbook in a temporary file (deleted once closed), rewound."""

    file: IO[bytes]
    rows: int
    size: int
    filename: str


def _header(columns: Sequence[Column[Any]]) -> list[str]:
    return [str(column.title) for column in columns]


def _cells(columns: Sequence[Column[T]], rows: Iterable[T]) -> Iterator[list[Cell]]:
    for row in rows:
        yield [column.value(row) for column in columns]


def _filename(kind: str, intake: IntakeRound, extension: ExportFormat, *extra: str) -> str:
    return safe_filename(kind, *extra, intake.name, utcnow().strftime("%Y%m%d"), extension=extension.value)


def _record(action: str, intake: IntakeRound, export_format: ExportFormat, filters: Any, rows: int) -> None:
    audit.record(
        action, intake, details={"format": export_format.value, "filters": filters.audit_details(), "rows": rows}
    )


def _csv(
    action: str,
    intake: IntakeRound,
    filters: Any,
    columns: Sequence[Column[T]],
    rows: Iterator[T],
    count: int,
    filename: str,
) -> CsvExport:
    _record(action, intake, ExportFormat.CSV, filters, count)
    return CsvExport(csv_chunks(_header(columns), _cells(columns, rows)), count, filename)


def _xlsx(
    action: str,
    intake: IntakeRound,
    filters: Any,
    columns: Sequence[Column[T]],
    rows: Iterator[T],
    title: str,
    filename: str,
) -> XlsxExport:
    content, count, size = xlsx_tempfile(
        _header(columns), _cells(columns, rows), title=title, column_widths=[column.width for column in columns]
    )
    try:
        _record(action, intake, ExportFormat.XLSX, filters, count)
    except BaseException:
        content.close()
        raise
    return XlsxExport(content, count, size, filename)


# --- The applications list ---------------------------------------------------------------------------------------


def applications_csv(intake: IntakeRound, filters: ListFilter) -> CsvExport:
    """The filtered applications list as CSV, in the list's order."""
    return _csv(
        APPLICATIONS_EXPORTED,
        intake,
        filters,
        APPLICATION_COLUMNS,
        listing.iter_applications(filters),
        listing.count_applications(filters),
        _filename("applications", intake, ExportFormat.CSV),
    )


def applications_xlsx(intake: IntakeRound, filters: ListFilter) -> XlsxExport:
    """The filtered applications list as an Excel workbook, in the list's order."""
    return _xlsx(
        APPLICATIONS_EXPORTED,
        intake,
        filters,
        APPLICATION_COLUMNS,
        listing.iter_applications(filters),
        _("Applications"),
        _filename("applications", intake, ExportFormat.XLSX),
    )


# --- A doctoral office's list ------------------------------------------------------------------------------------


def office_csv(intake: IntakeRound, university: University, filters: OfficeFilter) -> CsvExport:
    """The applications with a German supervisor at the university, with the decisions, as CSV."""
    return _csv(
        OFFICE_LIST_EXPORTED,
        intake,
        filters,
        OFFICE_COLUMNS,
        offices.iter_office_rows(filters),
        offices.count_office_rows(filters),
        _filename("doctoral-office", intake, ExportFormat.CSV, university.code),
    )


def office_xlsx(intake: IntakeRound, university: University, filters: OfficeFilter) -> XlsxExport:
    """The applications with a German supervisor at the university, with the decisions, as an Excel workbook."""
    return _xlsx(
        OFFICE_LIST_EXPORTED,
        intake,
        filters,
        OFFICE_COLUMNS,
        offices.iter_office_rows(filters),
        university.code,
        _filename("doctoral-office", intake, ExportFormat.XLSX, university.code),
    )


# --- The supervisor pairing list ---------------------------------------------------------------------------------


def pairing_csv(intake: IntakeRound, filters: PairingFilter) -> CsvExport:
    """Per supervisor, the candidates who chose them, the co-supervisor and both statements, as CSV."""
    return _csv(
        PAIRING_EXPORTED,
        intake,
        filters,
        PAIRING_COLUMNS,
        pairings.iter_pairing_rows(filters),
        pairings.count_pairing_rows(filters),
        _filename("supervisor-pairing", intake, ExportFormat.CSV),
    )


def pairing_xlsx(intake: IntakeRound, filters: PairingFilter) -> XlsxExport:
    """Per supervisor, the candidates who chose them, the co-supervisor and both statements, as an Excel workbook."""
    return _xlsx(
        PAIRING_EXPORTED,
        intake,
        filters,
        PAIRING_COLUMNS,
        pairings.iter_pairing_rows(filters),
        _("Supervisor pairing"),
        _filename("supervisor-pairing", intake, ExportFormat.XLSX),
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
        Column(_l("German supervisor"), lambda r: _profile(r.application.german_supervisor), 28),
        Column(_l("Chinese supervisor"), lambda r: _profile(r.application.chinese_supervisor), 28),
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
    return columns


def _profile(profile: SupervisorProfile | None) -> str:
    return f"{profile.display_name}, {profile.university.name}" if profile else ""


def _review(row: RankingRow, index: int, what: str) -> Cell:
    if index >= len(row.reviews):
        return ""
    review = row.reviews[index]
    if what == "name":
        return review.reviewer_name
    if what == "recommendation":
        return _label(review.recommendation) if review.recommendation else ""
    return review.scores[list(CRITERIA).index(what)]


def _ranking_rows(intake: IntakeRound, filters: RankingFilter) -> tuple[list[RankingRow], list[Column[RankingRow]]]:
    # The ranking of a round is built and sorted as a whole (means need every review); a round holds at most a few
    # thousand applications, so this list is small next to the streamed lists above.
    rows = ranking(intake.id, filters)
    widest = min(max((len(r.reviews) for r in rows), default=0), MAX_REVIEWERS_IN_EXPORT)
    return rows, _ranking_columns(widest)


def ranking_csv(intake: IntakeRound, filters: RankingFilter) -> CsvExport:
    """The round's ranking with every reviewer's scores, as CSV."""
    rows, columns = _ranking_rows(intake, filters)
    filename = _filename("ranking", intake, ExportFormat.CSV)
    return _csv("coordination.ranking_exported", intake, filters, columns, iter(rows), len(rows), filename)


def ranking_xlsx(intake: IntakeRound, filters: RankingFilter) -> XlsxExport:
    """The round's ranking with every reviewer's scores, as an Excel workbook."""
    rows, columns = _ranking_rows(intake, filters)
    filename = _filename("ranking", intake, ExportFormat.XLSX)
    return _xlsx("coordination.ranking_exported", intake, filters, columns, iter(rows), str(_l("Ranking")), filename)
